// The one way adapters talk HTTP: undici pools with keep-alive connections, driven through dispatch()
// with our own handler (neither fetch, whose per-request overhead costs more than the daemon's whole
// latency budget, nor undici's request(), whose Readable body costs a stream per answer; node:http's
// client measured ~25 % more daemon CPU per proxied request), a connect timeout, a first-byte
// timeout, and the caller's AbortSignal. The promise resolves once the first body chunk has arrived, so the
// first-byte timeout covers servers that send headers early and then stall.
import type http from 'node:http';
import type { Dispatcher } from 'undici';
import Pool from 'undici/lib/dispatcher/pool';
import { headerSecrets, redactSecrets } from '../../config/redact';
import { ProviderError, type ProviderCallOptions } from '../types';
import { UpstreamBody } from './body';
import { ChunkQueue, END } from './chunks';
import {
  abortedError,
  bodyError,
  connectTimeoutError,
  firstByteTimeoutError,
  networkError,
  stalledError,
  statusError,
} from './errors';

export interface UpstreamRequest {
  /** Label used in error messages: 'openai', 'anthropic', 'ollama'. */
  provider: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /**
   * `headers` as undici's flat list (toWireHeaders(headers, body)), when the adapter keeps one per
   * model instead of having it rebuilt on every call.
   */
  wire?: string[];
  body?: string;
  options: ProviderCallOptions;
}

export interface UpstreamResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Body chunks (the first is already read). Errors are ProviderError (phase 'stream' or 'aborted'). */
  body: AsyncIterableIterator<Buffer>;
  /**
   * Done with this response after a failure or an early stop: destroys the connection unless the body
   * was read to the end (the upstream sees the socket close and stops generating). Idempotent.
   */
  close(): void;
  /**
   * Done after the final event of a stream: reads the rest (normally already there) so the socket
   * returns to the pool before the next call; a server that keeps the response open past the final
   * event gets its socket destroyed after DRAIN_LIMIT_MS. Never rejects.
   */
  drain(): Promise<void>;
  /** The credentials this request carried, to redact from anything the upstream echoes back. */
  secrets(): string[];
}

/** Sends a request. Rejects with ProviderError (connect, first_byte, aborted). Any status resolves. */
export function sendRequest(req: UpstreamRequest): Promise<UpstreamResponse> {
  return attempt(req, true);
}

interface Target {
  /** scheme://host[:port], the pool's key. */
  origin: string;
  path: string;
}

/** Parsed upstream URLs: a pool has a few, and parsing one costs more than the rest of the setup. */
const targets = new Map<string, Target | null>();
const MAX_TARGETS = 256;

function targetOf(raw: string): Target | null {
  let target = targets.get(raw);
  if (target !== undefined) return target;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    target = { origin: url.origin, path: url.pathname + url.search };
  } catch {
    target = null;
  }
  if (targets.size >= MAX_TARGETS) targets.clear();
  targets.set(raw, target);
  return target;
}

const DRAIN_LIMIT_MS = 250;

/**
 * The request's headers as a flat [name, value, …] list, as undici takes them: one value per name
 * whatever its case (the last given wins, as an object's setHeader-style merge did), no caller
 * content-length when there is a body (undici writes the body's own). undici adds the URL's Host
 * unless the caller set one (a config's `headers`), and derives the TLS server name from that Host.
 */
export function toWireHeaders(given: Record<string, string>, body: string | undefined): string[] {
  const names: string[] = [];
  const out: string[] = [];
  for (const name in given) {
    const lower = name.toLowerCase();
    if (body !== undefined && lower === 'content-length') continue;
    const seen = names.indexOf(lower);
    if (seen !== -1) {
      out[seen * 2] = name;
      out[seen * 2 + 1] = given[name]!;
      continue;
    }
    names.push(lower);
    out.push(name, given[name]!);
  }
  return out;
}

/**
 * One undici Pool per api_base origin and connect limit: keep-alive connections (up to 256, one
 * request at a time each; undici hands a socket to the next request only after a turn of the event
 * loop, having first read any FIN/RST pending on it), undici's connect timeout as ours, and no other
 * undici timeout: the first-byte and idle limits are armed by attempt() and UpstreamBody.
 */
const pools = new Map<string, InstanceType<typeof Pool>>();

function poolOf(origin: string, connectTimeoutMs: number): InstanceType<typeof Pool> {
  const key = `${connectTimeoutMs} ${origin}`;
  let pool: InstanceType<typeof Pool> | undefined = pools.get(key);
  if (!pool) {
    pool = new Pool(origin, {
      connections: 256,
      pipelining: 1,
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { timeout: connectTimeoutMs, noDelay: true },
    });
    pools.set(key, pool);
  }
  return pool;
}

