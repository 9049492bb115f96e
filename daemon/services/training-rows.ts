// Validation and parsing of training rows ({prompt, model[, score, weight]}) from JSON, JSON lines
// or CSV, and of Fugusashi 0.3.0's outcome records (outcomes-030.ts). All-or-nothing: one bad row
// rejects the batch with its row number and field, so a typo never half-imports a file.
import type { TrainingRow } from '../../shared/api';
import { FugusashiError } from '../../shared/errors';
// The one RFC 4180 parser of the daemon (the benchmark's score tables use it too).
import { parseCsv as parseCsvRecords } from '../benchmark/csv';
import { importKeys } from './import-keys';
import { rowsFromOutcomes030 } from './outcomes-030';

export const MAX_ROWS_PER_IMPORT = 200_000;

/**
 * The rows to learn with each one's import key (import-keys.ts; `fileDigest` is the whole file's, null
 * for rows sent as JSON; undefined for a row with no identity), and how many records of a 0.3.0
 * outcomes.jsonl had nothing to learn from (outcomes-030.ts). Rows are numbered as given in errors.
 */
export function validateRows(
  rows: unknown,
  fileDigest: string | null,
): { rows: TrainingRow[]; keys: (string | undefined)[]; skipped: number; userRated: boolean[] } {
  if (!Array.isArray(rows)) throw new FugusashiError('InvalidRequest', 'Expected an array of training rows', 'rows');
  if (rows.length === 0) throw new FugusashiError('InvalidRequest', 'No training rows given', 'rows');
  if (rows.length > MAX_ROWS_PER_IMPORT) {
    throw new FugusashiError('InvalidRequest', `At most ${MAX_ROWS_PER_IMPORT} rows per import`, 'rows');
  }
  const translated = rowsFromOutcomes030(rows);
  const valid: TrainingRow[] = [];
  const keys: (string | undefined)[] = [];
  const userRated: boolean[] = [];
  const keyOf = importKeys(fileDigest);
  translated.rows.forEach((row, i) => {
    if (row === null) return;
    const checked = validateRow(row, i);
    valid.push(checked);
    keys.push(keyOf(rows[i], i, checked.score));
    userRated.push(translated.userRated[i] ?? false);
  });
  return { rows: valid, keys, skipped: translated.skipped, userRated };
}

function validateRow(row: unknown, i: number): TrainingRow {
  const bad = (field: string, why: string): never => {
    throw new FugusashiError('InvalidRequest', `Row ${i + 1}: '${field}' ${why}`, `rows[${i}].${field}`);
  };
  if (!row || typeof row !== 'object') return bad('row', 'must be an object {prompt, model, score}');
  const r = row as Record<string, unknown>;
  if (typeof r['prompt'] !== 'string' || !r['prompt'].trim()) bad('prompt', 'must be a non-empty string');
  if (typeof r['model'] !== 'string' || !r['model'].trim()) bad('model', 'must be a non-empty string');
  // No score (a JSON row without one, a CSV without a score column): 0.3.0's POST
  // /v1/routing/training took such a row as a good example (1.0). A score left blank in a score
  // column (or null) is a gap in the data and refused like any bad value: Number(" ") would be 0.
  const given = r['score'];
  const score = given === undefined ? 1 : typeof given === 'string' && given.trim() !== '' ? Number(given) : given;
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 1)
    bad('score', 'must be a number from 0 to 1');
  const out: TrainingRow = {
    prompt: r['prompt'] as string,
    model: (r['model'] as string).trim(),
    score: score as number,
  };
  if (r['weight'] !== undefined && r['weight'] !== '') {
    const weight = Number(r['weight']);
    if (!Number.isFinite(weight) || weight <= 0) bad('weight', 'must be a positive number');
    out.weight = weight;
  }
  return out;
}

export function parseJsonLines(text: string): unknown[] {
  const rows: unknown[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    try {
      rows.push(JSON.parse(line));
    } catch {
      throw new FugusashiError('InvalidRequest', `Line ${i + 1} is not valid JSON`, `line ${i + 1}`);
    }
  }
  return rows;
}

/** CSV with a header row naming prompt, model (and optionally score, weight); RFC 4180 quoting. */
export function parseCsv(text: string): unknown[] {
  const records = parseCsvRecords(text);
  const header = records.shift();
  if (!header) throw new FugusashiError('InvalidRequest', 'Empty CSV', 'body');
  const names = header.map((h) => h.trim().toLowerCase());
  for (const required of ['prompt', 'model']) {
    if (!names.includes(required)) {
      throw new FugusashiError('InvalidRequest', `CSV header must name a '${required}' column`, required);
    }
  }
  return records
    .filter((r) => r.some((cell) => cell.trim() !== ''))
    .map((r) => Object.fromEntries(names.map((name, i) => [name, r[i] ?? ''])));
}
