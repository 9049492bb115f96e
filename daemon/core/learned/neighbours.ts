// The store of past prompts the similarity and learned strategies read: one point per distinct
// prompt (its embedding, kept as int8) with per-model score sums. Search is exact (a scan) up to a
// few thousand points and goes through an inverted file (k-means cells, probing the nearest few)
// above that, so a decision stays in the low milliseconds.
//
// Memory layout (100k outcomes on 50k prompts must fit the daemon's budget): codes live in
// fixed-size chunks (growing never copies, and a freed chunk goes back to the OS), and the
// per-model stats are entries of a linked list per point held in typed arrays, not a Map of
// objects per point (about 25 bytes per outcome instead of about 250).
import { withLength } from './typed-arrays';

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

/** Points per code chunk: 1024 × 512 dims = 512 KB, large enough to be its own mapping. */
const CHUNK_POINTS = 1024;
const INITIAL_ENTRIES = 1024;
/** Below this many points a scan is cheap enough; above it the inverted file is used when built. */
export const SCAN_LIMIT = 6_000;

export class PromptIndex {
  private readonly chunks: Int8Array[] = [];
  private scales = new Float32Array(CHUNK_POINTS);
  // Stats entries: head[p] is point p's first entry (−1 when none), next[e] the following one.
  private head = new Int32Array(CHUNK_POINTS).fill(-1);
  private next = new Int32Array(INITIAL_ENTRIES);
  private entryModel = new Uint16Array(INITIAL_ENTRIES);
  private entrySum = new Float64Array(INITIAL_ENTRIES);
  private entryWeight = new Float64Array(INITIAL_ENTRIES);
  private entries = 0;
  private readonly byKey = new Map<string, number>();
  readonly models: string[] = [];
  private readonly modelIdx = new Map<string, number>();
  private count = 0;
  // Inverted file: centroids (unit vectors) and the points of each cell.
  private centroids: Float32Array | null = null;
  private cells: Int32Array[] = [];
  private cellSizes = new Int32Array(0);
  private cellCount = 0;
  // Scratch for search (reused: a decision allocates only its result).
  private cellScores = new Float32Array(0);
  private readonly pairScratch = new Float64Array(2);

  constructor(readonly dims: number) {}

  get size(): number {
    return this.count;
  }

