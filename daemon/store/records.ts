// How each journal entry changes the database. The same code runs for a live write and for its
// replay at start, so a replayed journal rebuilds exactly what the daemon had acknowledged.
import type { FeedbackRecord } from '../../shared/api';
import { ATTEMPT_ERROR_SOURCE, type Outcome, type RequestRecord } from '../core/ports';
import { USER_RATING_SOURCES } from './schema';
import type { Statements } from './statements';

export const PREVIEW_CHARS = 200;

export type JournalOp =
  | { op: 'request'; data: RequestRecord }
  | { op: 'feedback'; data: FeedbackRecord & { id: number } }
  /** `import_key`: an imported row's key (schema v4); absent on outcomes from ratings and older journals. */
  | { op: 'outcomes'; data: (Outcome & { import_key?: string })[] }
  /** Store.retractJudgements: a request's feedback and judgement outcomes, replaced by a new rating. */
  | { op: 'retract'; data: { request_id: string } };

const UPSERT_REQUEST = `
  INSERT INTO requests (
    request_id, created_at, source, requested_model, prompt_preview, decision_json, model, strategy,
    confidence, routing_latency_ms, status, answered_by, prompt_tokens, completion_tokens, total_tokens,
    cost_usd, latency_ms, record_json, capabilities, cached_tokens, cache_creation_tokens, cache_creation_1h_tokens
  ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT(request_id) DO UPDATE SET
    created_at = excluded.created_at, source = excluded.source, requested_model = excluded.requested_model,
    prompt_preview = excluded.prompt_preview, decision_json = excluded.decision_json, model = excluded.model,
    strategy = excluded.strategy, confidence = excluded.confidence, routing_latency_ms = excluded.routing_latency_ms,
    status = excluded.status, answered_by = excluded.answered_by, prompt_tokens = excluded.prompt_tokens,
    completion_tokens = excluded.completion_tokens, total_tokens = excluded.total_tokens,
    cost_usd = excluded.cost_usd, latency_ms = excluded.latency_ms, record_json = excluded.record_json,
    capabilities = excluded.capabilities, cached_tokens = excluded.cached_tokens,
    cache_creation_tokens = excluded.cache_creation_tokens, cache_creation_1h_tokens = excluded.cache_creation_1h_tokens`;

const INSERT_FEEDBACK =
  'INSERT INTO feedback (id, request_id, rating, source, weight, created_at, comment) VALUES (?, ?, ?, ?, ?, ?, ?)';
const SET_RATING = 'UPDATE requests SET rating = ? WHERE request_id = ?';
// An import key already stored is skipped (the import service leaves such rows out before; this
// keeps the store right should two imports of one file ever overlap).
const INSERT_OUTCOME = `INSERT INTO outcomes (id, prompt, model, score, weight, source, request_id, created_at, import_key)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (import_key) DO NOTHING`;

/** Capabilities are stored as ",code,reasoning," so a LIKE '%,code,%' finds one without a join. */
export function encodeCapabilities(capabilities: readonly string[] | undefined): string | null {
  return capabilities && capabilities.length > 0 ? `,${capabilities.join(',')},` : null;
}

export function decodeCapabilities(value: unknown): string[] {
  return typeof value === 'string' ? value.split(',').filter(Boolean) : [];
}

/**
 * Why SQLite would refuse this record (a NOT NULL column without a value), or null. The store checks
 * it before journaling, because it applies the record only after acknowledging it.
 */
export function requestRecordProblem(r: RequestRecord): string | null {
  for (const field of ['source', 'requested_model', 'routing_text', 'status'] as const) {
    if (typeof r[field] !== 'string') return `${field} must be a string`;
  }
  const d = r.decision as RoutingDecisionLike | null | undefined;
  if (typeof d !== 'object' || d === null) return 'decision must be an object';
  if (typeof d.model !== 'string' || typeof d.strategy !== 'string') {
    return 'decision.model and decision.strategy must be strings';
  }
  return null;
}

type RoutingDecisionLike = { model?: unknown; strategy?: unknown };

/**
 * The prompt-cache split of a record's usage as the stores' columns hold it (cached_tokens,
 * cache_creation_tokens, cache_creation_1h_tokens): null where the upstream reported none.
 */
export function cacheSplit(usage: RequestRecord['usage']): [number | null, number | null, number | null] {
  const details = usage?.prompt_tokens_details;
  const count = (value: number | undefined): number | null =>
    typeof value === 'number' && Number.isFinite(value) ? value : null;
  return [
    count(details?.cached_tokens),
    count(details?.cache_creation_tokens),
    count(details?.cache_creation_1h_tokens),
  ];
}

function finite(value: number | undefined | null, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/**
 * Applies one entry. `dataBytes`: the entry's data as UTF-8 JSON when the caller has it (the live
 * write path gets it from the journal line); replay passes nothing and it is encoded here.
 */
export function applyEntry(sql: Statements, entry: JournalOp, dataBytes?: Uint8Array): void {
  switch (entry.op) {
    case 'request':
      return applyRequest(sql, entry.data, dataBytes ?? Buffer.from(JSON.stringify(entry.data), 'utf8'));
    case 'feedback':
      return applyFeedback(sql, entry.data);
    case 'outcomes':
      return applyOutcomes(sql, entry.data);
    case 'retract':
      return applyRetract(sql, entry.data.request_id);
  }
}

function applyRequest(sql: Statements, r: RequestRecord, recordJson: Uint8Array): void {
  const d = r.decision;
  sql.run(UPSERT_REQUEST, [
    r.request_id,
    finite(r.created_at),
    r.source,
    r.requested_model,
    r.routing_text.slice(0, PREVIEW_CHARS),
    Buffer.from(JSON.stringify(d), 'utf8'),
    d.model,
    d.strategy,
    finite(d.confidence),
    finite(d.latency_ms),
    r.status,
    r.answered_by,
    r.usage ? finite(r.usage.prompt_tokens) : null,
    r.usage ? finite(r.usage.completion_tokens) : null,
    r.usage ? finite(r.usage.total_tokens) : null,
    finite(r.cost_usd),
    finite(r.latency_ms),
    recordJson,
    encodeCapabilities(r.capabilities),
    ...cacheSplit(r.usage),
  ]);
}

function applyFeedback(sql: Statements, f: FeedbackRecord & { id: number }): void {
  sql.run(INSERT_FEEDBACK, [f.id, f.request_id, f.rating, f.source, f.weight, f.created_at, f.comment ?? null]);
  // The most recently stored user rating is the one the decisions table shows.
  if ((USER_RATING_SOURCES as readonly string[]).includes(f.source)) sql.run(SET_RATING, [f.rating, f.request_id]);
}

function applyRetract(sql: Statements, requestId: string): void {
  sql.atomically(() => {
    sql.run('DELETE FROM feedback WHERE request_id = ?', [requestId]);
    sql.run('DELETE FROM outcomes WHERE request_id = ? AND source <> ?', [requestId, ATTEMPT_ERROR_SOURCE]);
    sql.run('UPDATE requests SET rating = NULL WHERE request_id = ?', [requestId]);
  });
}

function applyOutcomes(sql: Statements, rows: (Outcome & { import_key?: string })[]): void {
  const insert = () => {
    for (const o of rows) {
      sql.run(INSERT_OUTCOME, [
        o.id,
        o.prompt,
        o.model,
        o.score,
        o.weight,
        o.source,
        o.request_id,
        o.created_at,
        o.import_key ?? null,
      ]);
    }
  };
  sql.atomically(insert);
}
