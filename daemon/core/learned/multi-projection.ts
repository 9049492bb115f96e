// A linear projection of prompt embeddings onto their top principal directions (uncentred, so
// dot products of the projected unit vectors approximate the cosines the kNN kernel was tuned on).
// The live multi-model stack reads its own kNN over up to 4,000 prompts by an exact scan; at 512
// dimensions that scan cost ~2× a learned decision on the full store, at 256 about half.
// Fitted by subspace iteration on the second-moment matrix; pure and seeded.

export class Projection {
  private constructor(
    readonly from: number,
    readonly to: number,
    /** Row-major to × from: row j is the j-th direction (unit). */
    private readonly directions: Float64Array,
  ) {}

  static async fit(
    vectors: readonly Float32Array[],
    to: number,
    random: () => number,
    yieldNow?: () => Promise<void>,
    iterations = 6,
  ): Promise<Projection> {
    const d = vectors[0]?.length ?? 0;
    const k = Math.min(to, d);
    // Second-moment matrix (upper triangle, then mirrored): Σ v vᵀ.
    const c = new Float64Array(d * d);
    for (let n = 0; n < vectors.length; n++) {
      const v = vectors[n]!;
      for (let i = 0; i < d; i++) {
        const vi = v[i]!;
        if (vi === 0) continue;
        const row = i * d;
        for (let j = i; j < d; j++) c[row + j] = c[row + j]! + vi * v[j]!;
      }
      if (n % 500 === 499) await yieldNow?.();
    }
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) c[i * d + j] = c[j * d + i]!;
    let q = new Float64Array(k * d);
    for (let i = 0; i < q.length; i++) q[i] = random() - 0.5;
    orthonormalise(q, k, d);
    for (let it = 0; it < iterations; it++) {
      const next = new Float64Array(k * d);
      for (let r = 0; r < k; r++) {
        const base = r * d;
        for (let i = 0; i < d; i++) {
          let s = 0;
          const row = i * d;
          for (let j = 0; j < d; j++) s += c[row + j]! * q[base + j]!;
          next[base + i] = s;
        }
      }
      orthonormalise(next, k, d);
      q = next;
      await yieldNow?.();
    }
    return new Projection(d, k, q);
  }

  /** The projected vector, scaled to unit length. */
  apply(v: Float32Array): Float32Array {
    const out = new Float32Array(this.to);
    let norm = 0;
    for (let r = 0; r < this.to; r++) {
      let s = 0;
      const base = r * this.from;
      for (let i = 0; i < this.from; i++) s += this.directions[base + i]! * v[i]!;
      out[r] = s;
      norm += s * s;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (let r = 0; r < this.to; r++) out[r] = out[r]! / norm;
    return out;
  }
}

/** Modified Gram–Schmidt over the k rows (length d) of m, in place. */
function orthonormalise(m: Float64Array, k: number, d: number): void {
  for (let r = 0; r < k; r++) {
    const base = r * d;
    for (let p = 0; p < r; p++) {
      const pb = p * d;
      let dot = 0;
      for (let i = 0; i < d; i++) dot += m[base + i]! * m[pb + i]!;
      for (let i = 0; i < d; i++) m[base + i] = m[base + i]! - dot * m[pb + i]!;
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += m[base + i]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < d; i++) m[base + i] = m[base + i]! / norm;
  }
}
