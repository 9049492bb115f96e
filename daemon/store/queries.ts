// Read queries behind the dashboard, the API and the learner. Aggregates run in SQL over indexed
// columns and lists are pages, so they stay fast with 10k+ requests and 100k outcomes.
import type {
  DecisionRow,
  DecisionsQuery,
  FeedbackRecord,
  FeedbackSource,
  ModelRanking,
  ModelUsageStats,
  RequestSource,
  Trace,
  UsageBucket,
  UsageStats,
} from '../../shared/api';
import type { ModelConfig } from '../../shared/config';
import type { RoutingDecision, Usage } from '../../shared/openai';
import { IMPORTED_RATING_SOURCE, type Outcome, type RequestRecord } from '../core/ports';
import { decodeCapabilities } from './records';
import type { SqlValue } from './sqljs';
import { HOUR_MS } from './schema';
import { num, numOrNull, strOrNull, text, type QueryRunner, type Row } from './statements';

const DECISION_COLUMNS = `request_id, created_at, source, requested_model, prompt_preview, decision_json, status,
  answered_by, prompt_tokens, completion_tokens, total_tokens, cost_usd, latency_ms, rating, cached_tokens,
  cache_creation_tokens, cache_creation_1h_tokens`;

/** Most rows one listDecisions page returns. */
export const MAX_PAGE = 1000;
/** usageOverTime fills empty buckets between the first and last used one up to this many buckets. */
const MAX_FILLED_BUCKETS = 10_000;

function usageOf(row: Row): Usage | null {
  if (row.prompt_tokens === null || row.prompt_tokens === undefined) return null;
  const usage: Usage = {
    prompt_tokens: num(row.prompt_tokens),
    completion_tokens: num(row.completion_tokens),
    total_tokens: num(row.total_tokens),
  };
  // The prompt-cache split, as the answer's usage had it (NULL columns: not reported, or an older record).
  const cached = numOrNull(row.cached_tokens);
  const created = numOrNull(row.cache_creation_tokens);
  const created1h = numOrNull(row.cache_creation_1h_tokens);
  if (cached !== null || created !== null) {
    usage.prompt_tokens_details = {
      ...(cached !== null ? { cached_tokens: cached } : {}),
      ...(created !== null ? { cache_creation_tokens: created } : {}),
      ...(created1h !== null ? { cache_creation_1h_tokens: created1h } : {}),
    };
  }
  return usage;
}

function decisionRow(row: Row): DecisionRow {
  return {
    request_id: String(row.request_id),
    created_at: num(row.created_at),
    source: String(row.source) as RequestSource,
    requested_model: String(row.requested_model),
    prompt_preview: String(row.prompt_preview),
    decision: JSON.parse(text(row.decision_json)) as RoutingDecision,
    status: row.status === 'error' ? 'error' : 'ok',
    answered_by: strOrNull(row.answered_by),
    usage: usageOf(row),
    cost_usd: num(row.cost_usd),
    latency_ms: num(row.latency_ms),
    rating: numOrNull(row.rating),
  };
}

export function hasRequest(sql: QueryRunner, requestId: string): boolean {
  return sql.first('SELECT 1 FROM requests WHERE request_id = ?', [requestId]) !== undefined;
}

/**
 * `scope`: a further condition on the rows (team mode: a user's key sees its user's requests only),
 * with its parameters.
 */
