// Fugusashi 0.3.0's response fields, added next to today's by the HTTP door (the JSON-RPC door and
// the dashboard keep today's shapes). Pure functions of what the services already return.
import type { DecisionRow, FeedbackStats, ModelRanking, RateResult, Trace, UsageStats } from '../../../shared/api';
import type {
  DecisionRow030,
  FeedbackStats030,
  ModelRanking030,
  ModelRankingEntry030,
  RateResult030,
  RetrainResult030,
  RoutingRecord030,
  Trace030,
  TrainingResult030,
  UsageStats030,
} from '../../../shared/compat030';

/** Keys of the rankings answer that cannot also carry a model's 0.3.0 entry. */
const RANKINGS_OWN_KEYS = new Set(['object', 'data']);

function routingRecord(row: DecisionRow): RoutingRecord030 & {
  model_scores: Record<string, number>;
  needs_escalation: boolean;
} {
  const decision = row.decision;
  const scores: Record<string, number> = { [decision.model]: decision.confidence };
  for (const alt of decision.alternatives) scores[alt.model] = alt.score;
  return {
    request_id: row.request_id,
    timestamp: new Date(row.created_at).toISOString(),
    prompt_preview: row.prompt_preview,
    routed_to: row.answered_by ?? decision.model,
    confidence: decision.confidence,
    strategy: decision.strategy,
    latency_ms: decision.latency_ms,
    explanation: decision.explanation,
    model_scores: scores,
    needs_escalation: decision.strategy === 'orchestrator',
  };
}

export function decisionRow030(row: DecisionRow): DecisionRow030 {
  const { request_id, timestamp, prompt_preview, routed_to, confidence, strategy, explanation } = routingRecord(row);
  return { ...row, request_id, timestamp, prompt_preview, routed_to, confidence, strategy, explanation };
}

export function usageStats030(stats: UsageStats, recent: DecisionRow[]): UsageStats030 {
  return {
    ...stats,
    // 0.3.0's map keyed by model name (its clients read stats["per_model"]["gpt-4o"]["calls"]);
    // today's list is `models`, which the dashboard reads.
    per_model: Object.fromEntries(
      stats.models.map((m) => [
        m.model,
        {
          calls: m.requests,
          total_cost: m.cost_usd,
          total_tokens: m.prompt_tokens + m.completion_tokens,
        },
      ]),
    ),
    total_requests: stats.requests,
    total_cost: stats.cost_usd,
    total_tokens: stats.prompt_tokens + stats.completion_tokens,
    // 0.3.0 listed the last 50 routes, oldest first.
    recent_routes: recent.map(routingRecord).reverse(),
  };
}

export function trace030(trace: Trace): Trace030 {
  const calls = trace.attempts.map((attempt, index) => {
    const last = index === trace.attempts.length - 1;
    // Tokens and cost are known for the request as a whole: they belong to the answering attempt.
    const usage = last && attempt.status === 'ok' ? trace.usage : null;
    return {
      request_id: trace.request_id,
      model: attempt.model,
      provider: '',
      prompt_tokens: usage?.prompt_tokens ?? 0,
      completion_tokens: usage?.completion_tokens ?? 0,
      total_tokens: usage?.total_tokens ?? 0,
      cost: usage ? trace.cost_usd : 0,
      latency_ms: attempt.duration_ms,
      status: attempt.status === 'ok' ? (index === 0 ? 'success' : 'fallback_success') : 'error',
      error: attempt.error ?? null,
    };
  });
  return {
    ...trace,
    start_time: new Date(trace.created_at).toISOString(),
    end_time: new Date(trace.created_at + trace.latency_ms).toISOString(),
    total_latency_ms: trace.latency_ms,
    total_cost: trace.cost_usd,
    routing: routingRecord(trace),
    model_calls: calls,
  };
}

function rankingEntry(ranking: ModelRanking, usage: UsageStats): ModelRankingEntry030 {
  const model = usage.models.find((m) => m.model === ranking.model);
  const wins = model ? model.requests - model.errors : 0;
  const losses = model?.errors ?? 0;
  return {
    wins,
    losses,
    win_rate: wins + losses > 0 ? Math.round((wins / (wins + losses)) * 1000) / 1000 : 0.5,
    total_cost: model?.cost_usd ?? 0,
    avg_rating: ranking.mean_rating,
    rating_count: ranking.ratings,
  };
}

/** Today's `{object, data}` list, each item with 0.3.0's fields, plus 0.3.0's map keyed by model. */
export function rankings030(
  rankings: ModelRanking[],
  usage: UsageStats,
): Record<string, unknown> & { object: 'list'; data: ModelRanking030[] } {
  const answer: Record<string, unknown> & { object: 'list'; data: ModelRanking030[] } = {
    object: 'list',
    data: [],
  };
  for (const ranking of rankings) {
    const { win_rate: _legacyWinRate, ...entry } = rankingEntry(ranking, usage);
    answer.data.push({ ...ranking, ...entry });
    if (!RANKINGS_OWN_KEYS.has(ranking.model)) answer[ranking.model] = rankingEntry(ranking, usage);
  }
  return answer;
}

export function feedbackStats030(stats: FeedbackStats, rankings: ModelRanking[], usage: UsageStats): FeedbackStats030 {
  const rated = rankings.reduce((n, r) => n + r.ratings, 0);
  const ratingSum = rankings.reduce((sum, r) => sum + (r.mean_rating ?? 0) * r.ratings, 0);
  const meanLatency =
    usage.requests > 0 ? usage.models.reduce((sum, m) => sum + m.mean_latency_ms * m.requests, 0) / usage.requests : 0;
  return {
    ...stats,
    total_outcomes: usage.requests,
    errors: usage.errors,
    error_rate: usage.requests > 0 ? Math.round((usage.errors / usage.requests) * 10_000) / 10_000 : 0,
    total_cost: usage.cost_usd,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    avg_latency_ms: Math.round(meanLatency * 100) / 100,
    avg_user_rating: rated > 0 ? Math.round((ratingSum / rated) * 100) / 100 : 0,
    rated_count: rated,
    model_rankings: Object.fromEntries(rankings.map((r) => [r.model, rankingEntry(r, usage)])),
  };
}

export function trainingResult030(result: {
  added: number;
  already_imported: number;
  queued?: number;
  skipped?: number;
}): TrainingResult030 {
  return { ...result, status: 'ok', indexed: result.added };
}

export function retrainResult030(result: { started: boolean }, outcomes: number): RetrainResult030 {
  return { ...result, status: 'ok', retrained_on: outcomes };
}

export function rateResult030(result: RateResult): RateResult030 {
  return { ...result, status: 'ok' };
}
