// Fugusashi 0.3.0 kept its outcomes in `.fugusashi_data/outcomes.jsonl` ("inspectable, shareable,
// yours"): one line per routed request ({prompt, routed_to, confidence, strategy, …, error,
// timestamp}), and the whole record again, with `user_rating`, when it was rated. Importing that
// file is how a 0.3.0 user brings their history along, so such records are read here as training
// rows the way 0.3.0 itself retrained on them: a rating 1–5 or an `auto_score` is the score of the
// model that answered; failed requests taught 0.3.0 nothing and are left out. An answer nobody
// rated carries no judgement of its quality (0.3.0 filled in 0.5), so it is left out too rather
// than teaching the router that every routine answer was mediocre.
import { ratingScore } from './rating';

/** A 0.3.0 outcome record: it names the model in `routed_to` and has no `model`. */
export function isOutcome030(row: unknown): row is Record<string, unknown> {
  if (!row || typeof row !== 'object' || Array.isArray(row)) return false;
  const r = row as Record<string, unknown>;
  return typeof r['routed_to'] === 'string' && r['model'] === undefined;
}

/**
 * `rows` with each 0.3.0 outcome record turned into a `{prompt, model, score}` row and the others as
 * they are, index for index; null where a record has nothing to learn (unrated or failed: counted
 * in `skipped` once per record).
 *
 * 0.3.0 appended the whole record again each time it was rated (record_user_rating): the unrated
 * copy teaches nothing once a rated one exists, and each rated copy is a rating of its own, the
 * same score given again too (5, then 2, then 5: three), as 0.3.0 itself counted every line when
 * it loaded the file and every rating in its rankings, and as a second POST /v1/feedback/rate here
 * adds a second outcome. Each copy's import key is its score and that score's occurrence among
 * the record's ratings (import-keys.ts), so the file imported whole, or imported before a
 * re-rating and again after it, ends with the same outcomes.
 */
export function rowsFromOutcomes030(rows: readonly unknown[]): {
  rows: unknown[];
  skipped: number;
  /** Index for index: the row is a user's 1–5 rating (`user_rating`), not an auto_score or another row. */
  userRated: boolean[];
} {
  // Per record (same timestamp, prompt, model): whether any copy judges it, and its last copy.
  const judged = new Set<string>();
  const last = new Map<string, number>();
  rows.forEach((row, i) => {
    if (!isOutcome030(row)) return;
    const key = recordKey(row);
    last.set(key, i);
    if (judgementOf(row) !== null) judged.add(key);
  });
  const userRated = rows.map(
    (row) => isOutcome030(row) && judgementOf(row) !== null && numberIn(row['user_rating']) !== null,
  );
  if (last.size === 0) return { rows: [...rows], skipped: 0, userRated };
  let skipped = 0;
  const out = rows.map((row, i) => {
    if (!isOutcome030(row)) return row;
    const key = recordKey(row);
    const score = judgementOf(row);
    if (score === null) {
      // Nothing to learn from this record at all (never rated, or failed): counted once.
      if (!judged.has(key) && last.get(key) === i) skipped++;
      return null;
    }
    return { prompt: row['prompt'], model: row['routed_to'], score };
  });
  return { rows: out, skipped, userRated };
}

/** A record's score, or null when it carries no judgement (unrated, or the request failed). */
function judgementOf(r: Record<string, unknown>): number | null {
  return r['error'] === true ? null : scoreOf(r);
}

function recordKey(r: Record<string, unknown>): string {
  return JSON.stringify([r['timestamp'] ?? null, r['routed_to'], r['prompt'] ?? null]);
}

/** 0.3.0 clamped ratings to 1–5; an auto_score was already 0–1. */
function scoreOf(r: Record<string, unknown>): number | null {
  const rating = numberIn(r['user_rating']);
  if (rating !== null) return ratingScore(Math.min(5, Math.max(1, Math.round(rating))));
  const auto = numberIn(r['auto_score']);
  if (auto !== null) return Math.min(1, Math.max(0, auto));
  return null;
}

/**
 * A number, or a string that spells one; null for anything else. Number() alone reads "" and "  "
 * as 0 (and true as 1), which would turn a blank rating into the worst one: a made-up judgement.
 */
function numberIn(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
