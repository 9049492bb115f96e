// Calling models in plan order with fallback: any failure of a model before a byte of its answer
// reached the client moves on to the next candidate (5xx, 429, resets, timeouts, malformed JSON or
// SSE, a stream that drops before its first content). Only a 4xx that says the request itself is
// bad stops the loop. Every attempt is recorded (for the trace) and feeds the circuit breaker
// (core/cooldown): a cooling model is skipped, a half-open one takes a single probe, a model with no
// success yet takes a few requests at a time. Everything an upstream sends back is redacted of
// credentials before it is recorded or thrown. Shared by the chat service and the orchestrator.
import type { AttemptRecord } from '../../shared/api';
import type { ModelConfig } from '../../shared/config';
import { FugusashiError } from '../../shared/errors';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../shared/openai';
import { headerSecrets, redactSecrets } from '../config/redact';
import { MAX_RETRY_AFTER_SECONDS, UNPROVEN_IN_FLIGHT, type CooldownTracker } from '../core/cooldown';
import { UpstreamStatusError } from '../providers/transport/errors';
import { ProviderError, type CancelSignal, type LlmProvider, type ProviderCallOptions } from '../providers/types';
import type { ServiceDeps } from './deps';
import { firstByteWaitMs } from './first-byte-wait';
import { withinOutputLimit } from './output-limit';

export interface OpenedStream {
  config: ModelConfig;
  first: ChatCompletionChunk | undefined;
  rest: AsyncIterator<ChatCompletionChunk>;
  /** The attempt in progress (finished by the caller when the stream ends). */
  attempt: AttemptRecord;
  startedAt: number;
  /** The circuit breaker's admission, given back once (streamDone). */
  admission: { probe: boolean; released: boolean };
}

/** The error text of an attempt the client cancelled (not a failure of the model). */
export const CANCELLED_ATTEMPT = 'cancelled by the client';

/** Upstream statuses that say "this model is unusable right now", not "the request is bad". */
const MODEL_UNUSABLE = new Set([401, 403, 404, 408, 409, 429]);

/**
 * Chunks read before a stream is committed to, when none of them carries any answer yet (OpenAI's
 * role-only first chunk). Holding them keeps a drop right after them invisible to the client.
 */
const MAX_HELD_CHUNKS = 8;

/** A model the breaker turned away for this request. */
interface Refusal {
  model: string;
  reason: 'cooling' | 'probing';
  retryAfterSeconds: number;
  rateLimited: boolean;
}

interface Committed<T> {
  value: T;
  config: ModelConfig;
  attempt: AttemptRecord;
  started: number;
  probe: boolean;
}

