// The prior's difficulty from the prompt's KIND (prior-kind.ts), learned between groups of prompts.
//
// The item-response fit reads its difficulty from the hashed words, which mostly learn which
// benchmark a prompt came from (a 5-shot template, "Answer:" letters). Here each training file is cut
// into groups: MMLU by subject, LLMRouter by cluster, and every file by a coarse kind signature (math
// words or an equation / lettered choices / asks for code). A group's ease is the mean over its
// models of (logit of the model's mean score on the group − the model's fitted ability), and a ridge
// regression over the groups' mean kind traits predicts it. As the prior's difficulty (minus the
// ease) it carries what kind of question is hard, not which benchmark, to prompts of files it never
// saw. The same groups with their discrimination as target (the slope of the models' logit means on
// their abilities) give a between-task "gap" head, kept for research (scripts/research/prior-kind.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FEATURE_COUNT } from '../core/learned/features';
import { KIND_COUNT } from '../core/learned/prior-kind';
import type { PriorModelRow } from '../core/learned/prior';
import { parseCsv } from './csv';
import type { PriorDataset, PriorRow } from './prior-train';
import { solveAugmented } from './solve';

export interface KindHeadOptions {
  /** The traits the head reads: the kind traits only, or the dense features too. */
  features: 'kind' | 'kind+dense';
  /** Ridge penalty per unit of total group weight, on the traits in their own 0..1 units. */
  l2: number;
  /** Cut groups by kind signature too (not only by file, subject and cluster). */
  split: boolean;
  /**
   * 'ease': the mean over the group's models of (logit mean score − ability); the head keeps its
   * intercept (an absolute ease on the fit's logit scale). 'gap': the group's discrimination, the
   * head centred on the groups' mean.
   */
  target: 'ease' | 'gap';
}

/**
 * What the shipped prior uses. Chosen on hash fold 0 of the training files only
 * (scripts/research/prior-kind.ts, rule fixed before the runs: the best "pooled" figure, i.e. gpt-4
 * vs Mixtral on equal fold-0 rows of two files both left out of the prior, mean of the 10 file
 * pairs, provided the leave-one-file-out pair and all-pairs means lose ≤ 0.01). Fold 0, pair | all
 * pairs | pooled: the form before (the fit's own difficulty) .565 | .574 | .530; this (kind traits,
 * l2 0.01, groups cut by kind, the fit's difficulty replaced) .571 | .566 | .543; l2 0.1 .574 | .572
 * | .542; the kind difficulty added to the fit's at ×0.5 / ×1 .559–.566 | .568–.578 | .531–.536;
 * with the dense features too, replaced, .564 | .562 | .551 (all-pairs −0.012: out by the rule).
 * The between-task GAP head (the same groups, their discrimination as target, × γ on the stronger
 * models' side) lost everywhere: best pooled .530 at γ 1, .469–.530 over 24 settings, and a file
 * oracle (each row scored by its own file's true gap) reaches only .573 on the pooled sets. On top of
 * this choice, the discrimination head reading the kind traits too (prior-discrimination.ts `kind`,
 * ridge 1 / 10): .559 / .551 | .559 / .555 | .545 / .536, out by the rule (pair mean −0.012).
 */
export const DEFAULT_KIND_DIFFICULTY: KindHeadOptions = { features: 'kind', l2: 0.01, split: true, target: 'ease' };

/** Columns that cut a file into subjects or clusters. */
const SUBGROUP_COLUMNS = ['domain', 'cluster_id'];

/** uid → subject or cluster, when the (CSV) file has such a column; empty otherwise. */
export function subgroupsOf(dataDir: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!file.endsWith('.csv')) return out;
  const [header, ...body] = parseCsv(readFileSync(path.join(dataDir, file), 'utf8'));
  const u = header?.indexOf('uid') ?? -1;
  const c = header ? header.findIndex((h) => SUBGROUP_COLUMNS.includes(h)) : -1;
  if (u < 0 || c < 0) return out;
  for (const r of body) out.set(r[u] ?? '', r[c] ?? '');
  return out;
}

/** [dense | kind] of a row (the kind traits as zeros when its features lack them). */
export function denseAndKind(r: Pick<PriorRow, 'features'>): Float64Array {
  const v = new Float64Array(FEATURE_COUNT + KIND_COUNT);
  v.set(r.features.dense, 0);
  if (r.features.kind) v.set(r.features.kind, FEATURE_COUNT);
  return v;
}

interface Group {
  rows: PriorRow[];
  name: string;
}

