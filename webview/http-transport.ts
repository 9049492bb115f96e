// Browser transport: the daemon's HTTP API on the page's own origin, live events over SSE.
import type { LiveEvent } from '../shared/api';
import { DASHBOARD_OPERATIONS, httpRequestOf, type HttpRoute } from '../shared/dashboard-operations';
import type { DashboardOperation, OperationParams, OperationResult } from '../shared/webview';
import { SseParser } from './sse';
import type { ConnectionState, LiveSubscription, Transport } from './transport';

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
    const req = httpRequestOf(op, params);
    const res = await fetch(this.origin + req.path, {
      method: req.method,
      headers: this.headers(req.body === undefined ? {} : { 'content-type': 'application/json' }),
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
    }).catch(() => {
      // fetch says only "Failed to fetch": the user needs to know the daemon is gone, not the API.
      throw new Error(`the daemon at ${this.origin} is not reachable (stopped or restarting?)`);
    });
    const route: HttpRoute = DASHBOARD_OPERATIONS[op].http;
    const empty = route.empty;
    if (empty?.includes(res.status)) return null;
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