  modelIndex(name: string): number {
    let i = this.modelIdx.get(name);
    if (i === undefined) {
      i = this.models.length;
      if (i > 0xffff) throw new Error('more than 65536 models');
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
    const e = this.entryOf(p, m);
    if (e >= 0) {
      this.entrySum[e] = this.entrySum[e]! + weight * score;
      this.entryWeight[e] = this.entryWeight[e]! + weight;
    } else this.newEntry(p, m, weight * score, weight);
    return p;
  }

  /**
   * Takes one outcome back out of point p's stats for model index m (a rating the user replaced).
   * An entry left with no weight stays, as weight 0; readers skip such entries.
   */
  remove(p: number, m: number, score: number, weight: number): void {
    const e = this.entryOf(p, m);
    if (e < 0) return;
    const left = this.entryWeight[e]! - weight;
    // Float sums of weights: what is left of a removed last outcome is ~1e-16, not 0.
    this.entryWeight[e] = left > 1e-9 ? left : 0;
    this.entrySum[e] = left > 1e-9 ? this.entrySum[e]! - weight * score : 0;
  }

  /** Point p's stats for model index m (a fresh object), or undefined when it has none. */
  statOf(p: number, m: number): ModelStats | undefined {
    const e = this.entryOf(p, m);
    return e < 0 || !(this.entryWeight[e]! > 0) ? undefined : { sum: this.entrySum[e]!, weight: this.entryWeight[e]! };
  }

  /** Calls fn for each model with stats at point p (in no particular order); allocates nothing. */
  forEachStat(p: number, fn: (model: number, sum: number, weight: number) => void): void {
    for (let e = this.head[p] ?? -1; e >= 0; e = this.next[e]!) {
      // An entry whose outcomes were all removed (remove()) has nothing to say.
      if (this.entryWeight[e]! > 0) fn(this.entryModel[e]!, this.entrySum[e]!, this.entryWeight[e]!);
    }
  }

  private entryOf(p: number, m: number): number {
    let e = this.head[p] ?? -1;
    while (e >= 0 && this.entryModel[e] !== m) e = this.next[e]!;
    return e;
  }

  private newEntry(p: number, m: number, sum: number, weight: number): void {
    if (this.entries === this.next.length) {
      const n = this.entries * 2;
      this.next = withLength(this.next, n, Int32Array);
      this.entryModel = withLength(this.entryModel, n, Uint16Array);
      this.entrySum = withLength(this.entrySum, n, Float64Array);
      this.entryWeight = withLength(this.entryWeight, n, Float64Array);
    }
    const e = this.entries++;
    this.entryModel[e] = m;
    this.entrySum[e] = sum;
    this.entryWeight[e] = weight;
    this.next[e] = this.head[p]!;
    this.head[p] = e;
  }

  private insert(vector: Float32Array): number {
    if (vector.length !== this.dims) throw new Error(`vector has ${vector.length} dims, index ${this.dims}`);
    const p = this.count;
    if (p % CHUNK_POINTS === 0 && this.chunks.length === p / CHUNK_POINTS) {
      this.chunks.push(new Int8Array(CHUNK_POINTS * this.dims));
    }
    if (p === this.scales.length) {
      this.scales = withLength(this.scales, 2 * p, Float32Array);
      this.head = withLength(this.head, 2 * p, Int32Array);
      this.head.fill(-1, p);
    }
    let max = 0;
    for (let i = 0; i < vector.length; i++) max = Math.max(max, Math.abs(vector[i]!));
    const scale = max > 0 ? max / 127 : 1;
    const codes = this.chunks[(p / CHUNK_POINTS) | 0]!;
    const base = (p % CHUNK_POINTS) * this.dims;
    for (let i = 0; i < vector.length; i++) codes[base + i] = Math.round(vector[i]! / scale);
    this.scales[p] = scale;
    this.count++;
    if (this.centroids) this.fileInCell(p, this.nearestCentroid(this.centroids, this.cellCount, p));
    return p;
  }

  similarity(q: Float32Array, p: number): number {
    const d = this.dims;
    const codes = this.chunks[(p / CHUNK_POINTS) | 0]!;
    const base = (p % CHUNK_POINTS) * d;
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

  /**
   * similarity(q, a) and similarity(q, b) into out[0] and out[1], with the same arithmetic (the
   * same bits), reading each query element once for both: a scan runs ~1.4× faster than one point
   * at a time (the search was a third of an `auto` decision's CPU on a new prompt).
   */
  private similarityPair(q: Float32Array, a: number, b: number, out: Float64Array): void {
    const d = this.dims;
    const codesA = this.chunks[(a / CHUNK_POINTS) | 0]!;
    const codesB = this.chunks[(b / CHUNK_POINTS) | 0]!;
    const baseA = (a % CHUNK_POINTS) * d;
    const baseB = (b % CHUNK_POINTS) * d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    let t3 = 0;
    let i = 0;
    for (; i + 3 < d; i += 4) {
      const q0 = q[i]!;
      const q1 = q[i + 1]!;
      const q2 = q[i + 2]!;
      const q3 = q[i + 3]!;
      s0 += q0 * codesA[baseA + i]!;
      s1 += q1 * codesA[baseA + i + 1]!;
      s2 += q2 * codesA[baseA + i + 2]!;
      s3 += q3 * codesA[baseA + i + 3]!;
      t0 += q0 * codesB[baseB + i]!;
      t1 += q1 * codesB[baseB + i + 1]!;
      t2 += q2 * codesB[baseB + i + 2]!;
      t3 += q3 * codesB[baseB + i + 3]!;
    }
    for (; i < d; i++) {
      s0 += q[i]! * codesA[baseA + i]!;
      t0 += q[i]! * codesB[baseB + i]!;
    }
    out[0] = (s0 + s1 + s2 + s3) * this.scales[a]!;
    out[1] = (t0 + t1 + t2 + t3) * this.scales[b]!;
  }

  vectorOf(p: number): Float32Array {
    return this.vectorInto(p, new Float32Array(this.dims));
  }

  /** Writes point p's (dequantised) vector into the first `dims` slots of `out`. */
  vectorInto(p: number, out: Float32Array): Float32Array {
    const codes = this.chunks[(p / CHUNK_POINTS) | 0]!;
    const base = (p % CHUNK_POINTS) * this.dims;
    const scale = this.scales[p]!;
    for (let i = 0; i < this.dims; i++) out[i] = codes[base + i]! * scale;
    return out;
  }

  /** The k most similar points, best first. `exclude` skips one point (leave-one-out). */
  search(q: Float32Array, k: number, exclude?: number): Neighbour[] {
    if (k <= 0) return [];
    // The best k so far, ascending by similarity, in two parallel arrays (no object per candidate).
    const sims = new Float64Array(k);
    const points = new Int32Array(k);
    let filled = 0;
    const consider = (p: number, sim: number) => {
      if (p === exclude) return;
      let i: number;
      if (filled < k) i = filled++;
      else if (sim > sims[0]!) i = 0;
      else return;
      // Insertion: slide the lower ones down (when full, the worst at 0 drops out).
      if (filled === k && i === 0) {
        while (i + 1 < k && sims[i + 1]! < sim) {
          sims[i] = sims[i + 1]!;
          points[i] = points[i + 1]!;
          i++;
        }
      } else {
        while (i > 0 && sims[i - 1]! > sim) {
          sims[i] = sims[i - 1]!;
          points[i] = points[i - 1]!;
          i--;
        }
      }
      sims[i] = sim;
      points[i] = p;
    };
    // Points two at a time (similarityPair), then the odd one out; `members` null: points 0..n−1.
    const pair = this.pairScratch;
    const scan = (members: Int32Array | null, n: number) => {
      let j = 0;
      for (; j + 1 < n; j += 2) {
        const a = members === null ? j : members[j]!;
        const b = members === null ? j + 1 : members[j + 1]!;
        this.similarityPair(q, a, b, pair);
        consider(a, pair[0]!);
        consider(b, pair[1]!);
      }
      if (j < n) {
        const a = members === null ? j : members[j]!;
        consider(a, this.similarity(q, a));
      }
    };
    if (this.centroids !== null && this.count > SCAN_LIMIT) {
      for (const c of this.nearestCells(q, PROBES)) scan(this.cells[c]!, this.cellSizes[c]!);
    } else {
      scan(null, this.count);
    }
    const out: Neighbour[] = new Array<Neighbour>(filled);
    for (let j = 0; j < filled; j++) out[j] = { point: points[filled - 1 - j]!, similarity: sims[filled - 1 - j]! };
    return out;
  }

  /** The n cells whose centroids are most similar to q, best first. */
  private nearestCells(q: Float32Array, n: number): number[] {
    const c = this.centroids!;
    const d = this.dims;
    const k = this.cellCount;
    if (this.cellScores.length < k) this.cellScores = new Float32Array(k);
    const scores = this.cellScores;
    for (let j = 0; j < k; j++) {
      let s0 = 0;
      let s1 = 0;
      const base = j * d;
      let i = 0;
      for (; i + 1 < d; i += 2) {
        s0 += q[i]! * c[base + i]!;
        s1 += q[i + 1]! * c[base + i + 1]!;
      }
      if (i < d) s0 += q[i]! * c[base + i]!;
      scores[j] = s0 + s1;
    }
    const best: number[] = [];
    for (let t = 0; t < Math.min(n, k); t++) {
      let arg = -1;
      for (let j = 0; j < k; j++) if (!best.includes(j) && (arg < 0 || scores[j]! > scores[arg]!)) arg = j;
      best.push(arg);
    }
    return best;
  }

  private fileInCell(p: number, cell: number): void {
    const size = this.cellSizes[cell]!;
    let members = this.cells[cell]!;
    if (size === members.length) {
      members = withLength(members, Math.max(8, Math.ceil(size * 1.5)), Int32Array);
      this.cells[cell] = members;
    }
    members[size] = p;
    this.cellSizes[cell] = size + 1;
  }

  /**
   * Builds the inverted file with a few rounds of spherical k-means on a sample. Called from the
   * background retrain; `yieldEvery` lets the caller hand control back between chunks.
   */
  async buildCells(random: () => number, yieldNow: () => Promise<void> = async () => {}): Promise<void> {
    if (this.count <= SCAN_LIMIT) {
      this.centroids = null;
      this.cells = [];
      this.cellSizes = new Int32Array(0);
      this.cellCount = 0;
      return;
    }
    const d = this.dims;
    const k = Math.max(16, Math.round(Math.sqrt(this.count)));
    const centroids = new Float32Array(k * d);
    for (let j = 0; j < k; j++) centroids.set(this.vectorOf(Math.floor(random() * this.count)), j * d);
    // k-means on a sample (10 points per cell) is enough to place the cells.
    const sample = Array.from({ length: Math.min(this.count, k * 10) }, () => Math.floor(random() * this.count));
    const v = new Float32Array(d);
    for (let round = 0; round < 5; round++) {
      const sums = new Float32Array(k * d);
      for (let s = 0; s < sample.length; s++) {
        const p = sample[s]!;
        const j = this.nearestCentroid(centroids, k, p);
        this.vectorInto(p, v);
        for (let i = 0; i < d; i++) sums[j * d + i] = sums[j * d + i]! + v[i]!;
        if (s % 500 === 499) await yieldNow();
      }
      for (let j = 0; j < k; j++) {
        let norm = 0;
        for (let i = 0; i < d; i++) norm += sums[j * d + i]! ** 2;
        norm = Math.sqrt(norm);
        if (norm > 0) for (let i = 0; i < d; i++) centroids[j * d + i] = sums[j * d + i]! / norm;
      }
    }
    // Assign every point present now, then lay each cell out as one exact-size Int32Array.
    const n = this.count;
    const assigned = new Int32Array(n);
    for (let p = 0; p < n; p++) {
      assigned[p] = this.nearestCentroid(centroids, k, p);
      if (p % 500 === 499) await yieldNow();
    }
    const sizes = new Int32Array(k);
    for (const c of assigned) sizes[c] = sizes[c]! + 1;
    const cells = Array.from({ length: k }, (_, j) => new Int32Array(sizes[j]!));
    const fill = new Int32Array(k);
    assigned.forEach((c, p) => {
      cells[c]![fill[c]!] = p;
      fill[c] = fill[c]! + 1;
    });
    this.centroids = centroids;
    this.cellCount = k;
    this.cells = cells;
    this.cellSizes = sizes;
    // Points added during the build (while it yielded) are filed now; from here on insert() does it.
    for (let p = n; p < this.count; p++) this.fileInCell(p, this.nearestCentroid(centroids, k, p));
  }

  /** Nearest centroid of a stored point, computed on its int8 code (the scale does not change the argmax). */
  private nearestCentroid(centroids: Float32Array, k: number, p: number): number {
    const d = this.dims;
    const codes = this.chunks[(p / CHUNK_POINTS) | 0]!;
    const base = (p % CHUNK_POINTS) * d;
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
