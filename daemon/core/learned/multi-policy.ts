// A listwise view for the multi-model stack: a linear softmax over the pool's models, P(pick m | q),
// trained to maximise the expected score of its pick, Σ_m P(m | q) · score(q, m), over the prompts
// scored for every model (RouterDC's objective is listwise too: which model, not how good each is).
// The per-model views (kNN, the logistic heads) each estimate "how well does m do here", and the
// argmax over seven or nine such estimates rewards whichever is noisiest; this one is fitted on the
// choice itself, so rows where every model scores the same teach it nothing and rows where one model
// alone gets it right teach it most.
//
// Chosen on hash fold 0 only: in numpy (the stack's inner folds choosing the weights) adding it to
// kNN + a ridge head moved RouterDC (4,000 training prompts) +1.39 → +2.03 points over the best
// single model and LLMRouter +1.51 → +1.86; in the live stack (`fugusashi benchmark FILE --folds 5
// --eval-folds 0 --live-stack`) RouterDC +1.77 → +2.02 (listwise weight 0.7) and LLMRouter +1.86 →
// +1.86 (weight 0.1, the same picks). Full-batch Adam; pure and deterministic (no random draw).

export interface PolicyOptions {
  epochs: number;
  learningRate: number;
  /** L2 on the weights (not on the per-model bias). */
  l2: number;
}

export const DEFAULT_POLICY: PolicyOptions = { epochs: 200, learningRate: 0.05, l2: 1e-3 };

/** Rows of an epoch between yields. */
const YIELD_ROWS = 1_000;

export interface PolicyRow {
  vector: Float32Array;
  /** Every model's score (0..1), the pool's order. */
  scores: readonly number[];
}

export class ExpectedScorePolicy {
  private constructor(
    /** Row-major models × (dims + 1); the last column is the bias. */
    private readonly weights: Float64Array,
    readonly models: number,
    readonly dims: number,
  ) {}

  static async fit(
    rows: readonly PolicyRow[],
    models: number,
    dims: number,
    yieldNow?: () => Promise<void>,
    options: PolicyOptions = DEFAULT_POLICY,
  ): Promise<ExpectedScorePolicy> {
    const D = dims + 1;
    const W = new Float64Array(models * D);
    const m1 = new Float64Array(W.length);
    const v1 = new Float64Array(W.length);
    const grad = new Float64Array(W.length);
    const z = new Float64Array(models);
    const g = new Float64Array(models);
    // Scores centred per row: the gradient is the same (Σ P = 1), the arithmetic better conditioned.
    const centred = rows.map((r) => {
      const mean = r.scores.reduce((s, x) => s + x, 0) / models;
      return Float64Array.from(r.scores, (x) => x - mean);
    });
    const n = Math.max(rows.length, 1);
    for (let t = 1; t <= options.epochs; t++) {
      grad.fill(0);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        logits(W, r.vector, models, D, z);
        softmax(z);
        const s = centred[i]!;
        let expected = 0;
        for (let m = 0; m < models; m++) expected += z[m]! * s[m]!;
        // d(−E[score]) / d logit_m = −P_m (s_m − E[score])
        for (let m = 0; m < models; m++) g[m] = -z[m]! * (s[m]! - expected);
        for (let m = 0; m < models; m++) {
          const gm = g[m]!;
          if (gm === 0) continue;
          const row = m * D;
          const v = r.vector;
          for (let d = 0; d < dims; d++) grad[row + d] = grad[row + d]! + gm * v[d]!;
          grad[row + dims] = grad[row + dims]! + gm;
        }
        // An epoch over 4,000 prompts × 7 models at 256 dimensions is ~30 ms of CPU: the daemon
        // fits this in its background refit, so it yields within epochs too.
        if (i % YIELD_ROWS === YIELD_ROWS - 1) await yieldNow?.();
      }
      const b1 = 1 - 0.9 ** t;
      const b2 = 1 - 0.999 ** t;
      for (let j = 0; j < W.length; j++) {
        const isBias = j % D === dims;
        const gj = grad[j]! / n + (isBias ? 0 : options.l2 * W[j]!);
        m1[j] = 0.9 * m1[j]! + 0.1 * gj;
        v1[j] = 0.999 * v1[j]! + 0.001 * gj * gj;
        W[j] = W[j]! - (options.learningRate * (m1[j]! / b1)) / (Math.sqrt(v1[j]! / b2) + 1e-8);
      }
      await yieldNow?.();
    }
    return new ExpectedScorePolicy(W, models, dims);
  }

  /** The logits per model, centred (their mean is 0): only their differences matter to a pick. */
  scores(vector: Float32Array): number[] {
    const z = new Float64Array(this.models);
    logits(this.weights, vector, this.models, this.dims + 1, z);
    const mean = z.reduce((s, x) => s + x, 0) / this.models;
    return Array.from(z, (x) => x - mean);
  }
}

function logits(W: Float64Array, v: Float32Array, models: number, D: number, out: Float64Array): void {
  const dims = D - 1;
  for (let m = 0; m < models; m++) {
    const row = m * D;
    let s = W[row + dims]!;
    for (let d = 0; d < dims; d++) s += W[row + d]! * v[d]!;
    out[m] = s;
  }
}

function softmax(z: Float64Array): void {
  let max = -Infinity;
  for (const x of z) max = Math.max(max, x);
  let sum = 0;
  for (let m = 0; m < z.length; m++) {
    z[m] = Math.exp(z[m]! - max);
    sum += z[m]!;
  }
  for (let m = 0; m < z.length; m++) z[m] = z[m]! / sum;
}
