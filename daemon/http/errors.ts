// One mapping from any thrown error to OpenAI's error JSON and an HTTP status. Fastify's own errors
// (bad JSON, too large, schema violations) and the services' FugusashiError meet here.
import { ErrorCodes, FugusashiError, type ErrorKind } from '../../shared/errors';
import type { OpenAIErrorBody } from '../../shared/openai';

export interface HttpError {
  status: number;
  body: OpenAIErrorBody;
  /** Extra response headers (Retry-After on 429/503). */
  headers?: Record<string, string>;
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown>; keyword?: string }[];
  validationContext?: string;
}

export function errorBody(kind: ErrorKind, message: string, param: string | null = null): HttpError {
  const entry = ErrorCodes[kind];
  return { status: entry.http, body: { error: { message, type: entry.type, param, code: entry.code } } };
}

/** "/messages/0/role" → "messages[0].role" (how OpenAI names a parameter). */
export function paramName(instancePath: string, missing?: unknown): string | null {
  const parts = instancePath.split('/').filter(Boolean);
  if (typeof missing === 'string') parts.push(missing);
  if (parts.length === 0) return null;
  return parts.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

export function toHttpError(err: unknown): HttpError {
  if (err instanceof FugusashiError) {
    const mapped = errorBody(err.kind, err.message, err.param);
    const retryAfter = (err.details as { retry_after_s?: unknown } | undefined)?.retry_after_s;
    if (typeof retryAfter === 'number' && Number.isFinite(retryAfter)) {
      mapped.headers = { 'retry-after': String(Math.max(1, Math.ceil(retryAfter))) };
    }
    return mapped;
  }
  const e = (err ?? {}) as FastifyLikeError;
  if (e.validation && e.validation.length > 0) {
    const first = e.validation[0]!;
    const missing: unknown = first.params?.['requiredProperties'] ?? first.params?.['missingProperty'];
    const missingName: unknown = Array.isArray(missing) ? (missing as unknown[])[0] : missing;
    const param = paramName(first.instancePath ?? '', missingName);
    const where = param ?? e.validationContext ?? 'body';
    return errorBody('InvalidRequest', `Invalid request: '${where}' ${first.message ?? 'is invalid'}`, param);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errorBody('InvalidRequest', `Malformed JSON body: ${e.message ?? 'could not parse'}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errorBody(
        'PayloadTooLarge',
        'Request body is larger than the configured limit (server.body_limit_bytes).',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errorBody('InvalidRequest', `Unsupported Content-Type: ${e.message ?? ''}`);
  }
  if (err instanceof SyntaxError) return errorBody('InvalidRequest', `Malformed JSON body: ${err.message}`);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const kind: ErrorKind =
      e.statusCode === 404 ? 'NotFound' : e.statusCode === 413 ? 'PayloadTooLarge' : 'InvalidRequest';
    const mapped = errorBody(kind, e.message ?? 'Bad request');
    return { status: e.statusCode, body: mapped.body };
  }
  return errorBody('Internal', 'Internal error in the Fugusashi daemon (see its log).');
}