function groupsOf(datasets: readonly PriorDataset[], split: boolean): Group[] {
  const groups = new Map<string, Group>();
  for (const d of datasets)
    for (const r of d.rows) {
      const k = r.features.kind;
      const sig =
        split && k ? `${k[1]! > 0 || k[2]! > 0 ? 'm' : '-'}${k[6]! > 0 ? 'c' : '-'}${k[0]! > 0 ? 'p' : '-'}` : '';
      const name = `${d.file}|${r.group ?? ''}|${sig}`;
      let g = groups.get(name);
      if (!g) groups.set(name, (g = { name, rows: [] }));
      g.rows.push(r);
    }
  // A group of fewer than 20 prompts says more about its noise than about its kind.
  return [...groups.values()].filter((g) => g.rows.length >= 20);
}

/**
 * The head's weights over [dense | kind] (the bias in dense[0]), its training groups' weighted
 * mean target, and the groups with their targets (for reports); null when no group qualifies.
 */
export function kindHead(
  datasets: readonly PriorDataset[],
  abilities: Readonly<Record<string, Pick<PriorModelRow, 'ability'>>>,
  o: KindHeadOptions,
): { weights: Float64Array; mean: number; groups: { name: string; n: number; y: number }[] } | null {
  const F = FEATURE_COUNT + KIND_COUNT;
  const xs: Float64Array[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  const report: { name: string; n: number; y: number }[] = [];
  for (const g of groupsOf(datasets, o.split)) {
    const models = g.rows[0]!.models;
    const pts: { a: number; l: number }[] = [];
    models.forEach((m, j) => {
      const row = abilities[m];
      if (!row) return;
      let s = 0;
      let n = 0;
      for (const r of g.rows)
        if (r.scores[j] !== null) {
          s += r.scores[j]!;
          n++;
        }
      if (n < 10) return;
      const p = (s + 1) / (n + 2);
      pts.push({ a: row.ability, l: Math.log(p / (1 - p)) });
    });
    let y: number;
    let w: number;
    if (o.target === 'ease') {
      if (pts.length === 0) continue;
      y = Math.min(4, Math.max(-4, pts.reduce((t, p) => t + p.l - p.a, 0) / pts.length));
      w = Math.sqrt(g.rows.length * pts.length);
    } else {
      if (pts.length < 2) continue;
      const aBar = pts.reduce((t, p) => t + p.a, 0) / pts.length;
      const lBar = pts.reduce((t, p) => t + p.l, 0) / pts.length;
      let num = 0;
      let info = 0;
      for (const p of pts) {
        num += (p.a - aBar) * (p.l - lBar);
        info += (p.a - aBar) ** 2;
      }
      if (info < 1e-6) continue;
      // A two-model group's slope is one logit difference over a few dozen rows: clipped.
      y = Math.min(3, Math.max(-1, num / info));
      w = Math.sqrt(g.rows.length) * info;
    }
    const x = new Float64Array(F);
    for (const r of g.rows) {
      const f = denseAndKind(r);
      for (let j = 0; j < F; j++) x[j]! += f[j]! / g.rows.length;
    }
    xs.push(x);
    ys.push(y);
    ws.push(w);
    report.push({ name: g.name, n: g.rows.length, y });
  }
  const W = ws.reduce((a, b) => a + b, 0);
  // Too little data (no group of 20 prompts with scored models): no head.
  if (W === 0) return null;
  // Centred on the groups' weighted means, ridge in the traits' own 0..1 units (standardising would
  // blow up a trait only a handful of groups have, e.g. free writing).
  const mu = new Float64Array(F);
  xs.forEach((x, i) => x.forEach((v, j) => (mu[j]! += (ws[i]! * v) / W)));
  const spread = new Float64Array(F);
  xs.forEach((x, i) => x.forEach((v, j) => (spread[j]! += (ws[i]! * (v - mu[j]!) ** 2) / W)));
  const cols: number[] = [];
  for (let j = 1; j < F; j++)
    if ((o.features === 'kind+dense' || j >= FEATURE_COUNT) && spread[j]! > 1e-8) cols.push(j);
  const yBar = ys.reduce((a, y, i) => a + ws[i]! * y, 0) / W;
  const P = cols.length;
  const A = Array.from({ length: P }, () => new Float64Array(P + 1));
  xs.forEach((x, i) => {
    for (let p = 0; p < P; p++) {
      const zp = x[cols[p]!]! - mu[cols[p]!]!;
      A[p]![P]! += ws[i]! * zp * (ys[i]! - yBar);
      for (let q = 0; q < P; q++) A[p]![q]! += ws[i]! * zp * (x[cols[q]!]! - mu[cols[q]!]!);
    }
  });
  for (let p = 0; p < P; p++) A[p]![p]! += o.l2 * W;
  const beta = solveAugmented(A);
  const weights = new Float64Array(F);
  cols.forEach((j, p) => {
    weights[j] = beta[p]!;
    weights[0]! -= beta[p]! * mu[j]!;
  });
  if (o.target === 'ease') weights[0]! += yBar;
  return { weights, mean: yBar, groups: report };
}
