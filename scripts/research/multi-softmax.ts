// A listwise view for multi-model pools: a softmax over the pool's models, P(m is the best model
// for q), linear in the prompt's input (embedding, dense features, hashed words). The per-model
// heads each learn "is m good here"; routing needs "which model is best here", and the rows where
// every model scores the same teach nothing about that, so they are skipped. Targets: the models
// that reach the row's best score, equally.
import { FEATURE_COUNT, LEXICAL_DIMS, writeLexical, type TextFeatures } from '../../daemon/core/learned/features';

export interface SoftmaxOptions {
  epochs: number;
  learningRate: number;
  l2: number;
}

export const DEFAULT_SOFTMAX: SoftmaxOptions = { epochs: 8, learningRate: 0.1, l2: 1e-4 };

export interface SoftmaxRow {
  vector: Float32Array;
  features: TextFeatures;
  scores: readonly (number | null)[];
}

export class BestModelSoftmax {
  private constructor(
    private readonly weights: Float32Array,
    readonly models: number,
    readonly dims: number,
  ) {}

  static inputDims(embeddingDims: number): number {
    return embeddingDims + FEATURE_COUNT + LEXICAL_DIMS;
  }

  static input(vector: Float32Array, features: TextFeatures, embeddingDims: number): Float32Array {
    const x = new Float32Array(BestModelSoftmax.inputDims(embeddingDims));
    x.set(vector.subarray(0, embeddingDims));
    x.set(features.dense.subarray(0, FEATURE_COUNT), embeddingDims);
    writeLexical(features.lexical, x, embeddingDims + FEATURE_COUNT);
    return x;
  }

  static fit(
    rows: readonly SoftmaxRow[],
    models: number,
    embeddingDims: number,
    random: () => number,
    options: SoftmaxOptions = DEFAULT_SOFTMAX,
  ): BestModelSoftmax {
    const D = BestModelSoftmax.inputDims(embeddingDims);
    const W = new Float32Array(models * D);
    const examples: { x: Float32Array; target: Float64Array }[] = [];
    for (const r of rows) {
      const known = r.scores.filter((s): s is number => s !== null);
      if (known.length < 2) continue;
      const top = Math.max(...known);
      const low = Math.min(...known);
      if (top - low < 1e-9) continue;
      const target = new Float64Array(models);
      let n = 0;
      r.scores.forEach((s, m) => {
        if (s !== null && s >= top - 1e-9) {
          target[m] = 1;
          n++;
        }
      });
      for (let m = 0; m < models; m++) target[m] = target[m]! / n;
      examples.push({ x: BestModelSoftmax.input(r.vector, r.features, embeddingDims), target });
    }
    const order = examples.map((_, i) => i);
    const p = new Float64Array(models);
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const lr = options.learningRate / (1 + epoch);
      const decay = 1 - lr * options.l2;
      for (const e of order) {
        const { x, target } = examples[e]!;
        logitsInto(W, x, models, D, p);
        softmaxInPlace(p);
        for (let m = 0; m < models; m++) {
          const g = p[m]! - target[m]!;
          const row = m * D;
          for (let i = 0; i < D; i++) W[row + i] = W[row + i]! * decay - lr * g * x[i]!;
        }
      }
    }
    return new BestModelSoftmax(W, models, D);
  }

  /** P(model is the best) per model index. */
  predict(vector: Float32Array, features: TextFeatures): number[] {
    const x = BestModelSoftmax.input(vector, features, this.dims - FEATURE_COUNT - LEXICAL_DIMS);
    const p = new Float64Array(this.models);
    logitsInto(this.weights, x, this.models, this.dims, p);
    softmaxInPlace(p);
    return Array.from(p);
  }
}

function logitsInto(W: Float32Array, x: Float32Array, models: number, D: number, out: Float64Array): void {
  for (let m = 0; m < models; m++) {
    let z = 0;
    const row = m * D;
    for (let i = 0; i < D; i++) z += W[row + i]! * x[i]!;
    out[m] = z;
  }
}

function softmaxInPlace(p: Float64Array): void {
  let max = -Infinity;
  for (const v of p) max = Math.max(max, v);
  let sum = 0;
  for (let m = 0; m < p.length; m++) {
    p[m] = Math.exp(p[m]! - max);
    sum += p[m]!;
  }
  for (let m = 0; m < p.length; m++) p[m] = p[m]! / sum;
}
