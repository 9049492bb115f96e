// The fast first view of a prompt: a static embedding distilled from USE lite, in USE's own 512-d
// space, so everything that reads USE vectors (the stored outcomes' kNN, the linear heads) reads it
// too. USE costs ~30 ms of CPU per new prompt; this costs well under a millisecond: the prompt's
// focus is cut into USE's own subword tokens, each token's row of a small table (int8, `dims`
// wide) is added with a SIF weight (frequent tokens count less), and one dims × 512 matrix maps
// the mean into USE's space. The table and matrix are fitted by `npm run train:fast-embedding`
// (scripts/train-fast-embedding.ts) from USE itself; see daemon/assets/fast-embedding-v1.bin.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { boundForEmbedding } from './text';
import { locateUseAssets, readUseVocabulary, UseTokenizer } from './use';

export const FAST_VIEW_FILE = 'fast-embedding-v1.bin';
const MAGIC = 'FGFV';
const FORMAT_VERSION = 1;

/** What the asset's header says about itself. */
export interface FastViewHeader {
  format: 'fugusashi-fast-view';
  version: number;
  /** The encoder whose space the vectors live in (a USE vector and a fast one are comparable). */
  space: string;
  /** sha256 of USE's vocab.json (first 16 hex): the table's rows are that vocabulary's ids. */
  vocabulary: string;
  vocabularySize: number;
  /** Width of a token's row in the table. */
  dims: number;
  /** Width of the output (USE: 512). */
  outputDims: number;
  /** SIF weight a / (a + p(token)), p from the vocabulary's log-probabilities. */
  sifA: number;
  /** How it was made (data, seed, held-out cosine), for people reading the asset. */
  provenance: Record<string, unknown>;
}

export interface FastViewWeights {
  header: FastViewHeader;
  /** vocabularySize × dims, int8, row r scaled by rowScale[r]. */
  table: Int8Array;
  rowScale: Float32Array;
  /** dims × outputDims, row-major. */
  map: Float32Array;
  /** outputDims. */
  bias: Float32Array;
}

/** Writes the asset: magic, version, header length, JSON header, then the arrays (4-byte aligned). */
export function encodeFastView(w: FastViewWeights): Buffer {
  const header = Buffer.from(JSON.stringify(w.header), 'utf8');
  const headerPadded = Math.ceil(header.length / 4) * 4;
  const tablePadded = Math.ceil(w.table.length / 4) * 4;
  const parts = [
    Buffer.from(MAGIC, 'ascii'),
    u32(FORMAT_VERSION),
    u32(header.length),
    Buffer.concat([header, Buffer.alloc(headerPadded - header.length, 0x20)]),
    bytes(w.rowScale),
    Buffer.concat([bytes(w.table), Buffer.alloc(tablePadded - w.table.length)]),
    bytes(w.map),
    bytes(w.bias),
  ];
  return Buffer.concat(parts);
}

export function decodeFastView(buf: Uint8Array): FastViewWeights {
  const data = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (data.length < 12 || data.toString('ascii', 0, 4) !== MAGIC) throw new Error('not a fast-view asset');
  const version = data.readUInt32LE(4);
  if (version !== FORMAT_VERSION) throw new Error(`fast-view asset version ${version}, expected ${FORMAT_VERSION}`);
  const headerLength = data.readUInt32LE(8);
  const header = JSON.parse(data.toString('utf8', 12, 12 + headerLength)) as FastViewHeader;
  if (header.format !== 'fugusashi-fast-view') throw new Error('fast-view asset: unknown format');
  // Copy into one fresh, aligned buffer so the typed arrays can view it.
  let at = 12 + Math.ceil(headerLength / 4) * 4;
  const take = (n: number) => {
    if (at + n > data.length) throw new Error('fast-view asset is truncated');
    const out = new Uint8Array(n);
    out.set(data.subarray(at, at + n));
    at += Math.ceil(n / 4) * 4;
    return out.buffer;
  };
  const { vocabularySize: v, dims: d, outputDims: o } = header;
  const rowScale = new Float32Array(take(4 * v));
  const table = new Int8Array(take(v * d));
  const map = new Float32Array(take(4 * d * o));
  const bias = new Float32Array(take(4 * o));
  return { header, table, rowScale, map, bias };
}

