// The dashboard's operations, listed once: for each, the JSON-RPC method (VS Code: webview →
// extension → daemon) and the HTTP route (browser → daemon). The webview's two transports, the
// extension's bridge and shared/protocol.ts's request types all read this table; the doors'
// tests check that the daemon answers every entry on both doors. Plain data, so the browser
// bundle can import it without vscode-jsonrpc.
import type { DashboardOperation, OperationParams } from './webview';

export interface HttpRoute {
  method: 'GET' | 'POST';
  /** `:name` segments are filled from the params of the same name. */
  path: string;
  /** Params sent as the query string (GET). */
  query?: readonly string[];
  /** POST: the params are the JSON body. */
  body?: true;
  /** The HTTP door answers OpenAI's list shape `{object: 'list', data}`; the RPC door the array. */
  list?: true;
  /** Status codes that mean "nothing yet" and map to a null result. */
  empty?: readonly number[];
}

export interface OperationRoute {
  rpc: string;
  http: HttpRoute;
}

export const DASHBOARD_OPERATIONS = {
  stats: { rpc: 'fugusashi/stats', http: { method: 'GET', path: '/v1/stats' } },
  usageOverTime: {
    rpc: 'fugusashi/usageOverTime',
    http: { method: 'GET', path: '/v1/usage', query: ['bucket_ms', 'since'], list: true },
  },
  decisions: {
    rpc: 'fugusashi/decisions',
    http: { method: 'GET', path: '/v1/routing/decisions', query: ['limit', 'before', 'before_id'], list: true },
  },
  trace: { rpc: 'fugusashi/trace', http: { method: 'GET', path: '/v1/trace/:request_id' } },
  rankings: { rpc: 'fugusashi/rankings', http: { method: 'GET', path: '/v1/feedback/rankings', list: true } },
  feedbackStats: { rpc: 'fugusashi/feedbackStats', http: { method: 'GET', path: '/v1/feedback/stats' } },
  rate: { rpc: 'fugusashi/rate', http: { method: 'POST', path: '/v1/feedback/rate', body: true } },
  // No benchmark has run yet: 204 (older daemons without the route: 404).
  lastBenchmark: {
    rpc: 'fugusashi/lastBenchmark',
    http: { method: 'GET', path: '/v1/benchmark/last', empty: [204, 404] },
  },
} as const satisfies Record<DashboardOperation, OperationRoute>;

/** The HTTP request of one operation: method, path with its query string, and JSON body if any. */
export function httpRequestOf<K extends DashboardOperation>(
  op: K,
  params: OperationParams<K>,
): { method: 'GET' | 'POST'; path: string; body?: unknown } {
  const route: HttpRoute = DASHBOARD_OPERATIONS[op].http;
  const values = (params ?? {}) as Record<string, unknown>;
  const path = route.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(values[name])));
  const query: string[] = [];
  for (const name of route.query ?? []) {
    const v = values[name];
    if (typeof v === 'number' || typeof v === 'string') query.push(`${name}=${encodeURIComponent(String(v))}`);
  }
  const qs = query.join('&');
  return { method: route.method, path: qs ? `${path}?${qs}` : path, ...(route.body ? { body: params } : {}) };
}
