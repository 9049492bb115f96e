// Weak labels inferred from what users do, so the router learns even without explicit ratings:
//  - override: soon after an auto answer the same client sends the same conversation again forcing
//    ANOTHER model → the auto pick was probably not good enough;
//  - regenerate: the same client re-asks the same conversation through auto once, after reading the
//    answer → the first answer was not kept;
//  - error: a model failed upstream → a small negative for that model on this kind of prompt.
//
// A repeat is only a user's reaction when a user made it. Programs repeat prompts too: a health
// check every 30 s, a batch job sending one prompt 30 times, several clients sharing a prompt,
// concurrent requests. So a repeat counts only
//  - from the same client (RunContext.client: the API key or `user` of an HTTP request, the VS Code
//    window of an RPC one; else the door) for the same conversation (every message, not just the
//    last prompt),
//  - started after the answer it reacts to had ended, a regenerate at least READING_MS after (a
//    person reads first; a concurrent or back-to-back repeat is a program's), and within
//    REPEAT_WINDOW_MS of it,
//  - once per answer: a regenerate is recorded only when no further repeat of the conversation by
//    that client follows within REPEAT_WINDOW_MS. A third ask in a row is a pattern (a health check,
//    a loop), and then none of the series' repeats is a judgement.
import { createHash } from 'node:crypto';
import type { RequestRecord } from '../core/ports';
import type { ServiceDeps } from './deps';
import type { Feedback } from './feedback';
import { CANCELLED_ATTEMPT } from './upstream';

/** How long after an answer a repeat of its conversation counts as a reaction to it. */
export const REPEAT_WINDOW_MS = 5 * 60_000;
/** A repeat sooner than this after the answer ended was not made by someone who read it. */
export const READING_MS = 3_000;
const MAX_REMEMBERED = 500;
/** Ratings (1–5) and label weights: implicit signals count for much less than a user's rating. */
const IMPLICIT_RATING = 2;
const OVERRIDE_WEIGHT = 0.5;
const REGENERATE_WEIGHT = 0.3;
const ERROR_WEIGHT = 0.1;

export interface RepeatTiming {
  windowMs: number;
  readingMs: number;
  /** Runs `fn` after `ms` (a regenerate waits to see whether the series goes on); returns a cancel. */
  schedule: (fn: () => void, ms: number) => () => void;
}

const DEFAULT_TIMING: RepeatTiming = {
  windowMs: REPEAT_WINDOW_MS,
  readingMs: READING_MS,
  schedule: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref(); // a pending signal never keeps the daemon alive
    return () => clearTimeout(timer);
  },
};

/** One client's recent asks of one conversation. */
interface Series {
  /** The first answer: the only one a regenerate may judge. */
  first: { request_id: string; model: string; auto: boolean; routingText: string };
  /** When the latest ask of the series ended. */
  lastEnd: number;
  /** Repeats so far (asks after the first). */
  repeats: number;
  /** A program repeats this conversation: no signal from this series. */
  automated: boolean;
  /** Cancels the regenerate signal waiting for the series to stop. */
  cancelPending?: () => void;
}

export class ImplicitSignals {
  /** Recent series by client and conversation; a Map keeps insertion order, so the oldest is evicted first. */
  private readonly recent = new Map<string, Series>();

  constructor(
    private readonly deps: ServiceDeps,
    /** Also told of each request's opening and end by the chat service (early ratings wait for the record). */
    readonly feedback: Feedback,
    private readonly timing: RepeatTiming = DEFAULT_TIMING,
  ) {}

  /** `client`: who asked (RunContext.client); undefined when the door cannot tell clients apart. */
  afterRequest(record: RequestRecord, forced: boolean, client?: string): void {
    const settings = this.deps.config().feedback;
    if (!settings.enabled || !settings.implicitSignals || !record.routing_text) return;
    this.repeat(record, forced, client);
    for (const attempt of record.attempts) {
      if (attempt.status !== 'error' || attempt.error === CANCELLED_ATTEMPT) continue;
      // A 4xx is about the request (malformed, too large), the account (key, quota) or the rate, not
      // about how well the model answers: counted, any client could push the router off a model for
      // chosen prompts by sending bad requests. 5xx, timeouts and broken answers are the model's.
      const status = attempt.upstream_status;
      if (status !== undefined && status >= 400 && status < 500) continue;
      this.feedback.outcome({
        prompt: record.routing_text,
        model: attempt.model,
        score: 0,
        weight: ERROR_WEIGHT,
        source: 'implicit:error',
        request_id: record.request_id,
      });
    }
  }

  private repeat(record: RequestRecord, forced: boolean, client: string | undefined): void {
    const { windowMs, readingMs } = this.timing;
    const end = record.created_at;
    const start = end - record.latency_ms;
    const key = seriesKey(client ?? record.source, record);
    const series = this.recent.get(key);
    if (!series || start - series.lastEnd > windowMs) {
      series?.cancelPending?.(); // (its wait outlasts the window: already recorded)
      if (record.status !== 'ok' || !record.answered_by) return void this.recent.delete(key);
      this.remember(key, {
        first: {
          request_id: record.request_id,
          model: record.answered_by,
          auto: !forced,
          routingText: record.routing_text,
        },
        lastEnd: end,
        repeats: 0,
        automated: false,
      });
      return;
    }
    series.repeats += 1;
    const gap = start - series.lastEnd;
    series.lastEnd = Math.max(series.lastEnd, end);
    // Forcing another model is deliberate (no reading time asked), but not while the answer was running.
    const reaction = forced ? gap >= 0 : gap >= readingMs;
    if (!reaction || series.repeats > 1) {
      // Concurrent, back-to-back, or a third ask: a program's repeats judge nothing.
      series.automated = true;
      series.cancelPending?.();
      series.cancelPending = undefined;
      return;
    }
    if (series.automated || !series.first.auto) return;
    const { first } = series;
    if (forced) {
      if (record.answered_by && record.answered_by !== first.model)
        this.feedback.implicit(
          first.request_id,
          first.routingText,
          first.model,
          IMPLICIT_RATING,
          'implicit:override',
          OVERRIDE_WEIGHT,
        );
      return;
    }
    // Recorded once the series has stopped: a repeat that goes on is a program's.
    series.cancelPending = this.timing.schedule(() => {
      series.cancelPending = undefined;
      if (series.automated) return;
      try {
        this.feedback.implicit(
          first.request_id,
          first.routingText,
          first.model,
          IMPLICIT_RATING,
          'implicit:regenerate',
          REGENERATE_WEIGHT,
        );
      } catch {
        // The store closed meanwhile (the daemon stopped): a weak signal is not worth more.
      }
    }, windowMs);
  }

  private remember(key: string, series: Series): void {
    this.recent.delete(key);
    this.recent.set(key, series);
    if (this.recent.size > MAX_REMEMBERED) this.recent.delete(this.recent.keys().next().value!);
  }
}

/** Client and conversation, hashed: the key holds no prompt text or key material. */
function seriesKey(client: string, record: RequestRecord): string {
  return createHash('sha256')
    .update(client)
    .update('\u0000')
    .update(JSON.stringify(record.messages))
    .digest('base64url');
}
