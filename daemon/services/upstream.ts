// Calling models in plan order with fallback: a retryable failure before any byte reached the
// client moves on to the next candidate. Every attempt is recorded (for the trace) and feeds the
// cooldown tracker. Shared by the chat service and the orchestrator's Gateway.
import type { AttemptRecord } from '../../shared/api';
import type { ModelConfig } from '../../shared/config';
import { FugusashiError } from '../../shared/errors';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../shared/openai';
import type { CooldownTracker } from '../core/cooldown';
import { ProviderError, type ProviderCallOptions } from '../providers/types';
import type { ServiceDeps } from './deps';
import { withinOutputLimit } from './output-limit';

export interface OpenedStream {
  config: ModelConfig;
  first: ChatCompletionChunk | undefined;
  rest: AsyncIterator<ChatCompletionChunk>;
  /** The attempt in progress (finished by the caller when the stream ends). */
  attempt: AttemptRecord;
  startedAt: number;
}

/** The error text of an attempt the client cancelled (not a failure of the model). */
export const CANCELLED_ATTEMPT = 'cancelled by the client';

/** Upstream statuses that say "this model is unusable right now", not "the request is bad". */
const MODEL_UNUSABLE = new Set([401, 403, 404, 408, 409]);

export class Upstreams {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly cooldown: CooldownTracker,
  ) {}

  /** Non-streaming call with fallback. `attempts` is filled in even when this throws. */
  async complete(
    order: readonly string[],
    request: ChatCompletionRequest,
    signal: AbortSignal,
    attempts: AttemptRecord[],
  ): Promise<{ completion: ChatCompletion; config: ModelConfig }> {
    for (const name of order) {
      const { config, provider, skip } = this.resolve(name, attempts);
      if (skip) continue;
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
        const { stream_options: _dropped, ...rest } = request;
        const upstreamRequest = withinOutputLimit({ ...rest, model: config.model, stream: false }, config);
        const completion = await provider.chat(config, upstreamRequest, this.options(signal));
        attempt.duration_ms = ms(started);
        attempt.first_byte_ms = attempt.duration_ms;
        this.cooldown.recordSuccess(name);
        return { completion, config };
      } catch (err) {
        this.fail(attempt, started, err, signal);
      }
    }
    throw allFailed(attempts);
  }

  /**
   * Opens a stream and waits for its first chunk; only then is the model committed to (nothing has
   * been sent to the client before that, so falling through is still invisible).
   */
  async openStream(
    order: readonly string[],
    request: ChatCompletionRequest,
    signal: AbortSignal,
    attempts: AttemptRecord[],
  ): Promise<OpenedStream> {
    for (const name of order) {
      const { config, provider, skip } = this.resolve(name, attempts);
      if (skip) continue;
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
        // Ask for usage always: it prices the answer; the client sees it only if it asked.
        const upstreamRequest = withinOutputLimit(
          { ...request, model: config.model, stream: true, stream_options: { include_usage: true } },
          config,
        );
        const rest = provider.chatStream(config, upstreamRequest, this.options(signal))[Symbol.asyncIterator]();
        const first = await rest.next();
        attempt.first_byte_ms = ms(started);
        this.cooldown.recordSuccess(name);
        return { config, first: first.done ? undefined : first.value, rest, attempt, startedAt: started };
      } catch (err) {
        this.fail(attempt, started, err, signal);
      }
    }
    throw allFailed(attempts);
  }

  /** Finishes a streamed attempt that failed after its first chunk (no fallback possible then). */
  streamFailed(opened: OpenedStream, err: unknown): void {
    opened.attempt.duration_ms = ms(opened.startedAt);
    opened.attempt.status = 'error';
    const aborted = err instanceof ProviderError && err.phase === 'aborted';
    opened.attempt.error = aborted ? CANCELLED_ATTEMPT : describe(err);
    if (err instanceof ProviderError && err.status !== undefined) opened.attempt.upstream_status = err.status;
    if (!aborted) this.cooldown.recordFailure(opened.config.name);
  }

  streamDone(opened: OpenedStream): void {
    opened.attempt.duration_ms = ms(opened.startedAt);
  }

  private resolve(name: string, attempts: AttemptRecord[]) {
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
      return { config: config!, provider: provider!, skip: true };
    }
    return { config, provider, skip: false };
  }

  private options(signal: AbortSignal): ProviderCallOptions {
    const config = this.deps.config();
    return { signal, connectTimeoutMs: config.connectTimeoutMs, firstByteTimeoutMs: config.firstByteTimeoutMs };
  }

  /** Records the failure; throws when falling through to the next model would be wrong. */
  private fail(attempt: AttemptRecord, started: number, err: unknown, signal: AbortSignal): void {
    attempt.duration_ms = ms(started);
    attempt.status = 'error';
    attempt.error = describe(err);
    if (err instanceof ProviderError && err.status !== undefined) attempt.upstream_status = err.status;
    if (signal.aborted || (err instanceof ProviderError && err.phase === 'aborted')) {
      attempt.error = CANCELLED_ATTEMPT;
      throw new FugusashiError('Cancelled', 'The request was cancelled by the client.');
    }
    if (err instanceof ProviderError && !err.retryable && !MODEL_UNUSABLE.has(err.status ?? 0)) {
      // The upstream says the request itself is bad (400, 422…): another model would say the same.
      throw new FugusashiError(
        'InvalidRequest',
        `${attempt.model} rejected the request: ${err.upstreamMessage ?? err.message}`,
        null,
        { upstream_status: err.status },
      );
    }
    this.cooldown.recordFailure(attempt.model);
  }
}

function allFailed(attempts: readonly AttemptRecord[]): FugusashiError {
  if (attempts.length === 0) return new FugusashiError('NoModels', 'No candidate model to call.');
  const reasons = attempts.map((a) => `${a.model}: ${a.error ?? 'failed'}`).join('; ');
  return new FugusashiError('UpstreamFailed', `All ${attempts.length} upstream attempt(s) failed — ${reasons}`, null, {
    attempts,
  });
}

export function describe(err: unknown): string {
  if (err instanceof ProviderError) {
    const status = err.status !== undefined ? `HTTP ${err.status} ` : '';
    const upstream =
      err.upstreamMessage && !err.message.includes(err.upstreamMessage) ? `: ${err.upstreamMessage}` : '';
    return `${status}${err.phase}: ${err.message}${upstream}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function ms(since: number): number {
  return Math.round((performance.now() - since) * 100) / 100;
}
