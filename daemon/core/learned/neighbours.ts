// The store of past prompts the similarity and learned strategies read: one point per distinct
// prompt (its embedding, kept as int8 to hold 100k prompts in ~50 MB) with per-model score sums.
// Search is exact (a scan) up to a few thousand points and goes through an inverted file (k-means
// cells, probing the nearest few) above that, so a decision stays in the low milliseconds.

export interface ModelStats {
  /** Σ weight · score */
  sum: number;
  /** Σ weight */
  weight: number;
}

export interface Neighbour {
  point: number;
  similarity: number;
}

const INITIAL_CAPACITY = 1024;
/** Below this many points a scan is cheap enough; above it the inverted file is used when built. */
export const SCAN_LIMIT = 6_000;

export class PromptIndex {
  private codes: Int8Array;
  private scales: Float32Array;
  /** Per point: model index → stats. */
  readonly stats: Map<number, ModelStats>[] = [];
  private readonly byKey = new Map<string, number>();
  readonly models: string[] = [];
  private readonly modelIdx = new Map<string, number>();
  private count = 0;
  // Inverted file: centroids (unit vectors) and the points of each cell.
  private centroids: Float32Array | null = null;
  private cells: number[][] = [];
  private cellCount = 0;

  constructor(readonly dims: number) {
    this.codes = new Int8Array(INITIAL_CAPACITY * dims);
    this.scales = new Float32Array(INITIAL_CAPACITY);
  }

  get size(): number {
    return this.count;
  }

  modelIndex(name: string): number {
    let i = this.modelIdx.get(name);
    if (i === undefined) {
      i = this.models.length;
      this.models.push(name);
      this.modelIdx.set(name, i);
    }
    return i;
  }

  findModel(name: string): number | undefined {
    return this.modelIdx.get(name);
  }

  pointOf(key: string): number | undefined {
    return this.byKey.get(key);
  }

  /** Adds one outcome; a prompt seen before (same key) gets the score merged into its point. */
  add(key: string, vector: Float32Array, model: string, score: number, weight: number): number {
    let p = this.byKey.get(key);
    if (p === undefined) {
      p = this.insert(vector);
      this.byKey.set(key, p);
    }
    const m = this.modelIndex(model);
    const s = this.stats[p]!;
    const st = s.get(m);
    if (st) {
      st.sum += weight * score;
      st.weight += weight;
    } else s.set(m, { sum: weight * score, weight });
    return p;
  }

  private insert(vector: Float32Array): number {
    if (vector.length !== this.dims) throw new Error(`vector has ${vector.length} dims, index ${this.dims}`);
    if (this.count === this.scales.length) this.grow();
    const p = this.count++;
    let max = 0;
    for (let i = 0; i < vector.length; i++) max = Math.max(max, Math.abs(vector[i]!));
    const scale = max > 0 ? max / 127 : 1;
    const base = p * this.dims;
    for (let i = 0; i < vector.length; i++) this.codes[base + i] = Math.round(vector[i]! / scale);
    this.scales[p] = scale;
    this.stats.push(new Map());
    if (this.centroids) this.cells[this.nearestCells(vector, 1)[0]!]!.push(p);
    return p;
  }

  private grow(): void {
    const codes = new Int8Array(this.codes.length * 2);
    codes.set(this.codes);
    this.codes = codes;
    const scales = new Float32Array(this.scales.length * 2);
    scales.set(this.scales);
    this.scales = scales;
  }

