// The webview ↔ daemon bridge without VS Code: turns one dashboard request posted by the page into
// the matching JSON-RPC request and the answer into the message posted back. Kept free of the
// `vscode` module so the browser test drives the real page through it against a real daemon.
import { RequestType } from 'vscode-jsonrpc';
import { DASHBOARD_OPERATIONS } from '../shared/dashboard-operations';
import type { DashboardOperation, WebviewConnection, WebviewRequest, WebviewResponse } from '../shared/webview';

/** The connection calls the panel makes; the extension's DaemonRpc and a vscode-jsonrpc connection fit. */
export interface DashboardRpc {
  sendRequest<P, R>(type: RequestType<P, R, void>, params: P): Promise<R>;
}

/** One JSON-RPC request per dashboard operation (shared/dashboard-operations.ts). */
const OPERATIONS = Object.fromEntries(
  Object.entries(DASHBOARD_OPERATIONS).map(([op, route]) => [op, new RequestType<unknown, unknown, void>(route.rpc)]),
) as Record<DashboardOperation, RequestType<unknown, unknown, void>>;

/** JSON-RPC "method not found": a daemon without a last-benchmark method simply has no report. */
const METHOD_NOT_FOUND = -32601;

export async function answerWebviewRequest(
  request: WebviewRequest,
  rpc: DashboardRpc | (() => Promise<DashboardRpc>),
): Promise<WebviewResponse> {
  const type = Object.hasOwn(OPERATIONS, request.op) ? OPERATIONS[request.op] : undefined;
  if (!type) return { type: 'response', id: request.id, ok: false, error: `unknown operation ${String(request.op)}` };
  try {
    const connection = typeof rpc === 'function' ? await rpc() : rpc;
    const result = await connection.sendRequest(type, request.params);
    return { type: 'response', id: request.id, ok: true, result };
  } catch (err) {
    if (request.op === 'lastBenchmark' && (err as { code?: unknown }).code === METHOD_NOT_FOUND) {
      return { type: 'response', id: request.id, ok: true, result: null };
    }
    return { type: 'response', id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** The daemon connection as the panel sees it (the extension's Ctx fits). */
export interface ConnectionSource {
  isConnected(): boolean;
  onDidConnect(listener: () => void): { dispose(): unknown };
  onDidDisconnect(listener: () => void): { dispose(): unknown };
}

/**
 * Keeps the page's connection badge true. The page assumes "live" when it starts, so it is told the
 * real state once it is ready (`ready()`), then every change: "offline" while the daemon is down
 * instead of "live" next to requests that fail, and "live" again (the page then reloads) when it is back.
 */
export function reportConnection(
  source: ConnectionSource,
  post: (message: WebviewConnection) => void,
): { ready(): void; dispose(): void } {
  const subscriptions = [
    source.onDidConnect(() => post({ type: 'connection', connected: true })),
    source.onDidDisconnect(() => post({ type: 'connection', connected: false })),
  ];
  return {
    // Connected is what the page assumes already (telling it again would reload what it is loading).
    ready: () => {
      if (!source.isConnected()) post({ type: 'connection', connected: false });
    },
    dispose: () => subscriptions.forEach((s) => s.dispose()),
  };
}
