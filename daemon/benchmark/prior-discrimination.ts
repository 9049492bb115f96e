// The prompt's "discrimination": how much more the stronger models of a table score on it than the
// weaker ones. Per row, the slope of the models' scores on their mean scores over the table,
//   d_q = Σ_m (s_qm − s̄_q)(μ_m − μ̄) / Σ_m (μ_m − μ̄)²,
// weighted by Σ_m (μ_m − μ̄)² (a row scored by many models of very different ability says more).
// Every model pair of every file is a training example of "which prompts does the stronger model
// win", not only gpt-4 vs Mixtral. A ridge regression of d_q on the prompt's dense features (length,
// layout, code, math, choices…) gives a head that carries across tasks better than the words do.
import { FEATURE_COUNT, LEXICAL_DIMS } from '../core/learned/features';
import { priorInput, type SparseInput } from '../core/learned/prior';
import { KIND_COUNT } from '../core/learned/prior-kind';
import type { PriorDataset } from './prior-train';

export interface DiscriminationOptions {
  /**
   * 'discrimination' (default): the slope above. 'difficulty': minus the row's mean score over its
   * models, weighted by how many scored it (a transferable difficulty from the dense features).
   */
  target?: 'discrimination' | 'difficulty';
  /** Only these two (canonical) models; files without both are skipped. */
  pairsOnly?: [string, string];
  /** Subtract each file's mean discrimination (learn only which prompts separate within a file). */
  centre: boolean;
  /** A file's total weight ∝ rows^datasetPower (1: by rows; 0: every file alike). */
  datasetPower: number;
  /** Ridge penalty per unit of total weight (the bias is not penalised). */
  l2: number;
  /**
   * Ridge penalty on the hashed words (per unit of total weight); undefined: the head reads the
   * dense features only.
   */
  lexicalL2?: number;
  /** The head reads the prompt's kind traits too (after the words), at the dense features' l2. */
  kind?: boolean;
}

/**
 * The ridge weights over the prior's input layout without embedding ([dense | lexical]; the
 * lexical part is zero when o.lexicalL2 is undefined): usable as one more skill row of the prior.
 */
export function discriminationHead(datasets: readonly PriorDataset[], o: DiscriminationOptions): Float64Array {
  const withWords = o.lexicalL2 !== undefined;
  const lexicalDims = withWords ? LEXICAL_DIMS : 0;
  const F = FEATURE_COUNT + lexicalDims + (o.kind ? KIND_COUNT : 0);
  const xs: SparseInput[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  for (const d of datasets) {
    const rows = d.rows;
    if (rows.length === 0) continue;
    const models = rows[0]!.models;
    const use = o.pairsOnly ? o.pairsOnly.map((m) => models.indexOf(m)) : models.map((_, i) => i);
    if (use.some((i) => i < 0)) continue;
    const mu = use.map((m) => {
      const v = rows.map((r) => r.scores[m]).filter((s): s is number => s !== null);
      return v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
    });
    const start = ys.length;
    for (const r of rows) {
      const present = use
        .map((m, j) => ({ s: r.scores[m], mu: mu[j]! }))
        .filter((p) => p.s !== null && p.s !== undefined);
      if (present.length < 2) continue;
      const muBar = present.reduce((a, p) => a + p.mu, 0) / present.length;
      const sBar = present.reduce((a, p) => a + p.s!, 0) / present.length;
      let num = 0;
      let info = 0;
      for (const p of present) {
        num += (p.s! - sBar) * (p.mu - muBar);
        info += (p.mu - muBar) ** 2;
      }
      if (o.target === 'difficulty') {
        info = present.length;
        num = -sBar * info;
      }
      if (info < 1e-9) continue;
      const x = priorInput(r.features, null, { embedding: 0, lexical: lexicalDims, kind: o.kind ? KIND_COUNT : 0 });
      xs.push(x);
      ys.push(num / info);
      ws.push(info);
    }
    const n = ys.length - start;
    if (n === 0) continue;
    let wSum = 0;
    let yMean = 0;
    for (let i = start; i < ys.length; i++) {
      wSum += ws[i]!;
      yMean += ws[i]! * ys[i]!;
    }
    yMean /= wSum;
    const scale = Math.pow(n, o.datasetPower) / wSum;
    for (let i = start; i < ys.length; i++) {
      ws[i] = ws[i]! * scale;
      if (o.centre) ys[i] = ys[i]! - yMean;
    }
  }
  const A = Array.from({ length: F }, () => new Float64Array(F));
  const b = new Float64Array(F);
  let total = 0;
  xs.forEach((x, n) => {
    const w = ws[n]!;
    total += w;
    for (let p = 0; p < x.index.length; p++) {
      const i = x.index[p]!;
      const wv = w * x.value[p]!;
      b[i]! += wv * ys[n]!;
      const row = A[i]!;
      for (let q = 0; q < x.index.length; q++) row[x.index[q]!]! += wv * x.value[q]!;
    }
  });
  for (let i = 1; i < F; i++) {
    const words = i >= FEATURE_COUNT && i < FEATURE_COUNT + lexicalDims;
    A[i]![i]! += (words ? o.lexicalL2! : o.l2) * total * 1e-3;
  }
  A[0]![0]! += 1e-9 * total;
  return solve(A, b);
}

/** Gaussian elimination with partial pivoting (A is symmetric positive definite, so this is stable). */
function solve(A: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
    if (p !== c) {
      [A[c], A[p]] = [A[p]!, A[c]!];
      [b[c], b[p]] = [b[p]!, b[c]!];
    }
    const pivot = A[c]!;
    for (let r = c + 1; r < n; r++) {
      const row = A[r]!;
      const f = row[c]! / pivot[c]!;
      if (f === 0) continue;
      for (let k = c; k < n; k++) row[k]! -= f * pivot[k]!;
      b[r]! -= f * b[c]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r]!;
    const row = A[r]!;
    for (let k = r + 1; k < n; k++) s -= row[k]! * x[k]!;
    x[r] = s / row[r]!;
  }
  return x;
}
