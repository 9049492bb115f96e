// The dashboard's data operations, typed once, and the postMessage protocol between the VS Code
// webview and the extension. In the browser the same operations go over HTTP (/v1/...); in VS Code
// the webview posts a WebviewRequest, the extension turns it into the matching JSON-RPC request and
// posts back a WebviewResponse, and forwards `fugusashi/live` notifications as WebviewLive.
import type {
  BenchmarkReport,
  DecisionRow,
  DecisionsQuery,
  FeedbackStats,
  LiveEvent,
  ModelRanking,
  RateParams,
  RateResult,
  Trace,
  UsageBucket,
  UsageStats,
} from './api';

/** Every operation the dashboard performs: name → params and result. */
export interface DashboardOperations {
  stats: { params: void; result: UsageStats };
  usageOverTime: { params: { bucket_ms: number; since?: number }; result: UsageBucket[] };
  /** Newest first; page with `before` and `before_id` (created_at and request_id of the last row seen). */
  decisions: { params: DecisionsQuery; result: DecisionRow[] };
  trace: { params: { request_id: string }; result: Trace };
  rankings: { params: void; result: ModelRanking[] };
  feedbackStats: { params: void; result: FeedbackStats };
  rate: { params: RateParams; result: RateResult };
  /** The most recent benchmark report, or null when none has run yet. */
  lastBenchmark: { params: void; result: BenchmarkReport | null };
}
export type DashboardOperation = keyof DashboardOperations;
export type OperationParams<K extends DashboardOperation> = DashboardOperations[K]['params'];
export type OperationResult<K extends DashboardOperation> = DashboardOperations[K]['result'];

// ---- webview → extension ----

export interface WebviewRequest<K extends DashboardOperation = DashboardOperation> {
  type: 'request';
  id: number;
  op: K;
  params: OperationParams<K>;
}
/** Sent once the page's script runs, so the extension knows it may post live events. */
export interface WebviewReady {
  type: 'ready';
}
export type FromWebview = WebviewRequest | WebviewReady;

// ---- extension → webview ----

export interface WebviewResponse {
  type: 'response';
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}
export interface WebviewLive {
  type: 'live';
  event: LiveEvent;
}
/** The daemon connection went up or down (the page shows it and reloads data when it is back). */
export interface WebviewConnection {
  type: 'connection';
  connected: boolean;
}
export type ToWebview = WebviewResponse | WebviewLive | WebviewConnection;

// ---- the page template ----

export type DashboardHost = 'browser' | 'vscode';

/** Placeholders in webview/index.html, filled by the daemon (browser) and the extension (webview). */
export interface DashboardPageVars {
  /** The full Content-Security-Policy value. */
  csp: string;
  /** Per-response random nonce for the script tag. */
  nonce: string;
  /** URL prefix of the bundled assets, without a trailing slash. */
  base: string;
  host: DashboardHost;
  /** Appended to asset URLs, e.g. "?token=…" when the daemon requires a token; "" otherwise. */
  query?: string;
}

/** Fills the template's {{CSP}}, {{NONCE}}, {{BASE}}, {{HOST}} and {{QUERY}} placeholders (HTML-escaped). */
export function renderDashboardPage(template: string, vars: DashboardPageVars): string {
  const values: Record<string, string> = {
    CSP: vars.csp,
    NONCE: vars.nonce,
    BASE: vars.base,
    HOST: vars.host,
    QUERY: vars.query ?? '',
  };
  return template.replace(/\{\{(CSP|NONCE|BASE|HOST|QUERY)\}\}/g, (_, key: string) =>
    escapeAttribute(values[key] ?? ''),
  );
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Builds a strict CSP: only the bundle's own origin, the nonce'd script, no remote loads. */
export function dashboardCsp(opts: { nonce: string; assetSource: string; connectSource: string }): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${opts.nonce}'`,
    `style-src ${opts.assetSource}`,
    `font-src ${opts.assetSource}`,
    `img-src ${opts.assetSource} data:`,
    `connect-src ${opts.connectSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
