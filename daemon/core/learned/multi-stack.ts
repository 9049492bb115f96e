// Multi-model pools (7, 9, 11 models): one expected quality per model stacked from three views of
// the past outcomes — the nearest past prompts (kNN), the per-model logistic heads, and the item-
// response structure of the router prior, P = σ(ability_m + θ_m · s_q − b_q), fitted on the pool's
// own outcomes — with weights and a per-model offset chosen on out-of-fold predictions (rows the
// views were not trained on), because argmax over models rewards a different blend than log-loss.
// The cost-aware pick takes the cheapest model whose stacked quality is within ε of the best one;
// ε is chosen on the same out-of-fold rows as the smallest cost that keeps a target quality.

/** The three views of one prompt, per model (same order as the pool). */
export interface StackParts {
  knn: readonly number[];
  linear: readonly number[];
  irt: readonly number[];
}

export interface StackWeights {
  knn: number;
  linear: number;
  irt: number;
  /** Per-model additive offset (quality points / 100), pool order. */
  bias: number[];
  /**
   * Set when the stack did not beat this model (pool index) alone on the fitting rows: quality
   * picks go to it. The cost-aware pick still reads the stack (fallback: false).
   */
  fallbackTo?: number;
}

export function stackQualities(parts: StackParts, w: StackWeights, fallback = true): number[] {
  return parts.knn.map(
    (k, m) =>
      w.knn * k +
      w.linear * parts.linear[m]! +
      w.irt * parts.irt[m]! +
      (w.bias[m] ?? 0) +
      // An offset no view's spread can overcome.
      (fallback && w.fallbackTo === m ? 10 : 0),
  );
}

export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Out-of-fold rows for fitting: the views' predictions and the revealed scores (0..1) of every model. */
export interface StackRow {
  parts: StackParts;
  scores: readonly number[];
  costs?: readonly number[] | null;
}

export interface StackFitOptions {
  /** Steps of the weight simplex (weights are multiples of 1/steps). */
  steps: number;
  /** Offsets tried per model, symmetric around 0. */
  biasRange: number;
  biasSteps: number;
  /** Coordinate-ascent rounds over the models' offsets. */
  rounds: number;
  /**
   * The stack must beat always picking the fitting rows' best single model by this much (quality
   * 0..1) on those rows, or it routes everything to that model: weights and offsets fitted on the
   * same rows flatter the stack a little, and where the views know nothing (Winogrande) routing
   * away from the best model only loses.
   */
  margin: number;
  /**
   * Whether the IRT view takes part (false: its weight stays 0 and the grid spans kNN and the
   * heads only; the live stack has no IRT view, fitting it blocks the event loop for seconds).
   */
  irt?: boolean;
}

export const DEFAULT_STACK_FIT: StackFitOptions = {
  steps: 10,
  biasRange: 0.1,
  biasSteps: 10,
  rounds: 2,
  margin: 0.005,
};

function routedQuality(rows: readonly StackRow[], predicted: readonly (readonly number[])[]): number {
  let sum = 0;
  rows.forEach((r, i) => (sum += r.scores[argmax(predicted[i]!)]!));
  return rows.length ? sum / rows.length : 0;
}

/**
 * Weights on the simplex (grid) maximising the routed quality (argmax) of the rows, then each
 * model's offset by coordinate ascent. Ties keep the earlier (simpler) candidate.
 */