/** Codes of a connection that failed before any answer and may be a keep-alive socket gone stale. */
const STALE_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/**
 * A keep-alive socket the server closed while idle fails as soon as the request goes out. undici
 * reports the socket it failed on (for a close seen as its end): bytes already read on it before this
 * request's answer started mean it had carried an earlier answer, i.e. it was reused.
 */
function staleSocket(err: Error & { code?: string; socket?: { bytesRead?: number } }, sentAt: number): boolean {
  return (
    err.code !== undefined &&
    STALE_CODES.has(err.code) &&
    (err.socket?.bytesRead ?? 0) > 0 &&
    performance.now() - sentAt < STALE_WINDOW_MS
  );
}

/**
 * A stale socket fails within a round trip of the write. A connection the upstream closes later
 * has been holding the request (generating, maybe billing): sending it again would double the
 * upstream's work and the client's wait (a reset after 2 s came back after 4 s, called twice).
 */
const STALE_WINDOW_MS = 500;

/**
 * One try of the request. A keep-alive socket the server closed while idle fails at once with
 * ECONNRESET/EPIPE; Node's docs recommend one retry on a fresh socket (the body is a string, so
 * resending is free): with `retryStale`, that failure is answered by a second try. (Retried here
 * rather than by a wrapper that awaits this one: that cost every request a turn of the microtask
 * queue on the way to its first byte.)
 */
function attempt(r: UpstreamRequest, retryStale: boolean): Promise<UpstreamResponse> {
  const { signal, connectTimeoutMs, firstByteTimeoutMs } = r.options;
  const idleMs = r.options.idleTimeoutMs ?? firstByteTimeoutMs;
  if (signal.aborted) return Promise.reject(abortedError(r.provider));
  const target = targetOf(r.url);
  if (!target) {
    return Promise.reject(
      new ProviderError(`${r.provider}: invalid api_base URL ${r.url}`, 'connect', undefined, false),
    );
  }
  const headers = r.wire ?? toWireHeaders(r.headers, r.body);

  return new Promise<UpstreamResponse>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    /** The request reached a connected socket (undici's onRequestStart): errors are past the connect phase. */
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    let finished = false;
    let released = false;
    /** When undici handed the request to a socket (staleSocket's window). */
    let sentAt = 0;
    let status = 0;
    let resHeaders: http.IncomingHttpHeaders = {};
    /** Set when we stop the request on purpose, so the resulting error maps to it. */
    let cause: ProviderError | undefined;
    const queue = new ChunkQueue();

    const stopTimer = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    };
    const release = () => {
      stopTimer();
      signal.removeEventListener('abort', onAbort);
    };
    const settleError = (err: Error) => {
      if (settled) return;
      settled = true;
      release();
      reject(err);
    };
    const fail = (err: ProviderError) => {
      cause ??= err;
      // Before undici handed the request to a socket there is nothing to abort yet: the caller hears
      // now, and onRequestStart aborts the request as soon as it gets one.
      if (controller) controller.abort(err);
      else settleError(err);
    };
    const onAbort = () => fail(abortedError(r.provider));
    signal.addEventListener('abort', onAbort, { once: true });
    // The connect limit is the pool's (undici's connect timeout, from the socket's creation to its
    // TLS handshake, as node:http's 'socket' to 'connect' was): a request waiting for one of the
    // pool's busy connections is not timed, as it was not with node's agent.

    const close = () => {
      if (released) return;
      released = true;
      release();
      // Not read to its end: abort, so the upstream sees the socket close and stops generating.
      if (!finished) controller?.abort(cause ?? abortedError(r.provider));
    };
    const drain = async (): Promise<void> => {
      if (released) return;
      if (finished) return close();
      released = true;
      stopTimer();
      // Read what is left (usually just the chunked terminator) so the socket goes back to the pool;
      // a server that keeps the response open after its final event gets the socket destroyed.
      const guard = setTimeout(() => controller?.abort(abortedError(r.provider)), DRAIN_LIMIT_MS);
      try {
        for (;;) if ((await queue.next()).done) break;
      } catch {
        // the socket is gone either way
      } finally {
        clearTimeout(guard);
        signal.removeEventListener('abort', onAbort);
      }
    };
    const mapBodyError = (err: unknown) =>
      cause ?? (signal.aborted ? abortedError(r.provider) : bodyError(r.provider, err, 'stream'));

    /** The first body chunk (or the end of an empty body) arrived: the caller gets the response. */
    const respond = () => {
      settled = true;
      stopTimer();
      const first = queue.poll();
      if (first === END) finished = true;
      const body = new UpstreamBody(queue, first === END ? undefined : first, {
        idleMs,
        onStall: () => fail(stalledError(r.provider, idleMs)),
        mapError: mapBodyError,
        onEnd: () => {
          finished = true;
        },
      });
      // Computed only when an error body needs redacting: the hot path never pays for it.
      const secrets = (): string[] => headerSecrets(r.headers);
      resolve({ status, headers: resHeaders, body, close, drain, secrets });
    };

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(ctl) {
        controller = ctl;
        sentAt = performance.now();
        queue.attach(ctl);
        if (cause) return ctl.abort(cause);
        stopTimer();
        timer = setTimeout(() => fail(firstByteTimeoutError(r.provider, firstByteTimeoutMs)), firstByteTimeoutMs);
      },
      onResponseStart(_ctl, statusCode, responseHeaders) {
        status = statusCode;
        resHeaders = responseHeaders;
      },
      onResponseData(_ctl, chunk) {
        queue.push(chunk);
        if (!settled) respond();
      },
      onResponseEnd() {
        queue.end();
        if (!settled) respond();
      },
      onResponseError(_ctl, err: Error & { code?: string }) {
        queue.fail(err);
        if (settled) return; // the body iterator reports errors from here on
        if (cause) return settleError(cause);
        if (signal.aborted) return settleError(abortedError(r.provider));
        if (err.code === 'UND_ERR_CONNECT_TIMEOUT')
          return settleError(connectTimeoutError(r.provider, connectTimeoutMs));
        if (err.code === 'UND_ERR_INVALID_ARG') {
          return settleError(
            new ProviderError(`${r.provider}: invalid upstream request: ${err.message}`, 'connect', undefined, false),
          );
        }
        if (retryStale && controller && status === 0 && staleSocket(err, sentAt)) {
          settled = true;
          release();
          return resolve(attempt(r, false));
        }
        // The retry failing on a stale socket too (the pool handed it another idle one the server
        // had closed) is a connection failure like any other: it was a bare Error with undici's text
        // ("other side closed"), without the provider's prefix and phase the client and trace show.
        settleError(networkError(r.provider, err, controller !== undefined));
      },
    };
    poolOf(target.origin, connectTimeoutMs).dispatch(
      { origin: target.origin, path: target.path, method: r.method, headers, body: r.body ?? null },
      handler,
    );
  });
}