export function listDecisions(
  sql: QueryRunner,
  query: DecisionsQuery,
  scope?: { where: string; params: SqlValue[] },
): DecisionRow[] {
  const limit = Math.max(1, Math.min(MAX_PAGE, Math.floor(query.limit) || 1));
  const conditions: string[] = scope ? [scope.where] : [];
  const params: SqlValue[] = scope ? [...scope.params] : [];
  if (query.before !== undefined && query.before_id === undefined) {
    conditions.push('created_at < ?');
    params.push(query.before);
  } else if (query.before !== undefined) {
    // The page's order as the cursor: rows of the same millisecond after the last one seen come next.
    conditions.push('(created_at, request_id) < (?, ?)');
    params.push(query.before, query.before_id ?? null);
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const rows = sql.all(
    `SELECT ${DECISION_COLUMNS} FROM requests ${where} ORDER BY created_at DESC, request_id DESC LIMIT ?`,
    [...params, limit],
  );
  return rows.map(decisionRow);
}

function feedbackOf(row: Row): FeedbackRecord {
  const record: FeedbackRecord = {
    request_id: String(row.request_id),
    rating: num(row.rating),
    source: String(row.source) as FeedbackSource,
    weight: num(row.weight),
    created_at: num(row.created_at),
  };
  if (row.comment !== null && row.comment !== undefined) record.comment = String(row.comment);
  return record;
}

export function getTrace(sql: QueryRunner, requestId: string): Trace | undefined {
  const row = sql.first(`SELECT ${DECISION_COLUMNS}, record_json FROM requests WHERE request_id = ?`, [requestId]);
  if (!row) return undefined;
  const record = JSON.parse(text(row.record_json)) as RequestRecord;
  const feedback = sql
    .all(
      'SELECT request_id, rating, source, weight, created_at, comment FROM feedback WHERE request_id = ? ORDER BY created_at, id',
      [requestId],
    )
    .map(feedbackOf);
  const trace: Trace = {
    ...decisionRow(row),
    messages: [...record.messages],
    request_params: record.request_params,
    response_text: record.response_text,
    error: record.error,
    attempts: record.attempts,
    feedback,
  };
  if (record.steps) trace.steps = record.steps;
  return trace;
}

/** The enabled pool model with the highest price per token (input + output). */
export function mostExpensiveModel(pool: readonly ModelConfig[]): ModelConfig | undefined {
  let best: ModelConfig | undefined;
  for (const model of pool) {
    if (model.enabled === false) continue;
    const price = model.cost_per_input_token + model.cost_per_output_token;
    if (!best || price > best.cost_per_input_token + best.cost_per_output_token) best = model;
  }
  return best;
}

/** Usage sums of one (model, strategy) group; rows of usage_hourly and of the raw scan alike. */
const USAGE_SUMS = `COUNT(*) AS requests, SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors, COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens,
  COALESCE(SUM(completion_tokens), 0) AS completion_tokens, SUM(cost_usd) AS cost_usd, SUM(latency_ms) AS latency_sum,
  SUM(routing_latency_ms) AS routing_latency_sum`;
const ROLLUP_SUMS = `SUM(requests) AS requests, SUM(errors) AS errors, SUM(prompt_tokens) AS prompt_tokens,
  SUM(completion_tokens) AS completion_tokens, SUM(cost_usd) AS cost_usd, SUM(latency_sum) AS latency_sum,
  SUM(routing_latency_sum) AS routing_latency_sum`;

/** The first hour boundary at or after `since`: whole hours come from usage_hourly, the rest from requests. */
function firstWholeHour(since: number): number {
  return Math.ceil(since / HOUR_MS) * HOUR_MS;
}

/**
 * Visits usage grouped by (model, strategy) since `since`: whole hours from the usage_hourly
 * rollup (kept by triggers), the part before the first whole hour from the requests themselves
 * (an index range of at most an hour of requests).
 */
function eachUsageGroup(sql: QueryRunner, since: number | undefined, visit: (row: Row) => void): void {
  if (since === undefined) {
    sql.each(`SELECT model, strategy, ${ROLLUP_SUMS} FROM usage_hourly GROUP BY model, strategy`, [], visit);
    return;
  }
  const wholeHours = firstWholeHour(since);
  sql.each(
    `SELECT model, strategy, ${ROLLUP_SUMS} FROM usage_hourly WHERE hour >= ? GROUP BY model, strategy`,
    [wholeHours],
    visit,
  );
  if (wholeHours > since) {
    sql.each(
      `SELECT COALESCE(answered_by, model) AS model, strategy, ${USAGE_SUMS}
       FROM requests WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2`,
      [since, wholeHours],
      visit,
    );
  }
}

export function stats(sql: QueryRunner, pool: readonly ModelConfig[], since?: number): UsageStats {
  // A handful of (model, strategy) groups, folded into the totals, per model and per strategy here.
  const perModel = new Map<string, ModelUsageStats & { latency_sum: number }>();
  const perStrategy = new Map<string, number>();
  let requests = 0;
  let errors = 0;
  let routingLatencySum = 0;
  eachUsageGroup(sql, since, (row) => {
    const name = String(row.model);
    let model = perModel.get(name);
    if (!model) {
      model = {
        model: name,
        requests: 0,
        errors: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        cost_usd: 0,
        mean_latency_ms: 0,
        latency_sum: 0,
      };
      perModel.set(name, model);
    }
    model.requests += num(row.requests);
    model.errors += num(row.errors);
    model.prompt_tokens += num(row.prompt_tokens);
    model.completion_tokens += num(row.completion_tokens);
    model.cost_usd += num(row.cost_usd);
    model.latency_sum += num(row.latency_sum);
    const strategy = String(row.strategy);
    perStrategy.set(strategy, (perStrategy.get(strategy) ?? 0) + num(row.requests));
    requests += num(row.requests);
    errors += num(row.errors);
    routingLatencySum += num(row.routing_latency_sum);
  });
  const models: ModelUsageStats[] = [...perModel.values()]
    .map(({ latency_sum, ...model }) => ({
      ...model,
      mean_latency_ms: model.requests ? latency_sum / model.requests : 0,
    }))
    .sort((a, b) => b.requests - a.requests || a.model.localeCompare(b.model));
  const per_strategy = [...perStrategy]
    .map(([strategy, n]) => ({ strategy, requests: n }))
    .sort((a, b) => b.requests - a.requests || a.strategy.localeCompare(b.strategy));
  let prompt_tokens = 0;
  let completion_tokens = 0;
  let cost_usd = 0;
  for (const model of models) {
    prompt_tokens += model.prompt_tokens;
    completion_tokens += model.completion_tokens;
    cost_usd += model.cost_usd;
  }
  const priciest = mostExpensiveModel(pool);
  return {
    requests,
    errors,
    prompt_tokens,
    completion_tokens,
    cost_usd,
    // With no priced pool there is nothing to compare with: report no saving rather than a made-up one.
    cost_if_most_expensive_usd: priciest
      ? prompt_tokens * priciest.cost_per_input_token + completion_tokens * priciest.cost_per_output_token
      : cost_usd,
    mean_routing_latency_ms: requests ? routingLatencySum / requests : 0,
    models,
    per_strategy,
    since: since ?? null,
  };
}

export function usageOverTime(sql: QueryRunner, bucketMs: number, since?: number): UsageBucket[] {
  const size = Math.max(1, Math.floor(bucketMs));
  const buckets = new Map<number, UsageBucket>();
  const add = (row: Row) => {
    const start = num(row.start);
    let bucket = buckets.get(start);
    if (!bucket) buckets.set(start, (bucket = { start, per_model: {}, cost_usd: 0 }));
    bucket.per_model[String(row.model)] = (bucket.per_model[String(row.model)] ?? 0) + num(row.requests);
    bucket.cost_usd += num(row.cost_usd);
  };
  if (size % HOUR_MS === 0) {
    // Whole-hour buckets: sum the hourly rollup, plus the requests before the first whole hour.
    const wholeHours = since === undefined ? Number.MIN_SAFE_INTEGER : firstWholeHour(since);
    sql.each(
      `SELECT (hour / ?) * ? AS start, model, SUM(requests) AS requests, SUM(cost_usd) AS cost_usd
       FROM usage_hourly WHERE hour >= ? GROUP BY 1, 2`,
      [size, size, wholeHours],
      add,
    );
    if (since !== undefined && wholeHours > since) {
      sql.each(
        `SELECT (created_at / ?) * ? AS start, COALESCE(answered_by, model) AS model, COUNT(*) AS requests,
           SUM(cost_usd) AS cost_usd
         FROM requests WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2`,
        [size, size, since, wholeHours],
        add,
      );
    }
  } else {
    sql.each(
      `SELECT (created_at / ?) * ? AS start, COALESCE(answered_by, model) AS model, COUNT(*) AS requests,
         SUM(cost_usd) AS cost_usd
       FROM requests WHERE created_at >= ? GROUP BY 1, 2`,
      [size, size, since ?? Number.MIN_SAFE_INTEGER],
      add,
    );
  }
  const used = [...buckets.values()].sort((a, b) => a.start - b.start);
  const first = used[0];
  const last = used[used.length - 1];
  if (!first || !last || (last.start - first.start) / size >= MAX_FILLED_BUCKETS) return used;
  // Charts need the quiet periods too: fill the gaps with empty buckets.
  const filled: UsageBucket[] = [];
  for (let start = first.start; start <= last.start; start += size) {
    filled.push(buckets.get(start) ?? { start, per_model: {}, cost_usd: 0 });
  }
  return filled;
}

/**
 * Per-model quality and cost from users' own ratings (the latest explicit or thumbs rating of each
 * request, and each rating imported from 0.3.0's outcomes.jsonl, as 0.3.0 counted every one; a
 * rating ≥ 4 is a win), by the model that answered. `by_capability` lists the model's pool
 * capabilities, each with the ratings of requests that needed it (a request with no recorded
 * capabilities, and an imported rating, counts as "chat"). `requests` counts this store's requests.
 */
export function rankings(sql: QueryRunner, pool: readonly ModelConfig[]): ModelRanking[] {
  const byModel = new Map<string, ModelRanking>();
  const blank = (model: string): ModelRanking => ({
    model,
    ratings: 0,
    mean_rating: null,
    win_rate: null,
    cost_per_request_usd: 0,
    requests: 0,
    by_capability: [],
  });
  for (const model of pool) byModel.set(model.name, blank(model.name));
  sql.each(
    `SELECT answered_by AS model, COUNT(*) AS requests, SUM(cost_usd) AS cost_usd, COUNT(rating) AS ratings,
       AVG(rating) AS mean_rating, AVG(CASE WHEN rating IS NULL THEN NULL WHEN rating >= 4 THEN 1.0 ELSE 0.0 END) AS win_rate
     FROM requests WHERE answered_by IS NOT NULL GROUP BY answered_by`,
    [],
    (row) => {
      const model = String(row.model);
      const ranking = byModel.get(model) ?? blank(model);
      ranking.requests = num(row.requests);
      ranking.cost_per_request_usd = ranking.requests > 0 ? num(row.cost_usd) / ranking.requests : 0;
      ranking.ratings = num(row.ratings);
      ranking.mean_rating = numOrNull(row.mean_rating);
      ranking.win_rate = numOrNull(row.win_rate);
      byModel.set(model, ranking);
    },
  );
  // Imported 0.3.0 ratings (outcomes, score = (rating - 1) / 4): folded into the requests' ratings.
  const rated = new Map<string, { capabilities: string[]; ratings: number; sum: number }[]>();
  sql.each(
    `SELECT model, COUNT(*) AS ratings, SUM(score) AS score_sum,
       SUM(CASE WHEN score >= 0.75 THEN 1 ELSE 0 END) AS wins
     FROM outcomes WHERE source = ? GROUP BY model`,
    [IMPORTED_RATING_SOURCE],
    (row) => {
      const model = String(row.model);
      const imported = num(row.ratings);
      if (imported === 0) return;
      const ratingSum = imported + 4 * num(row.score_sum);
      const ranking = byModel.get(model) ?? blank(model);
      const before = ranking.ratings;
      const total = before + imported;
      ranking.mean_rating = ((ranking.mean_rating ?? 0) * before + ratingSum) / total;
      ranking.win_rate = ((ranking.win_rate ?? 0) * before + num(row.wins)) / total;
      ranking.ratings = total;
      byModel.set(model, ranking);
      rated.set(model, [{ capabilities: ['chat'], ratings: imported, sum: ratingSum }]);
    },
  );
  // Rated requests grouped by (model, capability set): few groups, folded per capability below.
  sql.each(
    `SELECT answered_by AS model, capabilities, COUNT(*) AS ratings, SUM(rating) AS sum
     FROM requests WHERE answered_by IS NOT NULL AND rating IS NOT NULL GROUP BY answered_by, capabilities`,
    [],
    (row) => {
      const list = rated.get(String(row.model)) ?? [];
      const capabilities = decodeCapabilities(row.capabilities);
      list.push({
        capabilities: capabilities.length ? capabilities : ['chat'],
        ratings: num(row.ratings),
        sum: num(row.sum),
      });
      rated.set(String(row.model), list);
    },
  );
  for (const model of pool) {
    const ranking = byModel.get(model.name);
    if (!ranking) continue;
    const groups = rated.get(model.name) ?? [];
    ranking.by_capability = model.capabilities.map((capability) => {
      let ratings = 0;
      let sum = 0;
      for (const group of groups) {
        if (!group.capabilities.includes(capability)) continue;
        ratings += group.ratings;
        sum += group.sum;
      }
      return { capability, ratings, mean_rating: ratings > 0 ? sum / ratings : null };
    });
  }
  // Best rated first; unrated models after, busiest first.
  return [...byModel.values()].sort(
    (a, b) =>
      (b.mean_rating ?? -1) - (a.mean_rating ?? -1) || b.requests - a.requests || a.model.localeCompare(b.model),
  );
}

export function feedbackCounts(sql: QueryRunner): { ratings: number; by_source: Record<string, number> } {
  const by_source: Record<string, number> = {};
  let ratings = 0;
  sql.each('SELECT source, COUNT(*) AS n FROM feedback GROUP BY source', [], (row) => {
    by_source[String(row.source)] = num(row.n);
    ratings += num(row.n);
  });
  // Ratings imported from 0.3.0's outcomes.jsonl are users' ratings too (as rankings() counts them);
  // they live as outcomes, not feedback (read through outcomes_source).
  const imported = num(sql.first('SELECT COUNT(*) AS n FROM outcomes WHERE source = ?', [IMPORTED_RATING_SOURCE])?.n);
  if (imported > 0) {
    by_source[IMPORTED_RATING_SOURCE] = imported;
    ratings += imported;
  }
  return { ratings, by_source };
}

function outcomeOf(row: Row): Outcome {
  return {
    id: num(row.id),
    prompt: String(row.prompt),
    model: String(row.model),
    score: num(row.score),
    weight: num(row.weight),
    source: String(row.source),
    request_id: strOrNull(row.request_id),
    created_at: num(row.created_at),
  };
}

const OUTCOMES_AFTER =
  'SELECT id, prompt, model, score, weight, source, request_id, created_at FROM outcomes WHERE id > ? ORDER BY id';

export function listOutcomes(sql: QueryRunner, afterId = 0): Outcome[] {
  const rows: Outcome[] = [];
  sql.each(OUTCOMES_AFTER, [afterId], (row) => rows.push(outcomeOf(row)));
  return rows;
}

/**
 * Import keys checked per statement, in both stores and in the PostgreSQL worker's check of spooled
 * rows: a 200,000-row import never binds one giant parameter, and each statement stays far inside
 * PostgreSQL's statement_timeout.
 */
export const IMPORT_KEY_CHUNK = 5000;

/** The embedded store's import keys among `keys` (schema v4's outcomes.import_key). */
export function importedKeys(sql: QueryRunner, keys: readonly string[]): Set<string> {
  const found = new Set<string>();
  for (let i = 0; i < keys.length; i += IMPORT_KEY_CHUNK) {
    const chunk = JSON.stringify(keys.slice(i, i + IMPORT_KEY_CHUNK));
    sql.each('SELECT import_key FROM outcomes WHERE import_key IN (SELECT value FROM json_each(?))', [chunk], (row) =>
      found.add(String(row.import_key)),
    );
  }
  return found;
}

export function countOutcomes(sql: QueryRunner): number {
  return num(sql.first('SELECT COUNT(*) AS n FROM outcomes')?.n);
}

export function maxId(sql: QueryRunner, table: 'outcomes' | 'feedback'): number {
  return num(sql.first(`SELECT COALESCE(MAX(id), 0) AS n FROM ${table}`)?.n);
}

/** Streams every outcome as one JSON line (ending in "\n") through `write`; returns the count. */
export function exportOutcomes(sql: QueryRunner, write: (line: string) => void): number {
  let count = 0;
  sql.each(OUTCOMES_AFTER, [0], (row) => {
    write(`${JSON.stringify(outcomeOf(row))}\n`);
    count++;
  });
  return count;
}
