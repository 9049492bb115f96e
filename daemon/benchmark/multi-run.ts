// Multi-model --folds runs with nested selection: every outer fold's router is the three views
// (kNN, logistic heads, the prior's IRT structure fitted on the fold's training rows) stacked with
// weights and per-model offsets chosen on inner out-of-fold predictions of the training rows only,
// and, with cost columns, the ε of the cost-aware pick (cheapest model within ε of the best
// predicted) chosen on the same inner rows as the cheapest that keeps the best single model's
// quality. No setting is ever chosen on the rows it is measured on.
import { PoolIrt } from '../core/learned/multi-irt';
import {
  argmax,
  cheapestWithin,
  DEFAULT_STACK_FIT,
  fitEpsilon,
  fitStack,
  stackQualities,
  type StackParts,
  type StackRow,
  type StackWeights,
} from '../core/learned/multi-stack';
import { QualityModel, type QualityModelOptions } from '../core/learned/quality-model';
import { foldOf, seededRandom } from './folds';
import type { Prepared } from './run';

/** Inner folds for the stacking weights and ε (per outer fold). */
export const INNER_FOLDS = 3;

/**
 * The kNN view of the stack reads more neighbours with a flatter kernel than the live blend's
 * default: on LLMRouter's tuning split (hash fold 0) k 100 / width 0.3 routed +1.75 points over the
 * best single model against +0.70 for k 50 / 0.15 (the other folds were not looked at for this).
 */
export const MULTI_KNN = { k: 100, temperature: 0.3 };

export interface StackedFold {
  fold: number;
  weights: StackWeights;
  /** ε of the cost-aware pick (null: the file has no costs). */
  epsilon: number | null;
}

export interface StackedResult {
  /** Per evaluated row: the three views and the stacked quality per model (pool order). */
  parts: StackParts[];
  stacked: number[][];
  /** Per row: the cost-aware pick (model index) under its fold's ε; null without costs. */
  costAware: number[] | null;
  /** Per row: its outer fold. */
  folds: number[];
  perFold: StackedFold[];
}

interface Views {
  model: QualityModel;
  irt: PoolIrt | null;
}

/** Which views a nested run stacks, and on how many training rows (the live stack's settings). */
export interface StackedRunOptions {
  /** Fit and stack the IRT view (default true; the live stack has none). */
  irt?: boolean;
  /** Train each outer fold's stack on at most this many rows (a seeded sample; default all). */
  maxTrainRows?: number;
}

async function fitViews(
  rows: readonly Prepared[],
  models: readonly string[],
  dims: number,
  options: QualityModelOptions,
  seed: number,
  withIrt = true,
): Promise<Views> {
  const model = new QualityModel(dims, options);
  for (const r of rows)
    r.learnScores.forEach((s, m) => {
      if (s !== null) model.add(r.key, r.vector, r.features, models[m]!, s);
    });
  // The live router's search: exact up to SCAN_LIMIT points, inverted-file cells above (an exact
  // scan of every training row for every row was hours on RouterDC's 14k rows).
  await model.refit(seededRandom(seed), undefined, 'cells');
  const irt = withIrt
    ? PoolIrt.fit(
        rows.map((r) => ({ vector: r.vector, features: r.features, scores: r.learnScores })),
        models.length,
        dims,
        seededRandom(seed),
      )
    : null;
  return { model, irt };
}

function partsOf(views: Views, r: Prepared, models: readonly string[]): StackParts {
  const p = views.model.predict(r.vector, r.features, models).models;
  return {
    knn: p.map((x) => x.knn),
    linear: p.map((x) => x.linear ?? x.knn),
    irt: views.irt ? views.irt.predict(r.features, r.vector) : models.map(() => 0),
  };
}

function stackRow(r: Prepared, parts: StackParts): StackRow {
  return { parts, scores: r.learnScores.map((s) => s ?? 0), costs: r.row.costs?.map((c) => c ?? 0) ?? null };
}

