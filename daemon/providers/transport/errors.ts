// Maps every way an upstream call can fail to ProviderError, so the gateway decides about fallback
// from `phase` and `retryable` alone, whatever the provider.
import { redactSecrets } from '../../config/redact';
import { ProviderError } from '../types';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
]);

/** The upstream's own error text from the bodies real servers send (OpenAI, Anthropic, Ollama, vLLM, FastAPI…). */
export function extractUpstreamMessage(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  try {
    const body = JSON.parse(trimmed) as Record<string, unknown>;
    const err = body.error;
    if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
      return (err as { message: string }).message;
    }
    if (typeof err === 'string') return err;
    if (typeof body.message === 'string') return body.message;
    if (typeof body.detail === 'string') return body.detail;
  } catch {
    // not JSON: fall through to the raw text
  }
  return trimmed.length > 500 ? trimmed.slice(0, 500) + '…' : trimmed;
}

/** A non-2xx answer, with the upstream's Retry-After (429/503) kept for the cooldown and the client. */
export class UpstreamStatusError extends ProviderError {
  constructor(
    message: string,
    status: number,
    retryable: boolean,
    upstreamMessage: string | undefined,
    /** Seconds the upstream asked us to wait (Retry-After / retry-after-ms), when it said. */
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(message, 'response', status, retryable, upstreamMessage);
  }
}

/**
 * A non-2xx answer. 5xx and 429 are worth another candidate; other 4xx would fail there too. The
 * body is redacted first: upstreams echo the request's Authorization / x-api-key in error texts.
 */
export function statusError(
  provider: string,
  status: number,
  bodyText: string,
  headers: Readonly<Record<string, string | string[] | undefined>> = {},
  secrets: readonly string[] = [],
): ProviderError {
  const raw = extractUpstreamMessage(bodyText);
  const upstream = raw === undefined ? undefined : redactSecrets(raw, secrets);
  const retryable = status >= 500 || status === 429;
  return new UpstreamStatusError(
    `${provider} upstream answered ${status}${upstream ? `: ${upstream}` : ''}`,
    status,
    retryable,
    upstream,
    retryAfterSeconds(headers, Date.now()),
  );
}

/** Retry-After as delta-seconds or an HTTP date, or retry-after-ms (OpenAI, Azure); undefined if absent or bogus. */
export function retryAfterSeconds(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  now: number,
): number | undefined {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const ms = Number(first(headers['retry-after-ms']));
  if (first(headers['retry-after-ms']) !== undefined && Number.isFinite(ms) && ms > 0) return ms / 1000;
  const value = first(headers['retry-after'])?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) {
    const seconds = Number(value);
    return seconds > 0 ? seconds : undefined;
  }
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  const seconds = (date - now) / 1000;
  return seconds > 0 ? seconds : undefined;
}

export function abortedError(provider: string): ProviderError {
  return new ProviderError(`${provider} request aborted by the caller`, 'aborted', undefined, false);
}

export function connectTimeoutError(provider: string, ms: number): ProviderError {
  return new ProviderError(`${provider} upstream: no connection within ${ms} ms`, 'connect', undefined, true);
}

export function firstByteTimeoutError(provider: string, ms: number): ProviderError {
  return new ProviderError(`${provider} upstream: no response within ${ms} ms`, 'first_byte', undefined, true);
}

/** An error before the response started: connect phase unless the socket had connected. */
export function networkError(provider: string, err: unknown, connected: boolean): ProviderError {
  if (err instanceof ProviderError) return err;
  const code = (err as { code?: string } | null)?.code;
  const detail = err instanceof Error ? err.message : String(err);
  if (
    !connected &&
    (code === undefined || CONNECT_CODES.has(code) || code.startsWith('ERR_TLS') || code.includes('CERT'))
  ) {
    return new ProviderError(`${provider} upstream unreachable: ${detail}`, 'connect', undefined, true);
  }
  // Connected, then the socket failed before any answer: the upstream may be restarting.
  return new ProviderError(
    `${provider} upstream closed the connection before answering: ${detail}`,
    'first_byte',
    undefined,
    true,
  );
}

/** The body broke after the answer started. JSON answers can be retried elsewhere; started streams cannot. */
export function bodyError(provider: string, err: unknown, phase: 'response' | 'stream'): ProviderError {
  if (err instanceof ProviderError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new ProviderError(
    `${provider} upstream connection dropped mid-answer: ${detail}`,
    phase,
    undefined,
    phase === 'response',
  );
}

export function stalledError(provider: string, ms: number): ProviderError {
  return new ProviderError(`${provider} upstream sent nothing for ${ms} ms mid-answer`, 'stream', undefined, false);
}

export function streamEndedEarly(provider: string): ProviderError {
  return new ProviderError(`${provider} upstream stream ended before it was complete`, 'stream', undefined, false);
}

export function malformedError(provider: string, what: string): ProviderError {
  return new ProviderError(`${provider} upstream sent malformed ${what}`, 'response', undefined, true);
}