  similarity(q: Float32Array, p: number): number {
    const d = this.dims;
    const base = p * d;
    const codes = this.codes;
    // Four accumulators: about twice as fast as one in V8 (independent adds pipeline).
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i + 3 < d; i += 4) {
      s0 += q[i]! * codes[base + i]!;
      s1 += q[i + 1]! * codes[base + i + 1]!;
      s2 += q[i + 2]! * codes[base + i + 2]!;
      s3 += q[i + 3]! * codes[base + i + 3]!;
    }
    for (; i < d; i++) s0 += q[i]! * codes[base + i]!;
    return (s0 + s1 + s2 + s3) * this.scales[p]!;
  }

  vectorOf(p: number): Float32Array {
    return this.vectorInto(p, new Float32Array(this.dims));
  }

  /** Writes point p's (dequantised) vector into the first `dims` slots of `out`. */
  vectorInto(p: number, out: Float32Array): Float32Array {
    const base = p * this.dims;
    const scale = this.scales[p]!;
    for (let i = 0; i < this.dims; i++) out[i] = this.codes[base + i]! * scale;
    return out;
  }

  /** The k most similar points, best first. `exclude` skips one point (leave-one-out). */
  search(q: Float32Array, k: number, exclude?: number): Neighbour[] {
    const useCells = this.centroids !== null && this.count > SCAN_LIMIT;
    const top: Neighbour[] = [];
    const consider = (p: number) => {
      if (p === exclude) return;
      const sim = this.similarity(q, p);
      if (top.length < k) {
        top.push({ point: p, similarity: sim });
        if (top.length === k) top.sort((a, b) => a.similarity - b.similarity);
      } else if (sim > top[0]!.similarity) {
        // top is ascending: replace the worst and bubble it into place.
        top[0] = { point: p, similarity: sim };
        for (let i = 0; i + 1 < top.length && top[i]!.similarity > top[i + 1]!.similarity; i++) {
          const t = top[i]!;
          top[i] = top[i + 1]!;
          top[i + 1] = t;
        }
      }
    };
    if (useCells) {
      for (const c of this.nearestCells(q, PROBES)) for (const p of this.cells[c]!) consider(p);
    } else {
      for (let p = 0; p < this.count; p++) consider(p);
    }
    return top.sort((a, b) => b.similarity - a.similarity);
  }

  private nearestCells(q: Float32Array, n: number): number[] {
    const c = this.centroids!;
    const d = this.dims;
    const scored: { cell: number; sim: number }[] = [];
    for (let j = 0; j < this.cellCount; j++) {
      let s = 0;
      const base = j * d;
      for (let i = 0; i < d; i++) s += q[i]! * c[base + i]!;
      scored.push({ cell: j, sim: s });
    }
    scored.sort((a, b) => b.sim - a.sim);
    return scored.slice(0, n).map((x) => x.cell);
  }

  /**
   * Builds the inverted file with a few rounds of spherical k-means on a sample. Called from the
   * background retrain; `yieldEvery` lets the caller hand control back between chunks.
   */
  async buildCells(random: () => number, yieldNow: () => Promise<void> = async () => {}): Promise<void> {
    if (this.count <= SCAN_LIMIT) {
      this.centroids = null;
      this.cells = [];
      this.cellCount = 0;
      return;
    }
    const d = this.dims;
    const k = Math.max(16, Math.round(Math.sqrt(this.count)));
    const centroids = new Float32Array(k * d);
    for (let j = 0; j < k; j++) centroids.set(this.vectorOf(Math.floor(random() * this.count)), j * d);
    // k-means on a sample (10 points per cell) is enough to place the cells.
    const sample = Array.from({ length: Math.min(this.count, k * 10) }, () => Math.floor(random() * this.count));
    for (let round = 0; round < 5; round++) {
      const sums = new Float32Array(k * d);
      for (let s = 0; s < sample.length; s++) {
        const p = sample[s]!;
        const j = this.nearestCentroid(centroids, k, p);
        const base = p * d;
        const scale = this.scales[p]!;
        for (let i = 0; i < d; i++) sums[j * d + i] = sums[j * d + i]! + this.codes[base + i]! * scale;
        if (s % 500 === 499) await yieldNow();
      }
      for (let j = 0; j < k; j++) {
        let norm = 0;
        for (let i = 0; i < d; i++) norm += sums[j * d + i]! ** 2;
        norm = Math.sqrt(norm);
        if (norm > 0) for (let i = 0; i < d; i++) centroids[j * d + i] = sums[j * d + i]! / norm;
      }
    }
    const cells: number[][] = Array.from({ length: k }, () => []);
    for (let p = 0; p < this.count; p++) {
      cells[this.nearestCentroid(centroids, k, p)]!.push(p);
      if (p % 500 === 499) await yieldNow();
    }
    // Points added during the build were covered by the loop (it reads this.count each time);
    // from here on insert() files new points into their cell.
    this.centroids = centroids;
    this.cellCount = k;
    this.cells = cells;
  }

  /** Nearest centroid of a stored point, computed on its int8 code (the scale does not change the argmax). */
  private nearestCentroid(centroids: Float32Array, k: number, p: number): number {
    const d = this.dims;
    const base = p * d;
    const codes = this.codes;
    let best = 0;
    let bestSim = -Infinity;
    for (let j = 0; j < k; j++) {
      let s = 0;
      const cb = j * d;
      for (let i = 0; i < d; i++) s += codes[base + i]! * centroids[cb + i]!;
      if (s > bestSim) {
        bestSim = s;
        best = j;
      }
    }
    return best;
  }
}

/** How many inverted-file cells a search reads. */
const PROBES = 4;
