// Per-model logistic heads over [embedding, cheap features]: P(model answers well | prompt). Soft
// labels (scores in 0..1) and weights are allowed. `step` is one SGD update (cheap, used online
// for every new outcome); `fit` starts from zero and runs a few epochs (the background retrain).

export interface LinearOptions {
  learningRate: number;
  l2: number;
  epochs: number;
  /**
   * Residual heads (examples with an offset, i.e. the router prior's logit): the pull of the
   * correction toward zero (toward the prior), in pseudo-outcomes. Per step the decay is
   * l2 + residualPrecision / n for a model with n outcomes: a Gaussian prior on the correction,
   * so 20 ratings barely move the prior while thousands decide on their own.
   */
  residualPrecision: number;
}

// With the 1,024 word buckets in the input, a larger step, more decay and more epochs fit better:
// 5-fold APGR GSM8K .629 → .639, ARC-Challenge .583 → .590, Winogrande .525 → .554 (and MMLU
// .687 → .684, within its noise) against { 0.05, 1e-4, 6 }. residualPrecision 300 (was 20): online
// from a prior trained without MMLU (hash fold 0), 300 / 1,000 revealed outcomes pulled APGR from
// the prior's .641 down to .565 / .547 with 20, and kept it at .638 / .633 with 300 (.654 at 3,000).
export const DEFAULT_LINEAR: LinearOptions = { learningRate: 0.2, l2: 1e-3, epochs: 10, residualPrecision: 300 };

export interface TrainingExample {
  x: Float32Array;
  model: number;
  score: number;
  weight: number;
  /**
   * A base logit the head learns a correction to (residual learning): the router prior's logit
   * for this prompt and model. The head predicts σ((1 + β_m)·offset + w_m·x), β_m and w_m start at
   * zero, so with few outcomes it says what the prior says and the data moves it only as far as
   * it disagrees. 0 (or absent): no prior, the plain logistic head.
   */
  offset?: number;
}

export class LogisticHeads {
  private readonly weights: Float32Array[] = [];
  /** Per model: how much the head rescales the offset (the prior's logit), from 0. */
  private readonly offsetScale: number[] = [];
  /** Examples seen per model (for confidence). */
  readonly seen: number[] = [];
  /** During a refit: each model's outcome count (the Gaussian pull's scale) from the start. */
  private outcomes: number[] = [];

  constructor(
    readonly dims: number,
    private readonly options: LinearOptions = DEFAULT_LINEAR,
  ) {}

  private head(model: number): Float32Array {
    while (this.weights.length <= model) {
      this.weights.push(new Float32Array(this.dims));
      this.offsetScale.push(0);
      this.seen.push(0);
    }
    return this.weights[model]!;
  }

  has(model: number): boolean {
    return (this.seen[model] ?? 0) > 0;
  }

  predict(model: number, x: Float32Array, offset = 0): number {
    const w = this.weights[model];
    if (!w) return sigmoid(offset);
    return sigmoid(dot(w, x) + (1 + this.offsetScale[model]!) * offset);
  }

  step(e: TrainingExample, learningRate = this.options.learningRate): void {
    const w = this.head(e.model);
    this.seen[e.model] = (this.seen[e.model] ?? 0) + 1;
    const offset = e.offset ?? 0;
    const beta = this.offsetScale[e.model]!;
    const p = sigmoid(dot(w, e.x) + (1 + beta) * offset);
    const g = (p - e.score) * e.weight;
    const l2 =
      offset !== 0
        ? this.options.l2 + this.options.residualPrecision / Math.max(1, this.outcomes[e.model] ?? this.seen[e.model]!)
        : this.options.l2;
    const decay = Math.max(0, 1 - learningRate * l2);
    for (let i = 0; i < w.length; i++) w[i] = w[i]! * decay - learningRate * g * e.x[i]!;
    // β (how far to trust the prior's logit) is one number per model: the data may learn it freely
    // (plain l2), so a prior that is wrong for this pool's traffic can be scaled down or flipped.
    if (offset !== 0)
      this.offsetScale[e.model] = beta * (1 - learningRate * this.options.l2) - learningRate * g * offset;
  }

  /**
   * Refits every head from scratch; yields between chunks so a server keeps answering. Examples are
   * fetched one at a time (`at`) so a refit over 100k outcomes never holds all inputs at once.
   */
  async fit(
    count: number,
    at: (i: number) => TrainingExample,
    random: () => number,
    yieldNow: () => Promise<void> = async () => {},
    /** The model of example i without building it (counts outcomes per model before the epochs). */
    modelOf?: (i: number) => number,
  ): Promise<void> {
    for (const w of this.weights) w.fill(0);
    this.offsetScale.fill(0);
    this.seen.fill(0);
    this.outcomes = [];
    if (modelOf)
      for (let i = 0; i < count; i++) {
        const m = modelOf(i);
        this.outcomes[m] = (this.outcomes[m] ?? 0) + 1;
      }
    const order = Array.from({ length: count }, (_, i) => i);
    const { epochs, learningRate } = this.options;
    for (let epoch = 0; epoch < epochs; epoch++) {
      shuffle(order, random);
      const lr = learningRate / (1 + epoch);
      for (let j = 0; j < order.length; j++) {
        const e = at(order[j]!);
        this.step(e, lr);
        if (epoch > 0) this.seen[e.model] = this.seen[e.model]! - 1; // count each example once
        if (j % 5000 === 4999) await yieldNow();
      }
      await yieldNow();
    }
    this.outcomes = [];
  }
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function shuffle<T>(a: T[], random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
