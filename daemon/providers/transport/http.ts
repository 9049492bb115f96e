// The one way adapters talk HTTP: node:http/https with keep-alive agents (no fetch: its per-request
// overhead costs more than the daemon's whole latency budget), a connect timeout, a first-byte timeout,
// and the caller's AbortSignal. The promise resolves once the first body chunk has arrived, so the
// first-byte timeout covers servers that send headers early and then stall.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { headerSecrets, redactSecrets } from '../../config/redact';
import { ProviderError, type ProviderCallOptions } from '../types';
import { UpstreamBody } from './body';
import { ChunkQueue } from './chunks';
import {
  abortedError,
  bodyError,
  connectTimeoutError,
  firstByteTimeoutError,
  networkError,
  stalledError,
  statusError,
} from './errors';

// LIFO keeps the warmest sockets busy and lets idle ones expire on the server side first. No Nagle
// delay: stream requests are small and every millisecond before the first token shows.
const agentOptions = {
  keepAlive: true,
  maxSockets: 256,
  maxFreeSockets: 256,
  scheduling: 'lifo' as const,
  noDelay: true,
};
const httpAgent = new http.Agent(agentOptions);
const httpsAgent = new https.Agent(agentOptions);

export interface UpstreamRequest {
  /** Label used in error messages: 'openai', 'anthropic', 'ollama'. */
  provider: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
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
export async function sendRequest(req: UpstreamRequest): Promise<UpstreamResponse> {
  try {
    return await attempt(req);
  } catch (err) {
    // A keep-alive socket the server closed while idle fails at once with ECONNRESET/EPIPE; Node's
    // docs recommend one retry on a fresh socket. The body is a string, so resending is free.
    if (err instanceof StaleSocketError) return attempt(req);
    throw err;
  }
}

class StaleSocketError extends Error {}

interface Target {
  protocol: string;
  hostname: string;
  port: string | number;
  path: string;
  secure: boolean;
  /** The Host header node:http would send for this URL (the port only when it is not the default). */
  host: string;
}

/** Parsed upstream URLs: a pool has a few, and parsing one costs more than the rest of the setup. */
const targets = new Map<string, Target | null>();
const MAX_TARGETS = 256;

function targetOf(raw: string): Target | null {
  let target = targets.get(raw);
  if (target !== undefined) return target;
  try {
    const url = new URL(raw);
    const secure = url.protocol === 'https:';
    target = {
      protocol: url.protocol,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port || (secure ? 443 : 80),
      path: url.pathname + url.search,
      secure,
      // url.host keeps an IPv6 address in brackets and leaves a default port out, as node:http does.
      host: url.host,
    };
  } catch {
    target = null;
  }
  if (targets.size >= MAX_TARGETS) targets.clear();
  targets.set(raw, target);
  return target;
}

const DRAIN_LIMIT_MS = 250;

/**
 * The request's headers as node:http's flat [name, value, …] list: given that way, ClientRequest
 * writes them as they are (each still validated) instead of storing each through setHeader and
 * looking several up again (host, expect, authorization) — a few µs of every upstream call. What
 * node:http would have done with an object is done here: one value per name whatever its case (the
 * last given wins), content-length is ours, and the URL's Host header. A caller that sets its own
 * Host (a config's `headers`) gets the object form, as before: node:http also derives the TLS
 * server name from that header, which it cannot read from a list.
 */
function wireHeaders(
  given: Record<string, string>,
  host: string,
  body: string | undefined,
): string[] | Record<string, string | number> {
  const names: string[] = [];
  const out: string[] = [];
  for (const name in given) {
    const lower = name.toLowerCase();
    if (lower === 'host') return objectHeaders(given, body);
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
  if (body !== undefined) out.push('content-length', String(Buffer.byteLength(body)));
  out.push('host', host);
  return out;
}

function objectHeaders(given: Record<string, string>, body: string | undefined): Record<string, string | number> {
  const headers: Record<string, string | number> = { ...given };
  if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
  return headers;
}

function attempt(r: UpstreamRequest): Promise<UpstreamResponse> {
  const { signal, connectTimeoutMs, firstByteTimeoutMs } = r.options;
  const idleMs = r.options.idleTimeoutMs ?? firstByteTimeoutMs;
  if (signal.aborted) return Promise.reject(abortedError(r.provider));
  const target = targetOf(r.url);
  if (!target) {
    return Promise.reject(
      new ProviderError(`${r.provider}: invalid api_base URL ${r.url}`, 'connect', undefined, false),
    );
  }
  const secure = target.secure;
  const headers = wireHeaders(r.headers, target.host, r.body);

  return new Promise<UpstreamResponse>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let connected = false;
    let responded = false;
    let finished = false;
    /** Set when we destroy the request on purpose, so the resulting socket error maps to it. */
    let cause: ProviderError | undefined;

    const req = (secure ? https : http).request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      path: target.path,
      method: r.method,
      headers,
      agent: secure ? httpsAgent : httpAgent,
    });

