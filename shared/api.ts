// Payloads of the daemon's read/write operations other than chat itself. Both doors (HTTP /v1/...
// and JSON-RPC fugusashi/...) return exactly these shapes, and the dashboard and extension read them.
import type { RoutingDecision, Usage } from './openai';

export type RequestSource = 'http' | 'rpc' | 'vscode-chat' | 'lm-provider' | 'cli' | 'benchmark';

/**
 * One page of the decisions table: newest first, `limit` rows. `before` is the created_at of the
 * last row seen and `before_id` its request_id; without `before_id` a page after a row would skip
 * the other requests stored in the same millisecond (busy daemons store many).
 */
export interface DecisionsQuery {
  limit: number;
  before?: number;
  before_id?: string;
}

/** The query of a decisions page from a door's parameters (a `before_id` without `before` is ignored). */
export function decisionsQuery(
  limit: number,
  before: number | undefined,
  beforeId: string | undefined,
): DecisionsQuery {
  if (before === undefined) return { limit };
  return beforeId ? { limit, before, before_id: beforeId } : { limit, before };
}

/** One routed request as listed in the decisions table. */
export interface DecisionRow {
  request_id: string;
  created_at: number; // ms since epoch
  source: RequestSource;
  requested_model: string; // "auto", "auto:cost", or a forced model name
  prompt_preview: string; // first ~200 chars of the routing text
  decision: RoutingDecision;
  status: 'ok' | 'error';
  /** Model that actually answered (differs from decision.model after a fallback). */
  answered_by: string | null;
  usage: Usage | null;
  cost_usd: number;
  latency_ms: number; // whole request, upstream included
  rating: number | null; // latest explicit 1–5 rating, if any
}

export interface AttemptRecord {
  model: string;
  started_at: number;
  /** ms from start to first byte/chunk from upstream, null if none came. */
  first_byte_ms: number | null;
  duration_ms: number;
  status: 'ok' | 'error';
  error?: string;
  upstream_status?: number;
}

export type FeedbackSource =
  'explicit' | 'thumbs' | 'implicit:override' | 'implicit:regenerate' | 'implicit:error' | 'orchestrator';

export interface FeedbackRecord {
  request_id: string;
  /** Normalised 1–5 (thumbs up = 5, thumbs down = 1). */
  rating: number;
  source: FeedbackSource;
  /** Label strength: explicit 1, implicit signals less. */
  weight: number;
  created_at: number;
  comment?: string;
}

/** Full story of one request: GET /v1/trace/{id}. */
export interface Trace extends DecisionRow {
  messages: unknown[];
  request_params: Record<string, unknown>;
  response_text: string | null;
  error: string | null;
  attempts: AttemptRecord[];
  feedback: FeedbackRecord[];
  /** Orchestrated requests: every step (planner, sub-tasks, synthesizer). */
  steps?: OrchestrationTraceStep[];
}

export interface OrchestrationTraceStep {
  id: string;
  kind: 'plan' | 'subtask' | 'synthesis';
  capability?: string;
  instructions?: string;
  depends_on?: string[];
  model: string;
  reason: string;
  started_at: number;
  duration_ms: number;
  cost_usd: number;
  status: 'ok' | 'failed' | 'skipped';
  output_preview?: string;
  error?: string;
}

/**
 * Live progress of an orchestrated request (`model: "auto:orchestrate"`), emitted while it runs:
 * the HTTP door streams each as an SSE chunk (ChatCompletionChunk.orchestration, empty delta)
 * before the final answer's content chunks; the chat participant and the dashboard show them.
 */
export interface OrchestrationProgress {
  phase: 'planning' | 'planned' | 'subtask-started' | 'subtask-finished' | 'synthesizing' | 'fallback';
  /** One line for people, e.g. "b · code → gpt-4o-mini (cheapest model with code)". */
  message: string;
  /** The step this event is about (a sub-task id, "plan", "plan-retry" or "synthesis"). */
  step_id?: string;
  /** The model doing the step, when known. */
  model?: string;
  /** phase "planned": the validated plan. */
  plan?: { id: string; capability: string; instructions: string; depends_on: string[] }[];
  /** phase "subtask-finished": the step as it will appear in the trace. */
  step?: OrchestrationTraceStep;
  /** ms since the orchestration started. */
  elapsed_ms: number;
  /** USD spent so far (all steps). */
  cost_usd: number;
}

