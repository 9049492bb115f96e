// gateway (issue 12): the semantic cache index (opt-in, cache.semantic). A request matches an entry
// when everything but its last user turn is identical (same pool, strategy, parameters and earlier
// turns: the "rest" hash) and the two last user turns' embeddings (the bundled USE encoder) reach
// the cosine threshold. Never for requests with tools (cached-chat.ts checks).
//
// Lookup must stay fast with 100k entries: vectors are kept as int8 (512 bytes each, not 2 KB) and
// found through random-hyperplane LSH (TABLES tables of BITS-bit signatures); only the entries
// sharing a bucket with the query are compared exactly. At the default threshold 0.95 a true
// neighbour shares a bucket in at least one table with probability 1 − (1 − 0.899^14)^20 ≈ 0.994
// (a random hyperplane separates two vectors at angle θ with probability θ/π).
import type { ChatCompletionRequest } from '../../../shared/openai';
import { messageText } from '../../core/features';
import { routingFocus } from '../../core/learned/focus';
import { normaliseMessage, sha } from './key';
import type { CacheEntry } from './port';

const TABLES = 20;
const BITS = 14;
const SCALE = 127;

export interface SemanticIndex {
  /** The entry's semantic part: embedding of the last user turn + hash of the rest; null when not embeddable. */
  describe(request: ChatCompletionRequest, routing: string): Promise<CacheEntry['semantic'] | null>;
  /** The most similar live entry at or above the threshold with the same rest-of-request hash. */
  find(
    request: ChatCompletionRequest,
    routing: string,
    threshold: number,
    isLive: (entry: CacheEntry) => boolean,
  ): Promise<{ entry: CacheEntry; similarity: number } | null>;
  add(entry: CacheEntry): void;
  remove(entry: CacheEntry): void;
}

interface Indexed {
  entry: CacheEntry;
  vector: Int8Array;
}

export class LshSemanticIndex implements SemanticIndex {
  private readonly planes: Float32Array[] = [];
  /** rest hash → table → signature → entries */
  private readonly buckets = new Map<string, Map<number, Indexed[]>[]>();
  private readonly byId = new Map<string, Indexed>();

