// `fugusashi benchmark FILE --folds K --live-stack` on a multi-model file: every test row is decided
// by the live router's own multi-model stack (core/learned/multi-stack-live.ts), fitted on the other
// folds' rows exactly as a daemon fits it on the prompts its store holds scored for every model —
// the same class, options, projection, inner folds and out-of-fold weight choice, on the same
// sample of at most DEFAULT_LIVE_STACK.maxPrompts of them — and the choice is the daemon's:
// argmax(100·quality − λ·cents) over the stacked qualities, with the stack's fallback to the best
// single model only at λ = 0 (LiveMultiStack.decide). A fold whose training rows are too few for the
// daemon's stack (minPrompts) is decided by the learned strategy instead, as the daemon would.
import {
  DEFAULT_LIVE_STACK,
  MultiStack,
  stackPrompts,
  type LiveStackOptions,
  type StackSample,
} from '../core/learned/multi-stack-live';
import { foldOf, seededRandom } from './folds';
import type { Prepared } from './run';

export interface LiveStackRow {
  /** Stacked quality per model as decided at λ = 0 (with the stack's fallback). */
  quality: number[];
  /** Stacked quality per model as read by a cost-weighted decision (no fallback). */
  costQuality: number[];
  knn: number[];
  linear: number[];
}

export interface LiveStackFold {
  fold: number;
  /** Prompts the fold's stack was fitted on (null: too few; the learned strategy decided). */
  prompts: number | null;
  /** "kNN 0.6 + heads 0.4" as the daemon's explanation states it. */
  weights: string | null;
}

export async function liveStackFolds(
  rows: readonly Prepared[],
  models: readonly string[],
  dims: number,
  seed: number,
  k: number,
  scored: readonly number[],
  progress: (phase: string, done: number, total: number) => void,
  options: LiveStackOptions = DEFAULT_LIVE_STACK,
): Promise<{ predictions: (LiveStackRow | null)[]; folds: LiveStackFold[] }> {
  const byFold = rows.map((r) => foldOf(r.row.prompt, k));
  const predictions = new Array<LiveStackRow | null>(rows.length).fill(null);
  const folds: LiveStackFold[] = [];
  for (let f = 0; f < k; f++) {
    if (!scored.includes(f)) continue;
    progress('fitting the live multi-model stack per fold', f, k);
    const samples: StackSample[] = [];
    rows.forEach((r, i) => {
      if (byFold[i] === f || r.learnScores.some((s) => s === null)) return;
      samples.push({
        key: r.key,
        vector: r.vector,
        features: r.features,
        scores: r.learnScores.map((s) => s!),
      });
    });
    if (samples.length < options.minPrompts || models.length < options.minModels) {
      folds.push({ fold: f, prompts: null, weights: null });
      continue;
    }
    const random = seededRandom(seed + f);
    const stack = await MultiStack.fit(
      stackPrompts(samples, options.maxPrompts, random),
      models,
      dims,
      random,
      undefined,
      options,
    );
    folds.push({ fold: f, prompts: stack.prompts, weights: stack.describeWeights() });
    rows.forEach((r, i) => {
      if (byFold[i] !== f) return;
      const atZero = stack.predict(r.vector, r.features, models, true);
      const withCost = stack.predict(r.vector, r.features, models, false);
      predictions[i] = {
        quality: atZero.qualities,
        costQuality: withCost.qualities,
        knn: atZero.predictions.map((p) => p.knn),
        linear: atZero.predictions.map((p) => p.linear ?? p.knn),
      };
    });
  }
  progress('fitting the live multi-model stack per fold', k, k);
  return { predictions, folds };
}