export interface ModelUsageStats {
  model: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  mean_latency_ms: number;
}

/** GET /v1/stats */
export interface UsageStats {
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  /** What the same tokens would have cost on the pool's most expensive model. */
  cost_if_most_expensive_usd: number;
  mean_routing_latency_ms: number;
  /**
   * Per model, busiest first. Not `per_model`: over HTTP that name is 0.3.0's map keyed by model
   * (shared/compat030.ts), which its clients index as stats["per_model"]["gpt-4o"].
   */
  models: ModelUsageStats[];
  per_strategy: { strategy: string; requests: number }[];
  since: number | null;
  /** gateway (issue 12): response-cache hits and what they saved (all time, persisted with the cache). */
  cache?: { hits: number; semantic_hits: number; saved_usd: number; saved_ms: number; entries: number };
}

export interface UsageBucket {
  start: number; // ms since epoch
  per_model: Record<string, number>; // requests
  cost_usd: number;
}

/** GET /v1/feedback/rankings */
export interface ModelRanking {
  model: string;
  ratings: number;
  mean_rating: number | null;
  /** Share of rated comparisons this model won (rating ≥ 4 counts as a win). */
  win_rate: number | null;
  cost_per_request_usd: number;
  requests: number;
  by_capability: { capability: string; ratings: number; mean_rating: number | null }[];
}

/** GET /v1/feedback/stats */
export interface FeedbackStats {
  ratings: number;
  by_source: Record<string, number>;
  outcomes: number; // training rows the router learns from
  last_retrain_at: number | null;
  retraining: boolean;
}

/** A training row: POST /v1/routing/training, and what ratings become. */
export interface TrainingRow {
  prompt: string;
  model: string;
  /** 0..1 quality (ratings 1–5 map to 0, .25, .5, .75, 1). */
  score: number;
  weight?: number;
}

export interface RateParams {
  request_id: string;
  rating?: number; // 1–5
  thumbs?: 'up' | 'down';
  comment?: string;
}

export interface RateResult {
  request_id: string;
  rating: number;
  stored: true;
  /**
   * The request was still being answered (a stream before its end): the rating is applied when its
   * record is stored, a moment later.
   */
  pending?: true;
}

export interface RouteParams {
  /** Same shape as a chat request; only routing happens. */
  model?: string;
  messages: unknown[];
  tools?: unknown[];
}

export interface DaemonHealth {
  status: 'ok' | 'degraded';
  version: string;
  pid: number;
  uptime_s: number;
  /** Models `auto` can call (enabled, and no unset `${KEY}`). */
  models: number;
  /** Enabled models that cannot be called, with the reason (naming the unset variable). */
  unavailable_models?: { model: string; reason: string }[];
  http: { host: string; port: number } | null;
  data_dir: string;
  config_path: string | null;
  config_error: string | null;
  embeddings: 'not-loaded' | 'loading' | 'ready' | 'failed';
  /** Writes failing (disk full…): records are not being kept; `status` is 'degraded' meanwhile. */
  store?: { writable: boolean; error: string | null; lost_writes: number };
}

/** Benchmark results as the runner prints with --json and the dashboard charts. */
export interface BenchmarkReport {
  dataset: string;
  mode: 'split' | 'folds' | 'online' | 'sample' | 'prior';
  rows: number;
  models: string[];
  strong?: string;
  weak?: string;
  /** Two-model: quality vs % strong calls. */
  curve?: { strong_pct: number; quality: number; pgr: number }[];
  apgr?: number;
  cpt50?: number | null;
  cpt80?: number | null;
  /** Multi-model: quality and cost at several λ. */
  lambda_sweep?: { lambda: number; quality: number; cost: number }[];
  best_single?: { model: string; quality: number; cost: number };
  oracle_quality?: number;
  /** --online: APGR or quality after n revealed outcomes. */
  learning_curve?: { n: number; value: number }[];
  duration_ms: number;
}

export interface BenchmarkProgress {
  run_id: string;
  phase: string;
  done: number;
  total: number;
}

/** Server-Sent Events / RPC notifications the dashboard listens to. */
export type LiveEvent =
  | { type: 'decision'; row: DecisionRow }
  | { type: 'feedback'; request_id: string; rating: number }
  | { type: 'stats'; stats: UsageStats }
  | { type: 'benchmark-progress'; progress: BenchmarkProgress }
  | { type: 'benchmark-done'; report: BenchmarkReport };
