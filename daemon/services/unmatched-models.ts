// Imported rows are learned under their model name, and routing reads outcomes by pool name: rows
// under any other name (a dated upstream id such as gpt-4o-2024-08-06 for the pool's gpt-4o) are
// stored but change nothing. An import says which names those are, and the pool name that is
// probably meant.
import type { ModelConfig } from '../../shared/config';
import { canonicalModelName } from '../core/learned/prior';

/** A model name of imported rows that no pool model has. */
export interface UnmatchedModel {
  model: string;
  /** How many of the import's rows name it. */
  rows: number;
  /** The one pool model whose `model:` id or canonical name matches it, when there is one. */
  pool_name?: string;
}

/** The rows' model names that are no pool model's name, most rows first. */
export function unmatchedModels(rows: readonly { model: string }[], pool: readonly ModelConfig[]): UnmatchedModel[] {
  const names = new Set(pool.map((m) => m.name));
  const counts = new Map<string, number>();
  for (const row of rows) if (!names.has(row.model)) counts.set(row.model, (counts.get(row.model) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([model, n]) => {
      const poolName = poolNameFor(model, pool);
      return poolName === undefined ? { model, rows: n } : { model, rows: n, pool_name: poolName };
    });
}

/** A date suffix vendors put on a model id (gpt-4o-2024-08-06, claude-3-5-sonnet-20241022). */
const DATE_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{8})$/;

/**
 * The pool name meant by `model`: the one pool model with that upstream id, else the one whose id
 * or name is the same model by canonical name, else by canonical name without a date suffix.
 * Undefined when none matches, or more than one at the closest level that matches (ambiguous).
 */
function poolNameFor(model: string, pool: readonly ModelConfig[]): string | undefined {
  const canonical = canonicalModelName(model);
  const undated = canonical.replace(DATE_SUFFIX, '');
  const levels: ((m: ModelConfig) => boolean)[] = [
    (m) => m.model === model,
    (m) => canonicalModelName(m.model) === canonical || canonicalModelName(m.name) === canonical,
    (m) =>
      canonicalModelName(m.model).replace(DATE_SUFFIX, '') === undated ||
      canonicalModelName(m.name).replace(DATE_SUFFIX, '') === undated,
  ];
  for (const matches of levels) {
    const hits = pool.filter(matches);
    if (hits.length === 1) return hits[0]!.name;
    if (hits.length > 1) return undefined;
  }
  return undefined;
}

/** What an import says about its unmatched names (null when every row names a pool model). */
export function unmatchedWarning(unmatched: readonly UnmatchedModel[], totalRows: number): string | null {
  if (unmatched.length === 0) return null;
  const rows = unmatched.reduce((n, u) => n + u.rows, 0);
  const list = unmatched
    .map((u) => {
      const hint = u.pool_name ? `; the pool calls this model "${u.pool_name}": use that name` : '';
      return `${u.model} (${u.rows} row${u.rows === 1 ? '' : 's'}${hint})`;
    })
    .join(', ');
  const head =
    rows === totalRows
      ? `None of the ${totalRows} row(s) names a pool model: they are stored, but routing learns nothing from them`
      : `${rows} of the ${totalRows} row(s) name no pool model: they are stored, but routing does not use them`;
  return `${head} until a pool model has that name: ${list}`;
}
