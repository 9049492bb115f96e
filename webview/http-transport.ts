// Browser transport: the daemon's HTTP API on the page's own origin, live events over SSE.
import type { LiveEvent } from '../shared/api';
import type { DashboardOperation, OperationParams, OperationResult } from '../shared/webview';
import { SseParser } from './sse';
import type { ConnectionState, LiveSubscription, Transport } from './transport';

type Request = { method: 'GET' | 'POST'; path: string; body?: unknown };

/** Maps each operation to its HTTP route (the same payload shapes as the JSON-RPC door). */
function route<K extends DashboardOperation>(op: K, params: OperationParams<K>): Request {
  const p = params as Record<string, unknown> | undefined;
  const query = (values: Record<string, unknown>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(values)) {
      if (typeof v === 'number' || typeof v === 'string') q.set(k, String(v));
    }
    const s = q.toString();
    return s ? `?${s}` : '';
  };
  switch (op) {
    case 'stats':
      return { method: 'GET', path: '/v1/stats' };
    case 'usageOverTime':
      return { method: 'GET', path: `/v1/usage${query({ bucket_ms: p?.bucket_ms, since: p?.since })}` };
    case 'decisions':
      return { method: 'GET', path: `/v1/routing/decisions${query({ limit: p?.limit, before: p?.before })}` };
    case 'trace':
      return { method: 'GET', path: `/v1/trace/${encodeURIComponent(String(p?.request_id))}` };
    case 'rankings':
      return { method: 'GET', path: '/v1/feedback/rankings' };
    case 'feedbackStats':
      return { method: 'GET', path: '/v1/feedback/stats' };
    case 'rate':
      return { method: 'POST', path: '/v1/feedback/rate', body: params };
    case 'lastBenchmark':
      return { method: 'GET', path: '/v1/benchmark/last' };
  }
  throw new Error(`unknown operation ${String(op)}`);
}

/** Reads the error message out of OpenAI's error shape, or falls back to the status line. */
async function errorText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {
    // not JSON
  }
  return `${res.status} ${res.statusText}`;
}

/** List endpoints answer OpenAI's list shape `{object: 'list', data: [...]}`; the RPC door returns the array. */
function unwrapList(body: unknown): unknown {
  if (body && typeof body === 'object' && (body as { object?: unknown }).object === 'list') {
    const data = (body as { data?: unknown }).data;
    if (Array.isArray(data)) return data;
  }
  return body;
}

export class HttpTransport implements Transport {
  /** `token`: the daemon's bearer token, when one is configured (taken from the page URL's #token=). */
  constructor(
    private readonly origin: string,
    private readonly token: string | null,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { ...extra, authorization: `Bearer ${this.token}` } : extra;
  }

  async call<K extends DashboardOperation>(op: K, params: OperationParams<K>): Promise<OperationResult<K>> {
    const req = route(op, params);
    const res = await fetch(this.origin + req.path, {
      method: req.method,
      headers: this.headers(req.body === undefined ? {} : { 'content-type': 'application/json' }),
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
    });
    // No benchmark has run yet: the daemon answers 204 (older builds without the route: 404).
    if (op === 'lastBenchmark' && (res.status === 204 || res.status === 404)) return null;
    if (!res.ok) throw new Error(await errorText(res));
    return unwrapList(await res.json()) as OperationResult<K>;
  }

  subscribe(onEvent: (event: LiveEvent) => void, onState: (state: ConnectionState) => void): LiveSubscription {
    const abort = new AbortController();
    let attempt = 0;
    const connect = async (): Promise<void> => {
      while (!abort.signal.aborted) {
        onState('connecting');
        try {
          const res = await fetch(`${this.origin}/v1/events`, {
            headers: this.headers({ accept: 'text/event-stream' }),
            signal: abort.signal,
          });
          if (!res.ok || !res.body) throw new Error(await errorText(res));
          onState('open');
          attempt = 0;
          const parser = new SseParser();
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            for (const msg of parser.push(value)) {
              try {
                onEvent(JSON.parse(msg.data) as LiveEvent);
              } catch (err) {
                console.warn('dashboard: bad live event', err);
              }
            }
          }
        } catch (err) {
          if (abort.signal.aborted) return;
          console.warn('dashboard: live stream failed', err);
        }
        onState('closed');
        // Reconnect after a short, growing pause (the daemon restarted or the network blipped).
        attempt += 1;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    };
    void connect();
    return { close: () => abort.abort() };
  }
}
