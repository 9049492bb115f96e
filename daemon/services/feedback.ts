// The feedback loop: ratings and training rows become outcomes the learner sees at once
// (learner.observe, no rebuild); heavier refits run in the background every N outcomes or on request.
import type {
  FeedbackRecord,
  FeedbackSource,
  FeedbackStats,
  ModelRanking,
  RateParams,
  RateResult,
  Trace,
} from '../../shared/api';
import { FugusashiError } from '../../shared/errors';
import { routingText } from '../core/features';
import { IMPORTED_RATING_SOURCE, type NewOutcome, type Outcome } from '../core/ports';
import type { OrchestratorPort, ServiceDeps } from './deps';
import { currentUser, currentViewer } from '../team/request-context';
import { sourceDigest } from './import-keys';
import { ratingScore } from './rating';
import { parseCsv, parseJsonLines, validateRows } from './training-rows';
import type { FeedbackService, LiveEvents, TrainingResult } from './types';
import { unmatchedModels, unmatchedWarning } from './unmatched-models';

export { ratingScore };

/** Feedback sources that are the user's own word on an answer. */
const USER_RATINGS: readonly FeedbackSource[] = ['explicit', 'thumbs'];

/** Requests in flight remembered for early ratings; far above any concurrency a daemon serves. */
const MAX_IN_FLIGHT = 10_000;

/** The first refit comes after this many outcomes (countTowardRetrain). */
const FIRST_REFIT_AT = 20;

