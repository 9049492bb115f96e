// Fields Fugusashi 0.3.0 (Python) returned, served next to today's fields so its clients keep
// working. Purely additive: every endpoint still returns today's shape (shared/api.ts) plus these.
import type { DecisionRow, FeedbackStats, ModelRanking, Trace, UsageStats } from './api';

/** 0.3.0's routing record (tracker.RoutingDecision): a decisions row, a stats route, a trace's `routing`. */
export interface RoutingRecord030 {
  request_id: string;
  timestamp: string; // ISO 8601, UTC
  prompt_preview: string;
  routed_to: string;
  confidence: number;
  strategy: string;
  latency_ms: number; // 0.3.0: routing latency
  explanation: string;
}

/** GET /v1/routing/decisions rows. `latency_ms` keeps today's meaning (whole request). */
export type DecisionRow030 = DecisionRow & Omit<RoutingRecord030, 'latency_ms'>;

/** GET /v1/stats per_model values: 0.3.0's per-model counters. */
export interface ModelUsageStats030 {
  calls: number;
  total_cost: number;
  total_tokens: number;
}

/** GET /v1/stats: today's fields (the list per model is `models`) and 0.3.0's. */
export type UsageStats030 = UsageStats & {
  /** 0.3.0's map keyed by model name. */
  per_model: Record<string, ModelUsageStats030>;
  total_requests: number;
  total_cost: number;
  total_tokens: number;
  recent_routes: (RoutingRecord030 & { model_scores: Record<string, number>; needs_escalation: boolean })[];
};

/** A model call in a 0.3.0 trace (tracker.ModelCallRecord). */
export interface ModelCall030 {
  request_id: string;
  model: string;
  provider: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost: number;
  latency_ms: number;
  status: string;
  error: string | null;
}

/** GET /v1/trace/{id} */
export type Trace030 = Trace & {
  start_time: string;
  end_time: string;
  total_latency_ms: number;
  total_cost: number;
  routing: RoutingRecord030 & { model_scores: Record<string, number>; needs_escalation: boolean };
  model_calls: ModelCall030[];
};

/** 0.3.0's per-model ranking (feedback.get_model_rankings): successful calls are wins, errors losses. */
export interface ModelRankingEntry030 {
  wins: number;
  losses: number;
  win_rate: number;
  total_cost: number;
  avg_rating: number | null;
  rating_count: number;
}

/** GET /v1/feedback/rankings `data` items (today's `win_rate` keeps its meaning). */
export type ModelRanking030 = ModelRanking & Omit<ModelRankingEntry030, 'win_rate'>;

/** GET /v1/feedback/stats */
export type FeedbackStats030 = FeedbackStats & {
  total_outcomes: number;
  errors: number;
  error_rate: number;
  total_cost: number;
  total_tokens: number;
  avg_latency_ms: number;
  avg_user_rating: number;
  rated_count: number;
  model_rankings: Record<string, ModelRankingEntry030>;
};

/** POST /v1/routing/training */
export interface TrainingResult030 {
  added: number;
  /**
   * Rows whose identity (a uid, a 0.3.0 record's id, an export line's id, or the file and position
   * in a whole-file import) the store already held: not stored twice. JSON rows without one are
   * ratings of their own, stored each time they are sent.
   */
  already_imported: number;
  /**
   * Rows the team database could not check yet (down or slow): stored when it takes them, except
   * those it already holds; neither `added` nor `indexed` counts them. Absent when 0.
   */
  queued?: number;
  skipped?: number;
  status: 'ok';
  /** 0.3.0's count of rows taken into its index: the rows found new and stored (`added`). */
  indexed: number;
}

/** POST /v1/feedback/retrain */
export interface RetrainResult030 {
  started: boolean;
  status: 'ok';
  retrained_on: number;
}

/** POST /v1/feedback/rate */
export interface RateResult030 {
  request_id: string;
  rating: number;
  stored: true;
  status: 'ok';
}