export async function stackedFolds(
  rows: readonly Prepared[],
  models: readonly string[],
  dims: number,
  options: QualityModelOptions,
  seed: number,
  k: number,
  progress: (phase: string, done: number, total: number) => void,
  run: StackedRunOptions = {},
): Promise<StackedResult> {
  const withIrt = run.irt !== false;
  const folds = rows.map((r) => foldOf(r.row.prompt, k));
  const inner = rows.map((r) => foldOf(`inner:${r.row.prompt}`, INNER_FOLDS));
  const hasCosts = rows.every((r) => r.row.costs !== null && r.row.costs.every((c) => c !== null));
  const parts = new Array<StackParts>(rows.length);
  const stacked = new Array<number[]>(rows.length);
  const costAware = hasCosts ? new Array<number>(rows.length).fill(0) : null;
  const perFold: StackedFold[] = [];
  const steps = k * (INNER_FOLDS + 1);
  for (let f = 0; f < k; f++) {
    let trainIdx = rows.map((_, i) => i).filter((i) => folds[i] !== f);
    if (run.maxTrainRows !== undefined && trainIdx.length > run.maxTrainRows)
      trainIdx = sampleOf(trainIdx, run.maxTrainRows, seededRandom(seed + 1000 + f));
    const oof: StackRow[] = [];
    for (let g = 0; g < INNER_FOLDS; g++) {
      progress('training folds (nested)', f * (INNER_FOLDS + 1) + g, steps);
      const views = await fitViews(
        trainIdx.filter((i) => inner[i] !== g).map((i) => rows[i]!),
        models,
        dims,
        options,
        seed + 100 * f + g,
        withIrt,
      );
      for (const i of trainIdx) if (inner[i] === g) oof.push(stackRow(rows[i]!, partsOf(views, rows[i]!, models)));
    }
    progress('training folds (nested)', f * (INNER_FOLDS + 1) + INNER_FOLDS, steps);
    const weights = fitStack(oof, { ...DEFAULT_STACK_FIT, irt: withIrt });
    let epsilon: number | null = null;
    if (costAware) {
      // The target: the quality of the training rows' best single model (on the training rows).
      const means = models.map((_, m) => oof.reduce((s, r) => s + r.scores[m]!, 0) / oof.length);
      const target = Math.max(...means);
      epsilon = fitEpsilon(
        oof,
        oof.map((r) => stackQualities(r.parts, weights, false)),
        target,
      ).epsilon;
    }
    perFold.push({ fold: f, weights, epsilon });
    const views = await fitViews(
      trainIdx.map((i) => rows[i]!),
      models,
      dims,
      options,
      seed + f,
      withIrt,
    );
    rows.forEach((r, i) => {
      if (folds[i] !== f) return;
      parts[i] = partsOf(views, r, models);
      stacked[i] = stackQualities(parts[i], weights);
      if (costAware)
        costAware[i] = cheapestWithin(
          stackQualities(parts[i], weights, false),
          r.row.costs!.map((c) => c ?? 0),
          epsilon ?? 0,
        );
    });
  }
  progress('training folds (nested)', steps, steps);
  return { parts, stacked, costAware, folds, perFold };
}

/** `count` of `items`, drawn without replacement, in their original order. */
function sampleOf(items: readonly number[], count: number, random: () => number): number[] {
  const order = items.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order
    .slice(0, count)
    .sort((a, b) => a - b)
    .map((i) => items[i]!);
}

export interface NestedFigures {
  rows: number;
  routed_quality: number;
  best_single_quality: number;
  /** (routed − best single) × 100. */
  gain_points: number;
  /** With cost columns: the cost-aware pick under the nested ε against the best single model. */
  cost_aware?: { quality: number; cost: number; best_single_cost: number; cost_share: number };
}

export interface MultiNestedReport {
  method: string;
  inner_folds: number;
  best_single_model: string;
  /** Every evaluated row (each routed by a router whose settings were chosen without it). */
  all: NestedFigures;
  /** Rows outside hash fold 0 of 5, the split the project's hand-made choices may look at. */
  outside_tuning_split: NestedFigures;
  per_fold: {
    fold: number;
    knn: number;
    linear: number;
    irt: number;
    bias: Record<string, number>;
    /** The stack did not beat this model alone on the inner folds: quality picks went to it. */
    fallback_to: string | null;
    epsilon: number | null;
  }[];
}

export function multiNestedReport(
  rows: readonly Prepared[],
  models: readonly string[],
  result: StackedResult,
): MultiNestedReport {
  const meanOf = (idx: readonly number[], f: (i: number) => number) => idx.reduce((s, i) => s + f(i), 0) / idx.length;
  const all = rows.map((_, i) => i);
  const best = argmax(models.map((_, m) => meanOf(all, (i) => rows[i]!.row.scores[m]!)));
  const figures = (idx: number[]): NestedFigures => {
    const routed = meanOf(idx, (i) => rows[i]!.row.scores[argmax(result.stacked[i]!)]!);
    const single = meanOf(idx, (i) => rows[i]!.row.scores[best]!);
    const out: NestedFigures = {
      rows: idx.length,
      routed_quality: routed,
      best_single_quality: single,
      gain_points: (routed - single) * 100,
    };
    const picks = result.costAware;
    if (picks) {
      const cost = meanOf(idx, (i) => rows[i]!.row.costs![picks[i]!]!);
      const singleCost = meanOf(idx, (i) => rows[i]!.row.costs![best]!);
      out.cost_aware = {
        quality: meanOf(idx, (i) => rows[i]!.row.scores[picks[i]!]!),
        cost,
        best_single_cost: singleCost,
        cost_share: singleCost > 0 ? cost / singleCost : 0,
      };
    }
    return out;
  };
  const tuning = rows.map((r) => foldOf(r.row.prompt, 5));
  return {
    method:
      'kNN + logistic heads + IRT (σ(ability_m + θ_m·s_q − b_q) fitted on the training folds) stacked; weights, per-model offsets and ε chosen on inner folds of each training set',
    inner_folds: INNER_FOLDS,
    best_single_model: models[best]!,
    all: figures(all),
    outside_tuning_split: figures(all.filter((i) => tuning[i] !== 0)),
    per_fold: result.perFold.map((p) => ({
      fold: p.fold,
      knn: p.weights.knn,
      linear: p.weights.linear,
      irt: p.weights.irt,
      bias: Object.fromEntries(models.map((m, j) => [m, p.weights.bias[j] ?? 0])),
      fallback_to: p.weights.fallbackTo === undefined ? null : models[p.weights.fallbackTo]!,
      epsilon: p.epsilon,
    })),
  };
}
