// The ports of the daemon: what the pure core needs from the outside, and the interfaces adapters
// implement. This folder imports only shared/ (its tsconfig has no Node types). The provider
// interface lives in ../providers/types.ts because it needs the platform's AbortSignal.
import type { Capability, ModelConfig } from '../../shared/config';
import type {
  AttemptRecord,
  DecisionRow,
  DecisionsQuery,
  FeedbackRecord,
  ModelRanking,
  OrchestrationTraceStep,
  RequestSource,
  Trace,
  UsageBucket,
  UsageStats,
} from '../../shared/api';
import type { ChatMessage, QualityPlacement, RoutingDecision, Usage } from '../../shared/openai';

// ---------------------------------------------------------------- embeddings

export interface Embedder {
  readonly id: string; // e.g. "use-lite-512"
  readonly dimensions: number;
  /** Unit-length vectors, one per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

// ---------------------------------------------------------------- routing (pure)

export interface PromptFeatures {
  chars: number;
  estimatedInputTokens: number;
  expectedOutputTokens: number;
  hasCode: boolean;
  hasMath: boolean;
  hasTools: boolean;
  hasImages: boolean;
  /** Share of non-ASCII letters, a cheap language signal. */
  nonAsciiRatio: number;
  turns: number;
}

export interface RouteInput {
  /** Text that decides the route: the last user turn plus bounded context. */
  text: string;
  messages: readonly ChatMessage[];
  features: PromptFeatures;
  /** Hard requirements (tools, vision, long_context by size): models lacking them are not candidates. */
  required: readonly Capability[];
  /** Soft wishes inferred from the prompt (code, math, reasoning…). */
  preferred: readonly Capability[];
  /** λ: quality points traded per US cent of expected cost. */
  costWeight: number;
  embedding?: Float32Array;
  /** Allow an exploration draw for this decision. */
  explore: boolean;
  /** 0..1 random draw supplied by the caller so the core stays deterministic in tests. */
  random: () => number;
}

export interface Candidate {
  config: ModelConfig;
  /** Runs on this machine (Ollama, loopback api_base, vscode-lm): free and private. */
  local: boolean;
  /** Expected USD for this request at this model's prices. */
  expectedCost: number;
}

export interface StrategyVerdict {
  strategy: string;
  /** True when the strategy has no opinion; the chain moves on. */
  abstain: boolean;
  confidence: number;
  /** Best first. Scores are on the strategy's own scale, higher is better. */
  ranked: { model: string; score: number }[];
  explanation: string;
  exploration?: boolean;
  /** Predicted quality (0..1) of the top pick, where the strategy predicts quality. */
  predictedQuality?: number;
  /**
   * The best predicted quality (0..1) over every candidate: the pick trades quality for cost, so
   * its own prediction understates what the pool can do (auto-escalation reads this).
   */
  bestPredictedQuality?: number;
  /**
   * The decision read the prompt's embedding (kNN, heads, the multi-model stack), so the
   * explanation says which view of the prompt it read; unset for a decision from the words alone.
   */
  readEmbedding?: boolean;
}

export interface RoutingStrategy {
  readonly name: string;
  decide(input: RouteInput, candidates: readonly Candidate[]): StrategyVerdict;
}

/** The core's answer: the decision users see plus the ordered list of models to try. */
export interface RoutePlan {
  decision: RoutingDecision;
  /** decision.model first, then fallbacks in order. */
  order: string[];
  /** The deciding strategy's predicted quality (0..1) of its pick, when it predicts quality. */
  predictedQuality?: number;
  /** Its best predicted quality over all candidates (StrategyVerdict.bestPredictedQuality). */
  bestPredictedQuality?: number;
  /** The deciding strategy read the prompt's embedding (StrategyVerdict.readEmbedding). */
  readEmbedding?: boolean;
}

// ---------------------------------------------------------------- learning data

/** One labelled example the learned strategies train on. */
export interface Outcome {
  id: number;
  prompt: string;
  model: string;
  /** 0..1 */
  score: number;
  /** 1 for explicit ratings and seed rows; less for implicit signals. */
  weight: number;
  source: string;
  request_id: string | null;
  created_at: number;
}

/**
 * An outcome to store. `import_key` names a row imported from a file or a training batch by what
 * identifies it in its source (services/import-keys.ts): a store keeps one outcome per key, so
 * importing the same file twice does not count its rows twice.
 */
export type NewOutcome = Omit<Outcome, 'id'> & { import_key?: string };

// ---------------------------------------------------------------- store

/** Everything recorded about one finished request (written once, when it ends). */
export interface RequestRecord {
  request_id: string;
  created_at: number;
  source: RequestSource;
  requested_model: string;
  routing_text: string;
  messages: readonly ChatMessage[];
  request_params: Record<string, unknown>;
  decision: RoutingDecision;
  status: 'ok' | 'error';
  answered_by: string | null;
  response_text: string | null;
  error: string | null;
  usage: Usage | null;
  cost_usd: number;
  latency_ms: number;
  attempts: AttemptRecord[];
  steps?: OrchestrationTraceStep[];
  /** Capabilities the request needed or wished for (RouteInput.required + preferred): rankings by capability. */
  capabilities?: readonly string[];
}

/**
 * Durable store. Every write method returns only after the record would survive `kill -9`
 * of the process. Reads are served from memory.
 */
/**
 * The source of outcomes a request's failed upstream attempts left: facts about those models, not a
 * judgement of the answer, so a new rating of the request retracts neither in the store
 * (Store.retractJudgements) nor in the learner (Learner.forget).
 */