    const fail = (err: ProviderError) => {
      cause ??= err;
      req.destroy(err);
    };
    const onAbort = () => fail(abortedError(r.provider));
    signal.addEventListener('abort', onAbort, { once: true });
    const stopTimer = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    };
    const startFirstByteTimer = () => {
      connected = true;
      stopTimer();
      timer = setTimeout(() => fail(firstByteTimeoutError(r.provider, firstByteTimeoutMs)), firstByteTimeoutMs);
    };
    const release = () => {
      stopTimer();
      signal.removeEventListener('abort', onAbort);
    };

    req.on('socket', (socket: Socket) => {
      if (req.reusedSocket || !socket.connecting) {
        startFirstByteTimer();
        return;
      }
      timer = setTimeout(() => fail(connectTimeoutError(r.provider, connectTimeoutMs)), connectTimeoutMs);
      socket.once(secure ? 'secureConnect' : 'connect', startFirstByteTimer);
    });

    req.on('error', (err: NodeJS.ErrnoException) => {
      if (responded) return; // the body iterator reports errors from here on
      release();
      if (cause) return reject(cause);
      if (signal.aborted) return reject(abortedError(r.provider));
      if (req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
        return reject(new StaleSocketError(err.message));
      }
      reject(networkError(r.provider, err, connected));
    });

    req.on('response', (res: http.IncomingMessage) => {
      responded = true;
      const it = new ChunkQueue(res);
      let released = false;
      const close = () => {
        if (released) return;
        released = true;
        release();
        if (!finished) {
          res.destroy();
          req.destroy();
        }
      };
      const drain = async (): Promise<void> => {
        if (released) return;
        if (finished) return close();
        released = true;
        stopTimer();
        // Read what is left (usually just the chunked terminator) so the socket goes back to the pool;
        // a server that keeps the response open after its final event gets the socket destroyed.
        const guard = setTimeout(() => {
          res.destroy();
          req.destroy();
        }, DRAIN_LIMIT_MS);
        try {
          for (;;) if ((await it.next()).done) break;
        } catch {
          // the socket is gone either way
        } finally {
          clearTimeout(guard);
          signal.removeEventListener('abort', onAbort);
        }
      };
      const mapBodyError = (err: unknown) =>
        cause ?? (signal.aborted ? abortedError(r.provider) : bodyError(r.provider, err, 'stream'));
      it.next().then(
        (first) => {
          stopTimer();
          if (first.done) finished = true;
          const body = new UpstreamBody(it, first.done ? undefined : first.value, {
            idleMs,
            onStall: () => fail(stalledError(r.provider, idleMs)),
            mapError: mapBodyError,
            onEnd: () => {
              finished = true;
            },
          });
          // Computed only when an error body needs redacting: the hot path never pays for it.
          const secrets = (): string[] => headerSecrets(r.headers);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, close, drain, secrets });
        },
        (err: unknown) => {
          close();
          reject(cause ?? (signal.aborted ? abortedError(r.provider) : networkError(r.provider, err, true)));
        },
      );
    });

    req.end(r.body);
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

/** Throws the mapped ProviderError for a non-2xx answer (after reading its body); returns otherwise. */
export async function ensureOk(res: UpstreamResponse, provider: string): Promise<void> {
  if (res.status >= 200 && res.status < 300) return;
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

/** Sockets currently pooled/active per agent, for diagnostics and tests of keep-alive reuse. */
export function agentStats(): { http: { sockets: number; free: number }; https: { sockets: number; free: number } } {
  const count = (rec: NodeJS.ReadOnlyDict<unknown[]>) =>
    Object.values(rec).reduce((n, list) => n + (list?.length ?? 0), 0);
  return {
    http: { sockets: count(httpAgent.sockets), free: count(httpAgent.freeSockets) },
    https: { sockets: count(httpsAgent.sockets), free: count(httpsAgent.freeSockets) },
  };
}
