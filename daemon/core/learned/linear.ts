// Per-model logistic heads over [embedding, cheap features]: P(model answers well | prompt). Soft
// labels (scores in 0..1) and weights are allowed. `step` is one SGD update (cheap, used online
// for every new outcome); `fit` starts from zero and runs a few epochs (the background retrain).

export interface LinearOptions {
  learningRate: number;
  l2: number;
  epochs: number;
  /** 'squared' fits E[score] by least squares (clamped to 0..1 when read). */
  loss?: 'logistic' | 'squared';
}

export const DEFAULT_LINEAR: LinearOptions = { learningRate: 0.05, l2: 1e-4, epochs: 6 };

export interface TrainingExample {
  x: Float32Array;
  model: number;
  score: number;
  weight: number;
}

export class LogisticHeads {
  private readonly weights: Float32Array[] = [];
  /** Examples seen per model (for confidence). */
  readonly seen: number[] = [];

  constructor(
    readonly dims: number,
    private readonly options: LinearOptions = DEFAULT_LINEAR,
  ) {}

  private head(model: number): Float32Array {
    while (this.weights.length <= model) {
      this.weights.push(new Float32Array(this.dims));
      this.seen.push(0);
    }
    return this.weights[model]!;
  }

  has(model: number): boolean {
    return (this.seen[model] ?? 0) > 0;
  }

  predict(model: number, x: Float32Array): number {
    const w = this.weights[model];
    if (!w) return 0.5;
    return this.link(dot(w, x));
  }

  private link(z: number): number {
    return this.options.loss === 'squared' ? Math.min(1, Math.max(0, z)) : sigmoid(z);
  }

  step(e: TrainingExample, learningRate = this.options.learningRate): void {
    const w = this.head(e.model);
    this.seen[e.model] = (this.seen[e.model] ?? 0) + 1;
    const z = dot(w, e.x);
    // Squared loss: the raw linear output's error (clamping it would stop learning at the edges).
    const g = ((this.options.loss === 'squared' ? z : sigmoid(z)) - e.score) * e.weight;
    const decay = 1 - learningRate * this.options.l2;
    for (let i = 0; i < w.length; i++) w[i] = w[i]! * decay - learningRate * g * e.x[i]!;
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
  ): Promise<void> {
    for (const w of this.weights) w.fill(0);
    this.seen.fill(0);
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
