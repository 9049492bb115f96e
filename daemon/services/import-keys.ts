// The identity of an imported training row, so importing the same file (or sending the same
// identified rows) twice stores each row once, while two people's identical ratings stay two
// outcomes.
//
// A row is named by what identifies it in its source:
// - a Fugusashi 0.3.0 outcome record by its request id (`request_id` or `uid`) when it has one, else
//   by its timestamp, model and prompt (the key 0.3.0's own log repeats when a record is rated
//   later, outcomes-030.ts), and by its score and that score's occurrence among the record's
//   ratings in the source (`:score:<s>` for the first, `:score:<s>:2`, `:3`… for the same score
//   again): 0.3.0 appends the record again each time it is rated, so every rating is a judgement of
//   its own (as a second rating of a request is here), a record rated 5, then 2, then 5 again three
//   of them; an outcomes.jsonl that grew since the last import brings only the new ratings, and a
//   re-rating sent on its own (new lines of the file, a trimmed tail) is new if its score is. The
//   first occurrence's key is the one earlier versions gave every rating of that score, so what
//   they stored is recognised. The limit: the same score given to a record again, arriving in a
//   source without the earlier rating, is taken for that rating (already imported);
// - any other row by its `uid` column when the file has one, with the row's model and prompt (a
//   score table names a prompt by its uid and rates several models on it, one row each, and another
//   data set numbers its prompts 1, 2, … too) and its occurrence among the source's rows with those
//   three (a second rater's judgement of the same item is another outcome; a grown file repeats
//   the first ones in the same order);
// - a row of `fugusashi export` (an outcome with its id, source and created_at) by all of those: an
//   export taken again after more ratings is another file, yet its old rows are the same outcomes;
// - else, in a whole file (`fugusashi import`, a JSON-lines or CSV body), by its position in the
//   file and the file's own digest: the same file again gives the same keys, another person's file
//   (another digest) other keys, even where a row is identical;
// - else (rows sent as JSON by a rating tool or a script, 0.3.0's "seed" route) by nothing: such a
//   row is a judgement of its own each time it is sent, like a rating, and always stored.
//
// In team mode the PostgreSQL store scopes every key by the user whose API key imported it (the
// key's name, which a replacement key keeps; store/postgres/op-keys.ts): one user's import run twice
// stores its rows once, two users' identical files stay two users' judgements; a key stored with no
// API key (a copied history) is everyone's.
import { createHash } from 'node:crypto';
import { isOutcome030 } from './outcomes-030';

/** A digest of a whole file's text. */
export function sourceDigest(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 32);
}

/**
 * The import keys of one source: the returned function names row `index` of it (as given, before any
 * translation; `score` is the score it translates to); call it for the rows in order. `fileDigest`:
 * the source is a whole file with this digest, so a row without an identity of its own is named by
 * its position in it; null (rows sent as JSON): such a row gets no key (undefined), always stored.
 */
export function importKeys(
  fileDigest: string | null,
): (row: unknown, index: number, score: number) => string | undefined {
  const occurrences = new Map<string, number>();
  const count = (key: string): number => {
    const n = occurrences.get(key) ?? 0;
    occurrences.set(key, n + 1);
    return n;
  };
  return (row, index, score) => {
    if (row && typeof row === 'object' && !Array.isArray(row)) {
      const r = row as Record<string, unknown>;
      if (isOutcome030(r)) {
        const record = outcome030Key(r);
        if (record !== null) {
          const key = `${record}:score:${score}`;
          const n = count(key);
          return n === 0 ? key : `${key}:${n + 1}`;
        }
      } else {
        const uid = idIn(r['uid']);
        if (uid !== null) {
          const key = `import:uid:${sourceDigest(JSON.stringify([uid, idIn(r['model']), r['prompt'] ?? null]))}`;
          const n = count(key);
          return n === 0 ? key : `${key}:${n}`;
        }
        if (isExportedOutcome(r)) {
          const fields = ['id', 'prompt', 'model', 'score', 'weight', 'source', 'request_id', 'created_at'];
          const content = fields.map((field) => r[field] ?? null);
          return `import:export:${sourceDigest(JSON.stringify(content))}`;
        }
      }
    }
    return fileDigest === null ? undefined : `import:${fileDigest}:${index}`;
  };
}

/** A 0.3.0 record's own part of its keys (its request id, else its timestamp, model and prompt). */
function outcome030Key(r: Record<string, unknown>): string | null {
  const id = idIn(r['request_id']) ?? idIn(r['uid']);
  if (id !== null) return `import:030:id:${id}`;
  const timestamp = idIn(r['timestamp']);
  if (timestamp === null) return null;
  return `import:030:${sourceDigest(JSON.stringify([timestamp, r['routed_to'], r['prompt'] ?? null]))}`;
}

/** A line of `fugusashi export` (queries.exportOutcomes): an outcome as the store numbered it. */
function isExportedOutcome(r: Record<string, unknown>): boolean {
  return Number.isInteger(r['id']) && typeof r['created_at'] === 'number' && typeof r['source'] === 'string';
}

/** A non-empty string or a finite number, as text; null for anything else. */
function idIn(value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return null;
}
