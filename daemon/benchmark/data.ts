// Loads a per-prompt × per-model score table (CSV or JSONL, the format of the shared eval data):
// a `uid` and a `prompt` column, one column per model holding its score, optional
// `<model>|total_cost` columns and an optional `contaminated` flag (those rows are dropped).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCsv } from './csv';

export interface EvalRow {
  uid: string;
  prompt: string;
  /** Per model (same order as EvalTable.models); null when the cell is empty. */
  scores: (number | null)[];
  /** USD per call per model, when the file has `|total_cost` columns. */
  costs: (number | null)[] | null;
}

export interface EvalTable {
  name: string;
  models: string[];
  rows: EvalRow[];
  hasCosts: boolean;
  /** Rows dropped because they were flagged contaminated. */
  contaminated: number;
  /** Score range over the table (MT Bench is 1–10, most others 0–1). */
  min: number;
  max: number;
}

/** Columns that look numeric but are not model scores. */
const META_COLUMNS = new Set([
  'uid',
  'prompt',
  'contaminated',
  'orig_index',
  'sample_id',
  'cluster_id',
  'question_id',
  'routerdc_split',
  'orig_split',
  'id',
  'index',
  // Fugusashi 0.3.0's labelled datasets (fromLabels030).
  'expected_model',
  'category',
  'ideal_cost',
]);
const NON_MODEL_SUFFIXES = ['_response', '_turn1', '_turn2', '|model_response', '|total_cost'];

export function parseScore(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return Number.NaN;
  const s = value.trim();
  if (s === '') return null;
  if (/^true$/i.test(s)) return 1;
  if (/^false$/i.test(s)) return 0;
  const n = Number(s);
  return Number.isFinite(n) ? n : Number.NaN;
}

/** A text cell: strings as they are, numbers and booleans printed, anything else JSON. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && /^true$/i.test(value.trim()));
}

export function loadTable(file: string, only?: readonly string[]): EvalTable {
  const text = readFileSync(file, 'utf8');
  const records = file.endsWith('.jsonl') || file.endsWith('.json') ? fromJsonl(text) : fromCsv(text);
  return tableFromRecords(path.basename(file), records, only);
}

function fromCsv(text: string): Record<string, string>[] {
  const [header, ...body] = parseCsv(text);
  if (!header) return [];
  return body.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
}

function fromJsonl(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const value = JSON.parse(line) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`line ${i + 1}: not an object`);
    out.push(value as Record<string, unknown>);
  });
  return out;
}

/** A column is a model when it is not metadata and every non-empty cell is a score. */
export function detectModels(columns: readonly string[], records: readonly Record<string, unknown>[]): string[] {
  return columns.filter((c) => {
    if (META_COLUMNS.has(c) || NON_MODEL_SUFFIXES.some((s) => c.endsWith(s))) return false;
    let seen = 0;
    for (const r of records) {
      const v = parseScore(r[c]);
      if (v === null) continue;
      if (Number.isNaN(v)) return false;
      seen++;
    }
    return seen > 0;
  });
}

export function tableFromRecords(
  name: string,
  records: readonly Record<string, unknown>[],
  only?: readonly string[],
): EvalTable {
  let columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  if (!columns.includes('prompt')) throw new Error(`${name}: no "prompt" column`);
  if (columns.includes('expected_model') && detectModels(columns, records).length === 0) {
    ({ name, records, columns } = fromLabels030(name, records));
  }
  let models = detectModels(columns, records);
  if (only?.length) {
    const missing = only.filter((m) => !models.includes(m));
    if (missing.length)
      throw new Error(`${name}: no score column for ${missing.join(', ')} (has ${models.join(', ')})`);
    models = [...only];
  }
  if (models.length < 2)
    throw new Error(`${name}: need at least two model columns, found ${models.join(', ') || 'none'}`);
  const hasCosts = models.every((m) => columns.includes(`${m}|total_cost`));
  let contaminated = 0;
  let min = Infinity;
  let max = -Infinity;
  const rows: EvalRow[] = [];
  const seen = new Map<string, number>();
  for (const r of records) {
    if (isTrue(r.contaminated)) {
      contaminated++;
      continue;
    }
    const prompt = cell(r.prompt);
    const scores = models.map((m) => {
      const v = parseScore(r[m]);
      return v === null || Number.isNaN(v) ? null : v;
    });
    for (const s of scores) {
      if (s === null) continue;
      if (s < min) min = s;
      if (s > max) max = s;
    }
    const costs = hasCosts
      ? models.map((m) => {
          const v = parseScore(r[`${m}|total_cost`]);
          return v === null || Number.isNaN(v) ? null : v;
        })
      : null;
    rows.push({ uid: r.uid === undefined || r.uid === '' ? uidOf(prompt, seen) : cell(r.uid), prompt, scores, costs });
  }
  return {
    name,
    models,
    rows,
    hasCosts,
    contaminated,
    min: min === Infinity ? 0 : min,
    max: max === -Infinity ? 1 : max,
  };
}

/**
 * Fugusashi 0.3.0's benchmark datasets (`fugusashi benchmark -d my_data.jsonl`) label each prompt
 * with the model it should go to: {prompt, expected_model, category, ideal_cost}. As a score table,
 * the expected model scores 1 and the other labelled models 0, so a run's quality is 0.3.0's
 * "routing accuracy": the share of prompts routed to their expected model.
 */
function fromLabels030(
  name: string,
  records: readonly Record<string, unknown>[],
): { name: string; records: Record<string, unknown>[]; columns: string[] } {
  const models = [...new Set(records.map((r) => cell(r.expected_model)).filter(Boolean))];
  if (models.length < 2)
    throw new Error(
      `${name}: a 0.3.0 dataset (expected_model) needs at least two expected models to route between, found ${models.join(', ') || 'none'}`,
    );
  const scored = records.map((r) => ({
    ...r,
    ...Object.fromEntries(models.map((m) => [m, cell(r.expected_model) === m ? 1 : 0])),
  }));
  return {
    name: `${name} (0.3.0 labels: quality = share routed to the expected model)`,
    records: scored,
    columns: [...new Set(scored.flatMap((r) => Object.keys(r)))],
  };
}

/** The shared data's uid: sha256(prompt)[:16], with -1, -2… for later duplicates. */
export function uidOf(prompt: string, seen: Map<string, number>): string {
  const base = createHash('sha256').update(prompt).digest('hex').slice(0, 16);
  const n = seen.get(base) ?? 0;
  seen.set(base, n + 1);
  return n === 0 ? base : `${base}-${n}`;
}

/** Rows where every listed model has a score (e.g. the 14 ARC rows with empty cells go). */
export function completeRows(table: EvalTable, modelIdx: readonly number[]): EvalRow[] {
  return table.rows.filter((r) => modelIdx.every((i) => r.scores[i] !== null));
}