/** Reads the whole body as text (JSON answers and error bodies). Drops map to phase 'response'. */
export async function readText(res: UpstreamResponse, provider: string): Promise<string> {
  const parts: Buffer[] = [];
  try {
    for await (const chunk of res.body) parts.push(chunk);
  } catch (err) {
    if (err instanceof ProviderError && err.phase === 'aborted') throw err;
    // Nothing of a JSON answer reached the client yet, so another candidate may still answer.
    if (err instanceof ProviderError)
      throw new ProviderError(err.message, 'response', err.status, true, err.upstreamMessage);
    throw bodyError(provider, err, 'response');
  } finally {
    res.close();
  }
  return parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

/** A 2xx answer. */
export function succeeded(res: UpstreamResponse): boolean {
  return res.status >= 200 && res.status < 300;
}

/** Throws the mapped ProviderError for a non-2xx answer (after reading its body); returns otherwise. */
export async function ensureOk(res: UpstreamResponse, provider: string): Promise<void> {
  if (succeeded(res)) return;
  const text = await readText(res, provider).catch(() => '');
  throw statusError(provider, res.status, text, res.headers, res.secrets());
}

/** POST/GET and parse a JSON answer, with status errors mapped. */
export async function requestJson<T>(req: UpstreamRequest): Promise<T> {
  const res = await sendRequest(req);
  await ensureOk(res, req.provider);
  const text = await readText(res, req.provider);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ProviderError(
      `${req.provider} upstream sent a body that is not JSON`,
      'response',
      res.status,
      true,
      redactSecrets(text.slice(0, 200), res.secrets()),
    );
  }
}

/** Sockets currently pooled/active, for diagnostics and tests of keep-alive reuse. */
export function agentStats(): { http: { sockets: number; free: number }; https: { sockets: number; free: number } } {
  const out = { http: { sockets: 0, free: 0 }, https: { sockets: 0, free: 0 } };
  for (const [origin, pool] of pools) {
    const side = origin.startsWith('https:') ? out.https : out.http;
    side.sockets += pool.stats.connected - pool.stats.free;
    side.free += pool.stats.free;
  }
  return out;
}
