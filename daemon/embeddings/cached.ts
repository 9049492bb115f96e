// An Embedder wrapper that bounds each text, then serves repeats from the on-disk cache when given
// one, else from an in-memory LRU; only the misses reach the model, in small batches of similar
// length (USE pads a batch to its longest text, so mixing lengths wastes work). With a disk cache
// the LRU is not used: a disk hit costs microseconds, and an LRU of 5,000 vectors held ~10 MB.
import type { Embedder } from '../core/ports';
import type { DiskEmbeddingCache } from './disk-cache';
import { LruCache } from './lru';
import { boundForEmbedding, contentKey } from './text';

export interface CachingEmbedderOptions {
  /** Entries of the in-memory cache, used only without `disk`. */
  lruSize?: number;
  disk?: DiskEmbeddingCache;
  batchSize?: number;
  /** Called after each model batch with (done, total) for progress bars. */
  onProgress?: (done: number, total: number) => void;
}

export class CachingEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  private readonly lru: LruCache<string, Float32Array>;
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: Embedder,
    private readonly options: CachingEmbedderOptions = {},
  ) {
    this.id = inner.id;
    this.dimensions = inner.dimensions;
    this.lru = new LruCache(options.disk ? 0 : (options.lruSize ?? 2_000));
  }

  keyOf(text: string): string {
    return contentKey(this.id, boundForEmbedding(text));
  }

  /** The cached vector for a text, without computing anything. */
  peek(text: string): Float32Array | undefined {
    const key = this.keyOf(text);
    return this.lru.get(key) ?? this.options.disk?.get(key);
  }

  /**
   * The texts' vectors. With `into` (at least texts.length × dimensions floats) vector i is a view
   * of `into`'s floats [i × dimensions, (i + 1) × dimensions), valid until the caller reuses it, and
   * disk hits are read straight there: the learner's start-up reads every stored prompt's vector
   * from disk, and a fresh 2 KB array for each (100 MB at 50k prompts, all garbage once the index
   * has quantised it) grew malloc's main arena by the garbage V8 had not yet collected, which the
   * arena kept (`npm run bench:router`: 49 → 70 MB).
   */
  async embed(texts: readonly string[], into?: Float32Array): Promise<Float32Array[]> {
    const dims = this.dimensions;
    if (into && into.length < texts.length * dims)
      throw new Error(`${texts.length} vectors of ${dims} floats do not fit in ${into.length}`);
    const slot = (i: number) => into?.subarray(i * dims, (i + 1) * dims);
    const keys = texts.map((t) => this.keyOf(t));
    const out: (Float32Array | undefined)[] = keys.map((k, i) => this.lru.get(k) ?? this.options.disk?.get(k, slot(i)));
    const missing = new Map<string, string>(); // key → bounded text, deduplicated
    keys.forEach((k, i) => {
      if (out[i]) this.hits++;
      else if (!missing.has(k)) missing.set(k, boundForEmbedding(texts[i]!));
    });
    this.misses += missing.size;
    if (missing.size > 0) {
      const fresh = await this.compute([...missing.entries()]);
      keys.forEach((k, i) => {
        if (!out[i]) out[i] = fresh.get(k);
      });
    }
    return out.map((v, i) => {
      if (!v) throw new Error(`no embedding for text ${i}`);
      if (into && v.buffer === into.buffer) return v; // read from disk into the caller's buffer
      this.lru.set(keys[i]!, v); // capacity 0 with a disk cache: stores nothing
      if (!into) return v;
      const s = slot(i)!;
      s.set(v);
      return s;
    });
  }

  private async compute(entries: [string, string][]): Promise<Map<string, Float32Array>> {
    const batchSize = this.options.batchSize ?? 16;
    const sorted = [...entries].sort((a, b) => a[1].length - b[1].length);
    const result = new Map<string, Float32Array>();
    for (let i = 0; i < sorted.length; i += batchSize) {
      const batch = sorted.slice(i, i + batchSize);
      const vectors = await this.inner.embed(batch.map((e) => e[1]));
      const rows = batch.map(([key], j) => ({ key, vector: vectors[j]! }));
      for (const r of rows) result.set(r.key, r.vector);
      this.options.disk?.putMany(rows);
      this.options.onProgress?.(Math.min(i + batchSize, sorted.length), sorted.length);
    }
    return result;
  }
}