export const ATTEMPT_ERROR_SOURCE = 'implicit:error';

/**
 * The source of outcomes imported from a Fugusashi 0.3.0 outcomes.jsonl's `user_rating`s: a user's
 * own 1–5 rating (score = (rating - 1) / 4) of a request this store never saw, so the rankings and
 * 0.3.0's feedback stats count it with the ratings of requests, as 0.3.0 did. Other imported rows
 * (score tables, 0.3.0's auto_score, training rows) are 'seed': judgements, not a user's rating.
 */
export const IMPORTED_RATING_SOURCE = 'import:rating-030';

export interface Store {
  saveRequest(record: RequestRecord): void;
  /** Throws FugusashiError('NotFound') for an unknown request id; stores nothing then. */
  addFeedback(feedback: FeedbackRecord): void;
  /**
   * Removes what the store holds as a judgement of this request's answer: its feedback (ratings,
   * implicit signals) and the outcomes they made (its own and an orchestrated answer's credits),
   * not the outcomes of its failed upstream attempts (implicit:error). Written just before a user's
   * new rating of the request, which replaces them: one rating per request, as the trace shows.
   */
  retractJudgements(requestId: string): void;
  /**
   * Returns the new rows with their ids. `learnWhenStored`: imported rows of a shared store (another
   * daemon may store the same keys first) or rows whose keys could not be checked; the store hands
   * each to its learner listeners once it has stored it, and none it already had, instead of the
   * caller learning them at once. `keysUnchecked`: importedKeys could not check these rows' keys (it
   * gave null): a shared store checks them as importedKeys would when it writes them (rows checked
   * before are written as they are; one outcome per key still holds).
   */
  addOutcomes(rows: NewOutcome[], options?: { learnWhenStored?: boolean; keysUnchecked?: boolean }): Outcome[];
  /**
   * Which of these import keys the store already holds (an outcome was imported with it); null when
   * it cannot tell now (PostgreSQL down or slow: see addOutcomes' keysUnchecked).
   */
  importedKeys(keys: readonly string[]): Set<string> | null;
  /**
   * True when other daemons write to the same store (PostgreSQL): an imported row importedKeys
   * found new may still be stored by another daemon first, and then this one's write skips it, so
   * such a store's imports are learned when stored (addOutcomes' learnWhenStored). The embedded
   * store, its data directory's only writer, stores every row it returns.
   */
  readonly shared: boolean;
  /** All outcomes with id > afterId, oldest first (for loading and incremental learning). */
  listOutcomes(afterId?: number): Outcome[];
  countOutcomes(): number;
  getTrace(requestId: string): Trace | undefined;
  hasRequest(requestId: string): boolean;
  /** Newest first, paged by (created_at, request_id): the rows after the last one seen. */
  listDecisions(query: DecisionsQuery): DecisionRow[];
  stats(pool: readonly ModelConfig[], since?: number): UsageStats;
  usageOverTime(bucketMs: number, since?: number): UsageBucket[];
  rankings(pool: readonly ModelConfig[]): ModelRanking[];
  feedbackCounts(): { ratings: number; by_source: Record<string, number> };
  /** Writes outcomes as JSON lines through `write`. */
  exportOutcomes(write: (line: string) => void): number;
  close(): void;
}

// ---------------------------------------------------------------- learning

/**
 * The learning half of the router (embeddings, similarity, learned quality–cost policy). The
 * routing service calls `prepare` (async: embedding) before the synchronous chain runs, and
 * feeds every new outcome to `observe` so the next decision already uses it.
 */
export interface Learner {
  /** Strategies by chain name ("learned", "similarity"); the others are built in. */
  strategy(name: string): RoutingStrategy | undefined;
  /**
   * Embeds the routing text (cached); undefined when embeddings are unavailable, or when `waitMs`
   * passes first (the embedding then finishes in the background and is cached for the outcome).
   */
  prepare(text: string, waitMs?: number): Promise<Float32Array | undefined>;
  /**
   * As prepare, saying which view the vector is: 'full' (the encoder's), or 'fast' (a distilled
   * first view in the same space, given at once when the full one is not cached; the full one is
   * then computed in the background). Optional: routing falls back to prepare.
   */
  prepareView?(text: string, waitMs?: number): Promise<{ vector: Float32Array; view: 'full' | 'fast' } | undefined>;
  /**
   * Embeds any text with the same (cached) encoder, whether or not routing needs it now: the
   * semantic response cache compares last user turns even while the prior alone routes.
   */
  embed?(text: string): Promise<Float32Array | undefined>;
  /** Where the router's prior places a pool model before any rating; undefined without a prior. */
  placement?(model: ModelConfig): QualityPlacement | undefined;
  /** Online update: must be cheap (no refit). */
  observe(outcomes: readonly Outcome[]): void;
  /**
   * Takes back the outcomes observed for a request whose judgements the store retracted (the user
   * replaced their rating): they stop counting now, in the learned model and in the prior's online
   * steps. `outcomeIds`: only these (another replica retracted them; see team/replication.ts); by
   * default all but the failed attempts' (ATTEMPT_ERROR_SOURCE). Optional: a learner without it
   * keeps them until it reloads the store.
   */
  forget?(requestId: string, outcomeIds?: readonly number[]): void;
  /** Background refit of heavier models; resolves when done. Requests keep being served. */
  retrain(): Promise<void>;
  status(): {
    outcomes: number;
    last_retrain_at: number | null;
    retraining: boolean;
    embeddings: 'not-loaded' | 'loading' | 'ready' | 'failed';
  };
}