export class Upstreams {
  /** Credentials of the current pool (keys, secret headers), per config object. */
  private readonly secretsByPool = new WeakMap<readonly ModelConfig[], string[]>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly cooldown: CooldownTracker,
  ) {}

  /** Non-streaming call with fallback. `attempts` is filled in even when this throws. */
  async complete(
    order: readonly string[],
    request: ChatCompletionRequest,
    signal: CancelSignal,
    attempts: AttemptRecord[],
  ): Promise<{ completion: ChatCompletion; config: ModelConfig }> {
    const { stream_options: _dropped, ...rest } = request;
    const done = await this.attemptInOrder(order, signal, attempts, async (config, provider, attempt, started) => {
      const upstreamRequest = withinOutputLimit({ ...rest, model: config.model, stream: false }, config);
      const completion = await provider.chat(config, upstreamRequest, this.options(signal, config, rest, false));
      attempt.first_byte_ms = ms(started);
      return completion;
    });
    done.attempt.duration_ms = ms(done.started);
    this.cooldown.recordSuccess(done.config.name);
    this.cooldown.release(done.config.name, done.probe);
    return { completion: done.value, config: done.config };
  }

  /**
   * Opens a stream and reads it until a chunk carries part of the answer; only then is the model
   * committed to (nothing has been sent to the client before that, so falling through is still
   * invisible). Success is recorded when the stream completes (streamDone), not at its first chunk:
   * a model that drops every stream midway must end up cooling down.
   */
  async openStream(
    order: readonly string[],
    request: ChatCompletionRequest,
    signal: CancelSignal,
    attempts: AttemptRecord[],
  ): Promise<OpenedStream> {
    // Ask for usage always: it prices the answer; the client sees it only if it asked.
    const done = await this.attemptInOrder(order, signal, attempts, async (config, provider, attempt, started) => {
      const upstreamRequest = withinOutputLimit(
        { ...request, model: config.model, stream: true, stream_options: { include_usage: true } },
        config,
      );
      const it = provider
        .chatStream(config, upstreamRequest, this.options(signal, config, request, true))
        [Symbol.asyncIterator]();
      const held: ChatCompletionChunk[] = [];
      try {
        while (held.length < MAX_HELD_CHUNKS) {
          const next = await it.next();
          attempt.first_byte_ms ??= ms(started);
          if (next.done) return { held, it, ended: true };
          held.push(next.value);
          if (carriesAnswer(next.value)) break;
        }
        return { held, it, ended: false };
      } catch (err) {
        await it.return?.(undefined)?.catch(() => undefined);
        throw err;
      }
    });
    const { held, it, ended } = done.value;
    return {
      config: done.config,
      first: held[0],
      rest: new Remainder(held, it, ended, (err) => this.sanitize(err)),
      attempt: done.attempt,
      startedAt: done.started,
      admission: { probe: done.probe, released: false },
    };
  }

  /** Finishes a streamed attempt that failed after it was committed to (no fallback possible then). */
  streamFailed(opened: OpenedStream, err: unknown): void {
    const clean = this.sanitize(err);
    opened.attempt.duration_ms = ms(opened.startedAt);
    opened.attempt.status = 'error';
    const aborted = clean instanceof ProviderError && clean.phase === 'aborted';
    opened.attempt.error = aborted ? CANCELLED_ATTEMPT : describe(clean);
    if (clean instanceof ProviderError && clean.status !== undefined) opened.attempt.upstream_status = clean.status;
    if (!aborted) this.cooldown.recordFailure(opened.config.name, retryAfterOf(clean));
  }

  /** Always called when a stream ends (after streamFailed too): records a success, gives the admission back. */
  streamDone(opened: OpenedStream): void {
    opened.attempt.duration_ms = ms(opened.startedAt);
    if (opened.admission.released) return;
    opened.admission.released = true;
    if (opened.attempt.status === 'ok') this.cooldown.recordSuccess(opened.config.name);
    this.cooldown.release(opened.config.name, opened.admission.probe);
  }

  /**
   * The one attempt loop. Models the breaker turns away are skipped; models at their cap of
   * concurrent unproven requests are tried last (without the cap) so a one-model pool still answers.
   */
  private async attemptInOrder<T>(
    order: readonly string[],
    signal: CancelSignal,
    attempts: AttemptRecord[],
    call: (config: ModelConfig, provider: LlmProvider, attempt: AttemptRecord, started: number) => Promise<T>,
  ): Promise<Committed<T>> {
    const refused: Refusal[] = [];
    const rateLimits: number[] = [];
    let queue: readonly string[] = order;
    let cap = UNPROVEN_IN_FLIGHT;
    for (;;) {
      const deferred: string[] = [];
      for (const name of queue) {
        const target = this.resolve(name, attempts);
        if (!target) continue;
        const admission = this.cooldown.admit(name, cap);
        if (!admission.admitted) {
          if (admission.reason === 'busy') deferred.push(name);
          else refused.push({ model: name, ...admission, reason: admission.reason });
          continue;
        }
        const started = performance.now();
        const attempt: AttemptRecord = {
          model: name,
          started_at: Date.now(),
          first_byte_ms: null,
          duration_ms: 0,
          status: 'ok',
        };
        attempts.push(attempt);
        try {
          const value = await call(target.config, target.provider, attempt, started);
          return { value, config: target.config, attempt, started, probe: admission.probe };
        } catch (err) {
          try {
            const retryAfter = this.fail(attempt, started, err, signal);
            // Capped as the model's cooldown is: an upstream's "Retry-After: 99999999" (or a date in
            // 2099) told the client to wait three years while the model came back within the hour.
            if (retryAfter !== undefined) rateLimits.push(Math.min(retryAfter, MAX_RETRY_AFTER_SECONDS));
          } finally {
            this.cooldown.release(name, admission.probe);
          }
        }
      }
      if (deferred.length === 0) break;
      queue = deferred;
      cap = Number.POSITIVE_INFINITY;
    }
    throw allFailed(attempts, refused, rateLimits);
  }

  private resolve(name: string, attempts: AttemptRecord[]): { config: ModelConfig; provider: LlmProvider } | null {
    const config = this.deps.config().pool.find((m) => m.name === name);
    const provider = config ? this.deps.provider(config.provider) : undefined;
    if (!config || !provider) {
      const error = !config
        ? 'not in the pool any more (config reloaded)'
        : `no adapter for provider "${config.provider}"`;
      attempts.push({
        model: name,
        started_at: Date.now(),
        first_byte_ms: null,
        duration_ms: 0,
        status: 'error',
        error,
      });
      return null;
    }
    return { config, provider };
  }

  private options(signal: CancelSignal, model: ModelConfig, request: object, streamed: boolean): ProviderCallOptions {
    const config = this.deps.config();
    return {
      signal,
      connectTimeoutMs: config.connectTimeoutMs,
      firstByteTimeoutMs: firstByteWaitMs(config, model, request, streamed),
      // Silence once the answer has started is a stall whatever kind of answer it is.
      idleTimeoutMs: config.firstByteTimeoutMs,
    };
  }

  /**
   * Records the failure; throws when falling through to the next model would be wrong (the client
   * cancelled, or the upstream says the request itself is bad). Returns the upstream's Retry-After.
   */
  private fail(attempt: AttemptRecord, started: number, err: unknown, signal: CancelSignal): number | undefined {
    if (err instanceof RangeError) {
      // Building the upstream body overflowed the stack (JSON nested thousands deep that came in
      // through a door without a depth check): the request's fault, never the model's.
      attempt.duration_ms = ms(started);
      attempt.status = 'error';
      attempt.error = `request could not be encoded: ${err.message}`;
      throw new FugusashiError('InvalidRequest', `The request could not be encoded for the upstream: ${err.message}`);
    }
    const clean = this.sanitize(err);
    attempt.duration_ms = ms(started);
    attempt.status = 'error';
    attempt.error = describe(clean);
    if (clean instanceof ProviderError && clean.status !== undefined) attempt.upstream_status = clean.status;
    if (signal.aborted || (clean instanceof ProviderError && clean.phase === 'aborted')) {
      attempt.error = CANCELLED_ATTEMPT;
      throw new FugusashiError('Cancelled', 'The request was cancelled by the client.');
    }
    if (rejectsRequest(clean)) {
      // The upstream says the request itself is bad (400, 422…): another model would say the same.
      throw new FugusashiError(
        'InvalidRequest',
        `${attempt.model} rejected the request: ${clean.upstreamMessage ?? clean.message}`,
        null,
        { upstream_status: clean.status },
      );
    }
    const retryAfter = retryAfterOf(clean);
    this.cooldown.recordFailure(attempt.model, retryAfter);
    return clean instanceof ProviderError && clean.status === 429 ? (retryAfter ?? 1) : undefined;
  }

  /** The error with every credential of the pool (and anything that looks like one) redacted. */
  private sanitize(err: unknown): unknown {
    if (err instanceof FugusashiError) return err;
    const secrets = this.secrets();
    const clean = (text: string | undefined) => (text === undefined ? undefined : redactSecrets(text, secrets));
    if (err instanceof UpstreamStatusError) {
      return new UpstreamStatusError(
        clean(err.message)!,
        err.status ?? 0,
        err.retryable,
        clean(err.upstreamMessage),
        err.retryAfterSeconds,
      );
    }
    if (err instanceof ProviderError) {
      return new ProviderError(clean(err.message)!, err.phase, err.status, err.retryable, clean(err.upstreamMessage));
    }
    return new Error(clean(err instanceof Error ? err.message : String(err)));
  }

  private secrets(): string[] {
    const pool = this.deps.config().pool;
    let secrets = this.secretsByPool.get(pool);
    if (!secrets) {
      secrets = [];
      for (const m of pool) {
        if (m.api_key) secrets.push(m.api_key);
        // Every value the user configured under headers: is searched for, whatever the header's name:
        // which of them are credentials only the user knows (an echoed one reached clients and the store).
        if (m.headers) {
          for (const value of Object.values(m.headers)) if (typeof value === 'string') secrets.push(value);
          secrets.push(...headerSecrets(m.headers));
        }
        const userinfo = m.api_base ? /^[a-z][a-z0-9+.-]*:\/\/([^@/?#]+)@/i.exec(m.api_base)?.[1] : undefined;
        if (userinfo) secrets.push(userinfo, ...userinfo.split(':'));
      }
      // Longest first, so a key that contains another is replaced whole.
      secrets.sort((a, b) => b.length - a.length);
      this.secretsByPool.set(pool, secrets);
    }
    return secrets;
  }
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * The held chunks after the first, then the rest of the upstream stream; errors come out redacted.
 * A plain iterator rather than an async generator: a generator layer costs a promise and a
 * resumption per chunk on the streaming path.
 */
class Remainder implements AsyncIterator<ChatCompletionChunk> {
  private index = 1;
  private closed = false;

  constructor(
    private readonly held: readonly ChatCompletionChunk[],
    private readonly it: AsyncIterator<ChatCompletionChunk>,
    /** The upstream stream ended while its first chunks were read. */
    private readonly ended: boolean,
    private readonly sanitize: (err: unknown) => unknown,
  ) {}

  next(): Promise<IteratorResult<ChatCompletionChunk>> {
    if (this.closed) return Promise.resolve(DONE);
    if (this.index < this.held.length) return Promise.resolve({ done: false, value: this.held[this.index++]! });
    if (this.ended) {
      this.closed = true;
      return Promise.resolve(DONE);
    }
    return this.it.next().then(
      (next) => {
        if (!next.done) return next;
        this.closed = true;
        return DONE;
      },
      (err: unknown) => {
        this.closed = true;
        throw this.sanitize(err);
      },
    );
  }

  /** The consumer stopped early (client gone): close the upstream stream too. */
  async return(): Promise<IteratorResult<ChatCompletionChunk>> {
    if (!this.closed) {
      this.closed = true;
      if (!this.ended) await this.it.return?.(undefined)?.catch(() => undefined);
    }
    return DONE;
  }
}

/** A 4xx (other than 401/403/404/408/409/429) about the request: every model would refuse it. */
function rejectsRequest(err: unknown): err is ProviderError {
  return (
    err instanceof ProviderError &&
    err.phase === 'response' &&
    err.status !== undefined &&
    err.status >= 400 &&
    err.status < 500 &&
    !MODEL_UNUSABLE.has(err.status)
  );
}

function retryAfterOf(err: unknown): number | undefined {
  return err instanceof UpstreamStatusError ? err.retryAfterSeconds : undefined;
}

/** True once a chunk carries part of the answer (text, a tool call, a refusal, the end or usage). */
function carriesAnswer(chunk: ChatCompletionChunk): boolean {
  if (chunk.usage || chunk.orchestration) return true;
  if (!Array.isArray(chunk.choices)) return false;
  for (const choice of chunk.choices) {
    if (choice.finish_reason) return true;
    const delta = choice.delta as (typeof choice.delta & { refusal?: unknown }) | undefined;
    if (delta && (delta.content || delta.tool_calls?.length || delta.refusal)) return true;
  }
  return false;
}

function allFailed(
  attempts: readonly AttemptRecord[],
  refused: readonly Refusal[],
  rateLimits: readonly number[],
): FugusashiError {
  if (attempts.length === 0 && refused.length === 0)
    return new FugusashiError('NoModels', 'No candidate model to call.');
  const soonest = Math.max(1, Math.ceil(Math.min(...refused.map((r) => r.retryAfterSeconds), ...rateLimits)));
  const refusedText = refused
    .map((r) =>
      r.reason === 'probing'
        ? `${r.model}: recovering from a cooldown (one trial request is in flight)`
        : `${r.model}: cooling down ${r.rateLimited ? 'after its upstream answered 429' : 'after repeated failures'} (${r.retryAfterSeconds} s left)`,
    )
    .join('; ');
  const allRateLimited =
    refused.every((r) => r.rateLimited) &&
    attempts.every((a) => a.upstream_status === 429) &&
    (attempts.length > 0 || refused.length > 0);
  if (allRateLimited) {
    const reasons = [...attempts.map((a) => `${a.model}: ${a.error ?? 'HTTP 429'}`), refusedText].filter(Boolean);
    return new FugusashiError(
      'RateLimited',
      `Every candidate model is rate limited by its upstream; retry in ${soonest} s — ${reasons.join('; ')}`,
      null,
      { attempts, retry_after_s: soonest },
    );
  }
  if (attempts.length === 0) {
    return new FugusashiError(
      'ModelCoolingDown',
      `No model can take this request now; retry in ${soonest} s — ${refusedText}. Models cool down after ` +
        'repeated upstream failures (routing.cooldown_failures / routing.cooldown_seconds).',
      'model',
      { attempts, retry_after_s: soonest },
    );
  }
  const reasons = attempts.map((a) => `${a.model}: ${a.error ?? 'failed'}`).join('; ');
  return new FugusashiError(
    'UpstreamFailed',
    `All ${attempts.length} upstream attempt(s) failed — ${reasons}${refusedText ? `; skipped ${refusedText}` : ''}`,
    null,
    { attempts },
  );
}

/**
 * What a failure the service reports carries of the upstream's own: its HTTP status (an Anthropic
 * upstream's in-stream error type becomes one: overloaded_error is 529), so a door can tell its
 * client "overloaded" or "rate limited" in its own format. Nothing of the upstream's text.
 */
export function upstreamDetails(err: unknown): { upstream_status: number } | undefined {
  return err instanceof ProviderError && err.status !== undefined ? { upstream_status: err.status } : undefined;
}

/** One line about an upstream failure, with anything that looks like a credential redacted. */
export function describe(err: unknown): string {
  if (err instanceof ProviderError) {
    const status = err.status !== undefined ? `HTTP ${err.status} ` : '';
    const upstream =
      err.upstreamMessage && !err.message.includes(err.upstreamMessage) ? `: ${err.upstreamMessage}` : '';
    return redactSecrets(`${status}${err.phase}: ${err.message}${upstream}`);
  }
  return redactSecrets(err instanceof Error ? err.message : String(err));
}

function ms(since: number): number {
  return Math.round((performance.now() - since) * 100) / 100;
}
