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
 * in `skipped`) or is an earlier copy of a record rated later.
 */
export function rowsFromOutcomes030(rows: readonly unknown[]): { rows: unknown[]; skipped: number } {
  // A rated record repeats the unrated one (same timestamp, prompt, model): the last copy counts.
  const last = new Map<string, number>();
  rows.forEach((row, i) => {
    if (isOutcome030(row)) last.set(recordKey(row), i);
  });
  if (last.size === 0) return { rows: [...rows], skipped: 0 };
  let skipped = 0;
  const out = rows.map((row, i) => {
    if (!isOutcome030(row)) return row;
    if (last.get(recordKey(row)) !== i) return null;
    const score = scoreOf(row);
    if (row['error'] === true || score === null) {
      skipped++;
      return null;
    }
    return { prompt: row['prompt'], model: row['routed_to'], score };
  });
  return { rows: out, skipped };
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