  constructor(
    private readonly embed: (text: string) => Promise<Float32Array | undefined>,
    private readonly dims = 512,
    seed = 12,
  ) {
    const random = mulberry32(seed);
    for (let i = 0; i < TABLES * BITS; i++) {
      const plane = new Float32Array(dims);
      for (let d = 0; d < dims; d++) plane[d] = gaussian(random);
      this.planes.push(plane);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  async describe(request: ChatCompletionRequest, routing: string): Promise<CacheEntry['semantic'] | null> {
    const split = splitLastUser(request, routing);
    if (!split) return null;
    const vector = await this.embed(split.text);
    if (!vector || vector.length !== this.dims) return null;
    return { vector: Buffer.from(quantise(vector).buffer).toString('base64'), rest: split.rest };
  }

  async find(
    request: ChatCompletionRequest,
    routing: string,
    threshold: number,
    isLive: (entry: CacheEntry) => boolean,
  ): Promise<{ entry: CacheEntry; similarity: number } | null> {
    const split = splitLastUser(request, routing);
    if (!split) return null;
    const tables = this.buckets.get(split.rest);
    if (!tables) return null;
    const query = await this.embed(split.text);
    if (!query || query.length !== this.dims) return null;
    return this.nearest(quantise(query), tables, threshold, isLive);
  }

  /** Exact cosine over the query's buckets (the part the 100k-entry benchmark times). */
  nearest(
    q: Int8Array,
    tables: Map<number, Indexed[]>[],
    threshold: number,
    isLive: (entry: CacheEntry) => boolean,
  ): { entry: CacheEntry; similarity: number } | null {
    const seen = new Set<Indexed>();
    let best: Indexed | null = null;
    let bestSim = threshold;
    const qNorm = norm(q);
    for (let t = 0; t < TABLES; t++) {
      const bucket = tables[t]?.get(this.signature(q, t));
      if (!bucket) continue;
      for (const item of bucket) {
        if (seen.has(item)) continue;
        seen.add(item);
        const sim = cosine(q, qNorm, item.vector);
        if (sim >= bestSim && isLive(item.entry)) {
          best = item;
          bestSim = sim;
        }
      }
    }
    return best ? { entry: best.entry, similarity: Math.min(1, bestSim) } : null;
  }

  /** The query's bucket tables for a rest hash (benchmark and tests). */
  tablesFor(rest: string): Map<number, Indexed[]>[] | undefined {
    return this.buckets.get(rest);
  }

  add(entry: CacheEntry): void {
    if (!entry.semantic || this.byId.has(entry.id)) return;
    const bytes = Buffer.from(entry.semantic.vector, 'base64');
    const vector = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (vector.length !== this.dims) return;
    const item: Indexed = { entry, vector };
    this.byId.set(entry.id, item);
    let tables = this.buckets.get(entry.semantic.rest);
    if (!tables) {
      tables = Array.from({ length: TABLES }, () => new Map<number, Indexed[]>());
      this.buckets.set(entry.semantic.rest, tables);
    }
    for (let t = 0; t < TABLES; t++) {
      const sig = this.signature(vector, t);
      const bucket = tables[t]!.get(sig);
      if (bucket) bucket.push(item);
      else tables[t]!.set(sig, [item]);
    }
  }

  remove(entry: CacheEntry): void {
    const item = this.byId.get(entry.id);
    if (!item || !entry.semantic) return;
    this.byId.delete(entry.id);
    const tables = this.buckets.get(entry.semantic.rest);
    if (!tables) return;
    for (let t = 0; t < TABLES; t++) {
      const sig = this.signature(item.vector, t);
      const bucket = tables[t]!.get(sig);
      if (!bucket) continue;
      const i = bucket.indexOf(item);
      if (i >= 0) bucket.splice(i, 1);
      if (bucket.length === 0) tables[t]!.delete(sig);
    }
  }

  private signature(v: Int8Array, table: number): number {
    let sig = 0;
    for (let b = 0; b < BITS; b++) {
      const plane = this.planes[table * BITS + b]!;
      let dot = 0;
      for (let d = 0; d < v.length; d++) dot += v[d]! * plane[d]!;
      if (dot > 0) sig |= 1 << b;
    }
    return sig;
  }
}

/** The last user turn's text and a hash of everything else (earlier turns, model, routing, parameters). */
export function splitLastUser(request: ChatCompletionRequest, routing: string): { text: string; rest: string } | null {
  let last = -1;
  for (let i = request.messages.length - 1; i >= 0; i--)
    if (request.messages[i]!.role === 'user') {
      last = i;
      break;
    }
  if (last < 0) return null;
  // The encoder is case-sensitive ("Janet…" vs "janet…" scores 0.91): retyping changes case and
  // spacing, not meaning, so both are normalised before embedding.
  const text = messageText(request.messages[last]!).trim().toLowerCase().replace(/\s+/g, ' ');
  if (!text) return null;
  const others = request.messages.map((m, i) => (i === last ? ['user', '<last>'] : normaliseMessage(m)));
  const source = request as Record<string, unknown>;
  const params = ['temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'stop', 'seed', 'response_format'].map(
    (k) => source[k] ?? null,
  );
  return { text, rest: sha(JSON.stringify([request.model, routing, others, params, literalGuard(text)])) };
}

const NEGATION = /\b(?:not|no|never|none|neither|nor|without|except)\b|n't\b/gi;

/**
 * What an embedding glosses over but changes the answer: the numbers in the turn, how often it
 * negates, and for a long turn whatever lies outside the focus the encoder sees. These must be
 * identical for a semantic hit ("17 × 23" and "17 × 24" embed almost alike).
 */
export function literalGuard(text: string): unknown[] {
  const numbers = text.match(/\d+(?:[.,]\d+)*/g) ?? [];
  const negations = (text.match(NEGATION) ?? []).length;
  const focus = routingFocus(text);
  return [numbers, negations, focus === text ? null : sha(text)];
}

export function quantise(v: Float32Array): Int8Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  const s = n > 0 ? 1 / Math.sqrt(n) : 0;
  // Unit components of a 512-d vector rarely exceed ±0.5: scale so 0.5 maps near the int8 limit.
  const out = new Int8Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.max(-127, Math.min(127, Math.round(v[i]! * s * SCALE * 2)));
  return out;
}

function norm(v: Int8Array): number {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  return Math.sqrt(n);
}

function cosine(q: Int8Array, qNorm: number, v: Int8Array): number {
  let dot = 0;
  let n = 0;
  for (let i = 0; i < q.length; i++) {
    dot += q[i]! * v[i]!;
    n += v[i]! * v[i]!;
  }
  return n > 0 && qNorm > 0 ? dot / (qNorm * Math.sqrt(n)) : 0;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
