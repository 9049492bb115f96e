// Application error codes, used both in JSON-RPC ResponseError.code and in the HTTP error body's
// `code` field (OpenAI shape). One table so both doors report the same failure the same way.
export const ErrorCodes = {
  InvalidRequest: { rpc: -32602, http: 400, type: 'invalid_request_error', code: 'invalid_request' },
  NotFound: { rpc: -32004, http: 404, type: 'invalid_request_error', code: 'not_found' },
  ModelNotFound: { rpc: -32005, http: 404, type: 'invalid_request_error', code: 'model_not_found' },
  PayloadTooLarge: { rpc: -32006, http: 413, type: 'invalid_request_error', code: 'payload_too_large' },
  Unauthorized: { rpc: -32007, http: 401, type: 'authentication_error', code: 'invalid_api_key' },
  Forbidden: { rpc: -32008, http: 403, type: 'permission_error', code: 'forbidden_host' },
  UpstreamFailed: { rpc: -32010, http: 502, type: 'upstream_error', code: 'all_candidates_failed' },
  NoModels: { rpc: -32011, http: 503, type: 'service_unavailable', code: 'no_models_configured' },
  BudgetExceeded: { rpc: -32012, http: 422, type: 'invalid_request_error', code: 'budget_exceeded' },
  RateLimited: { rpc: -32013, http: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  ModelCoolingDown: { rpc: -32014, http: 503, type: 'service_unavailable', code: 'model_cooling_down' },
  AdminRequired: { rpc: -32016, http: 403, type: 'permission_error', code: 'admin_required' },
  CrossSite: { rpc: -32009, http: 403, type: 'permission_error', code: 'cross_site_request' },
  StoreUnavailable: { rpc: -32015, http: 503, type: 'service_unavailable', code: 'store_unavailable' },
  Cancelled: { rpc: -32800, http: 499, type: 'request_cancelled', code: 'cancelled' },
  Internal: { rpc: -32603, http: 500, type: 'server_error', code: 'internal_error' },
} as const;
export type ErrorKind = keyof typeof ErrorCodes;

/** The one error type services throw; each door maps it to its own wire format. */
export class FugusashiError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly param: string | null = null,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'FugusashiError';
  }
}
