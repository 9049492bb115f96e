// Weak labels inferred from what users do, so the router learns even without explicit ratings:
//  - override: soon after an auto answer the same prompt is sent again forcing ANOTHER model → the
//    auto pick was probably not good enough;
//  - regenerate: the same prompt sent again through auto soon after → the first answer was not kept;
//  - error: a model failed upstream → a small negative for that model on this kind of prompt.
import type { RequestRecord } from '../core/ports';
import type { ServiceDeps } from './deps';
import type { Feedback } from './feedback';
import { CANCELLED_ATTEMPT } from './upstream';

/** How long after an answer a repeat of its prompt counts as a reaction to it. */
export const REPEAT_WINDOW_MS = 10 * 60_000;
const MAX_REMEMBERED = 500;
/** Ratings (1–5) and label weights: implicit signals count for much less than a user's rating. */
const IMPLICIT_RATING = 2;
const OVERRIDE_WEIGHT = 0.5;
const REGENERATE_WEIGHT = 0.3;
const ERROR_WEIGHT = 0.1;

interface Answered {
  request_id: string;
  model: string;
  auto: boolean;
  at: number;
}

export class ImplicitSignals {
  /** Recent answers by routing text; a Map keeps insertion order, so the oldest is evicted first. */
  private readonly recent = new Map<string, Answered>();

  constructor(
    private readonly deps: ServiceDeps,
    /** Also told of each request's opening and end by the chat service (early ratings wait for the record). */
    readonly feedback: Feedback,
  ) {}

  afterRequest(record: RequestRecord, forced: boolean): void {
    const settings = this.deps.config().feedback;
    if (!settings.enabled || !settings.implicitSignals || !record.routing_text) return;
    const now = record.created_at;
    const key = record.routing_text;
    const previous = this.recent.get(key);
    if (previous && previous.auto && now - previous.at <= REPEAT_WINDOW_MS) {
      if (forced && record.answered_by !== previous.model) {
        this.feedback.implicit(
          previous.request_id,
          key,
          previous.model,
          IMPLICIT_RATING,
          'implicit:override',
          OVERRIDE_WEIGHT,
        );
        this.recent.delete(key);
      } else if (!forced) {
        this.feedback.implicit(
          previous.request_id,
          key,
          previous.model,
          IMPLICIT_RATING,
          'implicit:regenerate',
          REGENERATE_WEIGHT,
        );
        this.recent.delete(key);
      }
    }
    for (const attempt of record.attempts) {
      if (attempt.status !== 'error' || attempt.error === CANCELLED_ATTEMPT) continue;
      this.feedback.outcome({
        prompt: key,
        model: attempt.model,
        score: 0,
        weight: ERROR_WEIGHT,
        source: 'implicit:error',
        request_id: record.request_id,
      });
    }
    if (record.status === 'ok' && record.answered_by) {
      this.recent.delete(key);
      this.recent.set(key, { request_id: record.request_id, model: record.answered_by, auto: !forced, at: now });
      if (this.recent.size > MAX_REMEMBERED) this.recent.delete(this.recent.keys().next().value!);
    }
  }
}