export class Feedback implements FeedbackService {
  private sinceRetrain = 0;
  /**
   * Requests being answered, with the ratings that arrived before their record (requestOpened), and
   * whose request it is (team mode: its API key's user; null without a key).
   */
  private readonly inFlight = new Map<string, { user: string | null; waiting: RateParams[] }>();
  private retrainRunning: Promise<void> | null = null;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly events: LiveEvents,
    private readonly orchestrator: () => OrchestratorPort | null = () => null,
  ) {}

  rate(params: RateParams): RateResult {
    if (!params || typeof params.request_id !== 'string' || !params.request_id) {
      throw new FugusashiError('InvalidRequest', "'request_id' is required", 'request_id');
    }
    const rating = ratingOf(params);
    const trace = this.deps.store.getTrace(params.request_id);
    if (!trace) {
      // A streamed answer's id reaches the client with its first chunk, its record only at the end.
      const opened = this.inFlight.get(params.request_id);
      // Team mode: another user's request in flight is as unknown as their stored ones (the store's reads).
      const viewer = currentViewer();
      const waiting = opened && (viewer === null || opened.user === viewer) ? opened.waiting : undefined;
      if (!waiting) throw new FugusashiError('NotFound', `Unknown request id "${params.request_id}"`, 'request_id');
      waiting.push({ ...params });
      return { request_id: params.request_id, rating, stored: true, pending: true };
    }
    return this.rateStored(trace, params, rating);
  }

  /**
   * A request is being answered (the chat service opened its record): a rating of it that arrives
   * before the record is stored waits for it (requestClosed) instead of being refused.
   */
  requestOpened(requestId: string): void {
    // Opened again under the same id (a team that did not answer leaves it to the routed model): keep what waits.
    if (this.inFlight.has(requestId)) return;
    this.inFlight.set(requestId, { user: currentUser(), waiting: [] });
    // Every opened record is closed (services/outcome.ts); the bound only guards against a leak.
    if (this.inFlight.size > MAX_IN_FLIGHT) this.inFlight.delete(this.inFlight.keys().next().value!);
  }

  /** The request's record was stored (`kept`) or could not be: ratings that waited for it are applied or dropped. */
  requestClosed(requestId: string, kept: boolean): void {
    const waiting = this.inFlight.get(requestId)?.waiting;
    this.inFlight.delete(requestId);
    if (!waiting?.length) return;
    if (!kept) {
      this.deps.log?.(`${waiting.length} rating(s) of request ${requestId} dropped: its record could not be stored`);
      return;
    }
    for (const params of waiting) {
      try {
        this.rate(params);
      } catch (err) {
        this.deps.log?.(
          `rating of request ${requestId} not applied: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }

  private rateStored(trace: Trace, params: RateParams, rating: number): RateResult {
    const source: FeedbackSource = params.rating !== undefined ? 'explicit' : 'thumbs';
    const feedback: FeedbackRecord = {
      request_id: params.request_id,
      rating,
      source,
      weight: 1,
      created_at: this.now(),
    };
    if (params.comment) feedback.comment = params.comment;
    // The same rating again (a second click, a client retrying) changes nothing.
    if (sameAsStored(trace.feedback, feedback)) return { request_id: params.request_id, rating, stored: true };
    // The user's latest word on an answer replaces their earlier rating of it (a changed mind, a
    // thumbs toggled) and any implicit signal about it, so the outcomes, the stats, the export and
    // the learner hold one judgement per request, as the trace and the rankings show.
    if (trace.feedback.length > 0) {
      this.deps.store.retractJudgements(params.request_id);
      this.deps.learner?.forget?.(params.request_id);
    }
    this.deps.store.addFeedback(feedback);
    // Credit the team only for an answer it wrote: a team that stopped leaves its steps on the record
    // of a request another model answered (or that failed), and that answer is not the team's.
    const teamAnswered = trace.status === 'ok' && trace.decision.strategy === 'orchestrator' && !!trace.steps?.length;
    const orchestrator = teamAnswered ? this.orchestrator() : null;
    if (orchestrator?.creditRating && trace.steps) {
      // An orchestrated answer: the rating credits each specialist's (sub-task kind, model) pair.
      this.learn(
        orchestrator.creditRating(trace.steps, rating, {
          request_id: params.request_id,
          created_at: feedback.created_at,
        }),
      );
    } else if (trace.answered_by) {
      this.learn([
        {
          prompt: routingText(trace.messages as never),
          model: trace.answered_by,
          score: ratingScore(rating),
          weight: 1,
          source,
          request_id: params.request_id,
          created_at: feedback.created_at,
        },
      ]);
    }
    this.events.emit({ type: 'feedback', request_id: params.request_id, rating });
    return { request_id: params.request_id, rating, stored: true };
  }

  /**
   * A weak label inferred from behaviour (override, regenerate): feedback on the request + an
   * outcome. None for an answer the user rated: their rating is their word on it.
   */
  implicit(
    requestId: string,
    prompt: string,
    model: string,
    rating: number,
    source: FeedbackSource,
    weight: number,
  ): void {
    const trace = this.deps.store.getTrace(requestId);
    if (!trace) return; // the request is gone (never saved); nothing to attach the signal to
    if (trace.feedback.some((f) => USER_RATINGS.includes(f.source))) return;
    const created_at = this.now();
    try {
      this.deps.store.addFeedback({ request_id: requestId, rating, source, weight, created_at });
    } catch {
      return;
    }
    this.learn([{ prompt, model, score: ratingScore(rating), weight, source, request_id: requestId, created_at }]);
  }

  /** An outcome without a rating of its own (upstream errors). */
  outcome(row: Omit<Outcome, 'id' | 'created_at'>): void {
    this.learn([{ ...row, created_at: this.now() }]);
  }

  /** Rows sent as JSON (HTTP, JSON-RPC): a row without an identity of its own is always stored. */
  addTraining(rows: unknown): TrainingResult {
    return this.importRows(rows, null);
  }

  /** A whole file (JSON lines or CSV): the same file again stores none of its rows again. */
  importTraining(text: string, format: 'jsonl' | 'csv'): TrainingResult {
    return this.importRows(format === 'csv' ? parseCsv(text) : parseJsonLines(text), sourceDigest(text));
  }

  /**
   * Stores the rows not imported before (import-keys.ts: a row's key comes from its source, whose
   * digest is `fileDigest`, null for rows sent as JSON; a row with no key is always new), so a file
   * imported twice counts once; the learner sees only the new ones.
   */
  private importRows(rows: unknown, fileDigest: string | null): TrainingResult {
    const { rows: valid, keys, skipped, userRated } = validateRows(rows, fileDigest);
    const asked = keys.filter((key): key is string => key !== undefined);
    // null: the store cannot tell now (PostgreSQL down or slow): see importKeyed.
    const stored = asked.length > 0 ? this.deps.store.importedKeys(asked) : new Set<string>();
    const seen = new Set(stored ?? []);
    const created_at = this.now();
    const unkeyed: NewOutcome[] = [];
    const keyed: NewOutcome[] = [];
    valid.forEach((r, i) => {
      const key = keys[i];
      if (key !== undefined && seen.has(key)) return;
      const row: NewOutcome = {
        prompt: r.prompt,
        model: r.model,
        score: r.score,
        weight: r.weight ?? 1,
        // A 0.3.0 user_rating stays a user's rating: the rankings count it (queries.rankings).
        source: userRated[i] ? IMPORTED_RATING_SOURCE : 'seed',
        request_id: null,
        created_at,
      };
      if (key === undefined) {
        unkeyed.push(row);
        return;
      }
      row.import_key = key;
      seen.add(key); // a key twice in one source (two exports of one store concatenated) counts once too
      keyed.push(row);
    });
    const settled = this.importKeyed(keyed, stored === null);
    const result: TrainingResult = {
      added: this.learn(unkeyed) + settled.added,
      already_imported: valid.length - unkeyed.length - keyed.length,
    };
    if (settled.queued > 0) result.queued = settled.queued;
    // Records of a 0.3.0 outcomes.jsonl that carried no judgement (unrated, failed).
    if (skipped > 0) result.skipped = skipped;
    // Stored all the same: a model may join the pool under that name later.
    const unmatched = unmatchedModels(valid, this.deps.config().pool);
    const warning = unmatchedWarning(unmatched, valid.length);
    if (warning) {
      result.unmatched_models = unmatched;
      result.warning = warning;
    }
    return result;
  }

  /**
   * Stores imported rows the store did not hold when asked. The embedded store, its data's only
   * writer, stores them all: they are learned now. A store other daemons write (PostgreSQL) keeps
   * one outcome per key whoever writes it first, so a row found new may still be skipped at the
   * write (the same file imported through another replica at the same moment): the answer counts
   * the rows the check found new, without waiting for the write (a large import would hold the
   * daemon for as long), and the store hands the learner only the rows its write stored, so each
   * replica learns such a file once. `unchecked`: the store could not be asked (PostgreSQL down or
   * slower than store.read_timeout_ms); the rows are spooled for PostgreSQL to check when it takes
   * them, and answered as `queued`, not as added: some may be there already.
   */
  private importKeyed(rows: NewOutcome[], unchecked: boolean): { added: number; queued: number } {
    if (rows.length === 0) return { added: 0, queued: 0 };
    const store = this.deps.store;
    // Rows learned when stored count toward retrain_every when the learner takes them
    // (countLearnedFromStore), not here: only the rows this write stores reach it.
    if (unchecked) {
      store.addOutcomes(rows, { learnWhenStored: true, keysUnchecked: true });
      return { added: 0, queued: rows.length };
    }
    if (!store.shared) return { added: this.learn(rows), queued: 0 };
    store.addOutcomes(rows, { learnWhenStored: true });
    return { added: rows.length, queued: 0 };
  }

  /**
   * Outcomes the learner took from the store rather than through this service (team mode: other
   * replicas' outcomes, imports learned once stored) count toward retrain_every like its own, so
   * the refit leader refits on the team's outcomes, not only on those that came through it. Every
   * replica so counts every outcome once (its own in learn, the others' here) and the counts run
   * alike; on a follower, retrain is a no-op that only resets the count (it refits when the leader
   * announces a refit, team/replication.ts), and a follower that becomes the leader counts on.
   */
  countLearnedFromStore(outcomes: number): void {
    this.countTowardRetrain(outcomes);
  }

  retrain(): { started: boolean } {
    const learner = this.deps.learner;
    if (!learner) return { started: false };
    if (this.retrainRunning) return { started: true };
    this.sinceRetrain = 0;
    this.retrainRunning = learner
      .retrain()
      .catch((err: unknown) => this.deps.log?.(`retrain failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.retrainRunning = null;
      });
    return { started: true };
  }

  /** Resolves when a running background retrain has finished (tests, shutdown). */
  async idle(): Promise<void> {
    await this.retrainRunning;
  }

  stats(): FeedbackStats {
    const counts = this.deps.store.feedbackCounts();
    const status = this.deps.learner?.status();
    return {
      ratings: counts.ratings,
      by_source: counts.by_source,
      outcomes: this.deps.store.countOutcomes(),
      // The learner's own time of its last refit: a retrain that did not refit (a team follower's,
      // which waits for the leader's announced refit) is none. Without a learner there is none.
      last_retrain_at: status?.last_retrain_at ?? null,
      retraining: status?.retraining ?? this.retrainRunning !== null,
    };
  }

  rankings(): ModelRanking[] {
    return this.deps.store.rankings(this.deps.config().pool);
  }

  private learn(rows: NewOutcome[]): number {
    if (rows.length === 0) return 0;
    const saved = this.deps.store.addOutcomes(rows);
    this.deps.learner?.observe(saved);
    this.countTowardRetrain(saved.length);
    return saved.length;
  }

  /**
   * Refits every retrain_every outcomes, and sooner while the learner holds fewer: each time its
   * outcomes have doubled since the last refit, from FIRST_REFIT_AT on (20, 40, 80, 160, 320, then
   * every 200 by default). The learned corrections (the kNN over similar prompts, the heads) count only
   * once a refit has cross-fitted them, so with refits every 200 a new user's first 199 ratings
   * moved only each model's overall level: a model rated down on every code prompt and up on every
   * writing one kept both kinds. A refit of a few hundred outcomes costs little.
   */
  private countTowardRetrain(outcomes: number): void {
    const every = this.deps.config().feedback.retrainEvery;
    this.sinceRetrain += outcomes;
    if (every <= 0) return;
    const held = this.deps.learner?.status().outcomes ?? 0;
    const atLastRefit = Math.max(0, held - this.sinceRetrain);
    if (this.sinceRetrain >= Math.min(every, Math.max(FIRST_REFIT_AT, atLastRefit))) this.retrain();
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

/** Whether the request's one judgement on record is this very rating (source, rating and comment). */
function sameAsStored(stored: readonly FeedbackRecord[], rating: FeedbackRecord): boolean {
  const only = stored.length === 1 ? stored[0] : undefined;
  return (
    only !== undefined &&
    only.source === rating.source &&
    only.rating === rating.rating &&
    (only.comment ?? '') === (rating.comment ?? '')
  );
}

function ratingOf(params: RateParams): number {
  if (params.rating !== undefined && params.thumbs !== undefined) {
    throw new FugusashiError('InvalidRequest', "Give either 'rating' or 'thumbs', not both", 'rating');
  }
  if (params.rating !== undefined) {
    if (
      typeof params.rating !== 'number' ||
      !Number.isFinite(params.rating) ||
      params.rating < 1 ||
      params.rating > 5
    ) {
      throw new FugusashiError('InvalidRequest', "'rating' must be a number from 1 to 5", 'rating');
    }
    return params.rating;
  }
  if (params.thumbs === 'up') return 5;
  if (params.thumbs === 'down') return 1;
  throw new FugusashiError('InvalidRequest', "Give 'rating' (1–5) or 'thumbs' ('up' | 'down')", 'rating');
}