/** sha256 of the vocabulary as USE ships it, so a table is never read against another vocabulary. */
export function vocabularyFingerprint(modelDir = locateUseAssets().modelDir): string {
  return createHash('sha256')
    .update(readFileSync(path.join(modelDir, 'vocab.json')))
    .digest('hex')
    .slice(0, 16);
}

/** SIF weights from the vocabulary's log-probabilities: a / (a + p). */
export function sifWeights(vocabulary: readonly [string, number][], a: number): Float32Array {
  const w = new Float32Array(vocabulary.length);
  vocabulary.forEach(([, logp], i) => (w[i] = a / (a + Math.exp(logp))));
  return w;
}

export class FastView {
  readonly id: string;
  readonly dimensions: number;
  private readonly weights: Float32Array;
  private readonly sum: Float32Array;

  constructor(
    private readonly w: FastViewWeights,
    private readonly tokenizer: UseTokenizer,
    vocabulary: readonly [string, number][],
  ) {
    if (vocabulary.length !== w.header.vocabularySize) throw new Error('fast view: vocabulary size differs');
    this.id = `fast-view-v${w.header.version}`;
    this.dimensions = w.header.outputDims;
    this.weights = sifWeights(vocabulary, w.header.sifA);
    this.sum = new Float32Array(w.header.dims);
  }

  get header(): FastViewHeader {
    return this.w.header;
  }

  /** The routing text's fast view: unit length, in the encoder's space; deterministic. */
  embed(text: string): Float32Array {
    return this.embedTokens(this.tokenizer.encode(textFor(text)));
  }

  /** The same from token ids (the trainer calls this with the ids it fitted on). */
  embedTokens(ids: readonly number[]): Float32Array {
    const { dims: d, outputDims: o } = this.w.header;
    const { table, rowScale, map, bias } = this.w;
    const sum = this.sum.fill(0);
    let total = 0;
    for (const id of ids) {
      const weight = this.weights[id] ?? 0;
      if (weight === 0) continue;
      const s = weight * rowScale[id]!;
      const base = id * d;
      for (let i = 0; i < d; i++) sum[i] = sum[i]! + s * table[base + i]!;
      total += weight;
    }
    const out = new Float32Array(o);
    out.set(bias);
    if (total > 0) {
      for (let i = 0; i < d; i++) {
        const x = sum[i]! / total;
        if (x === 0) continue;
        const row = i * o;
        for (let j = 0; j < o; j++) out[j] = out[j]! + x * map[row + j]!;
      }
    }
    let norm = 0;
    for (let j = 0; j < o; j++) norm += out[j]! * out[j]!;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let j = 0; j < o; j++) out[j] = out[j]! / norm;
    return out;
  }
}

/** What both encoders read of a routing text: its focus; an empty one reads as USE's placeholder. */
export function textFor(text: string): string {
  const bounded = boundForEmbedding(text);
  return bounded.trim() ? bounded : '(empty)';
}

/** The shipped asset: next to the bundle (dist/models), else daemon/assets when run from source. */
export function locateFastViewAsset(): string | null {
  for (const candidate of [
    path.join(__dirname, 'models', FAST_VIEW_FILE),
    path.join(__dirname, '..', 'assets', FAST_VIEW_FILE),
    path.join(__dirname, '..', 'models', FAST_VIEW_FILE), // a bundle one level down (dist/bench)
  ]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** Loads the shipped fast view (or the one at `file`); throws when it is missing or does not fit USE. */
export function loadFastView(file = locateFastViewAsset()): FastView {
  if (!file) throw new Error(`${FAST_VIEW_FILE} not found next to the bundle or in daemon/assets`);
  const weights = decodeFastView(readFileSync(file));
  const { modelDir } = locateUseAssets();
  if (weights.header.vocabulary !== vocabularyFingerprint(modelDir)) {
    throw new Error(`${path.basename(file)} was built for another USE vocabulary`);
  }
  const vocabulary = readUseVocabulary(modelDir);
  return new FastView(weights, new UseTokenizer(vocabulary), vocabulary);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function bytes(a: Float32Array | Int8Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