export function fitStack(rows: readonly StackRow[], options: StackFitOptions = DEFAULT_STACK_FIT): StackWeights {
  const models = rows[0]?.scores.length ?? 0;
  const zero = new Array<number>(models).fill(0);
  let best: StackWeights = { knn: 0.3, linear: 0.7, irt: 0, bias: zero };
  let bestQuality = -Infinity;
  const withIrt = options.irt !== false;
  for (let a = 0; a <= options.steps; a++)
    for (let b = 0; a + b <= options.steps; b++) {
      if (!withIrt && a + b !== options.steps) continue;
      const w = {
        knn: a / options.steps,
        linear: b / options.steps,
        irt: (options.steps - a - b) / options.steps,
        bias: zero,
      };
      const q = routedQuality(
        rows,
        rows.map((r) => stackQualities(r.parts, w)),
      );
      if (q > bestQuality + 1e-12) {
        bestQuality = q;
        best = w;
      }
    }
  const base = rows.map((r) => stackQualities(r.parts, { ...best, bias: zero }));
  const bias = [...zero];
  const shifted = base.map((p) => [...p]);
  for (let round = 0; round < options.rounds; round++) {
    for (let m = 0; m < models; m++) {
      let bestOffset = bias[m]!;
      let bestQ = -Infinity;
      for (let s = -options.biasSteps; s <= options.biasSteps; s++) {
        const offset = (options.biasRange * s) / options.biasSteps;
        shifted.forEach((p, i) => (p[m] = base[i]![m]! + offset));
        const q = routedQuality(rows, shifted);
        // Prefer the offset closest to 0 among equals (less fitted to noise).
        if (q > bestQ + 1e-12 || (Math.abs(q - bestQ) <= 1e-12 && Math.abs(offset) < Math.abs(bestOffset))) {
          bestQ = q;
          bestOffset = offset;
        }
      }
      bias[m] = bestOffset;
      shifted.forEach((p, i) => (p[m] = base[i]![m]! + bestOffset));
    }
  }
  const single = singleBest(rows);
  if (bestStacked(rows, { ...best, bias }) < single.quality + options.margin) {
    return { ...best, bias, fallbackTo: single.model };
  }
  return { ...best, bias };
}

function bestStacked(rows: readonly StackRow[], w: StackWeights): number {
  return routedQuality(
    rows,
    rows.map((r) => stackQualities(r.parts, w)),
  );
}

/** The model with the best mean score on the rows, and that mean. */
export function singleBest(rows: readonly StackRow[]): { model: number; quality: number } {
  const models = rows[0]?.scores.length ?? 0;
  let model = 0;
  let quality = -Infinity;
  for (let m = 0; m < models; m++) {
    const q = rows.reduce((s, r) => s + r.scores[m]!, 0) / Math.max(rows.length, 1);
    if (q > quality) {
      quality = q;
      model = m;
    }
  }
  return { model, quality };
}

/** The cheapest model whose predicted quality is within ε of the best predicted (ties: better quality). */
export function cheapestWithin(predicted: readonly number[], costs: readonly number[], epsilon: number): number {
  const top = Math.max(...predicted);
  let chosen = -1;
  predicted.forEach((q, m) => {
    if (q < top - epsilon) return;
    if (chosen < 0 || costs[m]! < costs[chosen]! || (costs[m] === costs[chosen] && q > predicted[chosen]!)) chosen = m;
  });
  return chosen < 0 ? argmax(predicted) : chosen;
}

export interface EpsilonChoice {
  epsilon: number;
  /** Quality and mean cost of the choice on the fitting rows. */
  quality: number;
  cost: number;
}

/**
 * The largest ε (the cheapest picks) whose routed quality on the fitting rows still reaches
 * `target`; ε = 0 when none does.
 */
export function fitEpsilon(
  rows: readonly StackRow[],
  predicted: readonly (readonly number[])[],
  target: number,
  grid: readonly number[] = EPSILON_GRID,
): EpsilonChoice {
  let best: EpsilonChoice | null = null;
  for (const epsilon of grid) {
    let quality = 0;
    let cost = 0;
    rows.forEach((r, i) => {
      const m = cheapestWithin(predicted[i]!, r.costs ?? [], epsilon);
      quality += r.scores[m]!;
      cost += r.costs?.[m] ?? 0;
    });
    quality /= rows.length;
    cost /= rows.length;
    if (quality >= target && (!best || cost < best.cost)) best = { epsilon, quality, cost };
  }
  if (best) return best;
  return { epsilon: 0, quality: Number.NaN, cost: Number.NaN };
}

export const EPSILON_GRID: readonly number[] = Array.from({ length: 41 }, (_, i) => i * 0.005);
