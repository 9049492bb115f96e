import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadTable } from '../../../daemon/benchmark/data';
import { seededRandom } from '../../../daemon/benchmark/folds';
import { samplePath, sampleVectorsDir } from '../../../daemon/benchmark/sample';
import { readCacheFile } from '../../../daemon/embeddings/disk-cache';
import { boundForEmbedding, contentKey } from '../../../daemon/embeddings/text';
import {
  createUseEmbedder,
  locateUseAssets,
  normalise,
  readUseVocabulary,
  runsWithinBudget,
  USE_ID,
  UseTokenizer,
} from '../../../daemon/embeddings/use';
import {
  ALWAYS_MAPPED_BYTES,
  decodeWeightsAsViews,
  readUseArtifacts,
  type TensorMaker,
  type UseWeightSpec,
} from '../../../daemon/embeddings/use-weights';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

void test('the bundled USE model gives 512-d unit vectors; similar sentences are closer than unrelated ones', async () => {
  const embedder = createUseEmbedder();
  assert.equal(embedder.id, USE_ID);
  const [code1, code2, weather, empty] = await embedder.embed([
    'How do I reverse a linked list in Python?',
    'Write Python code that reverses a singly linked list.',
    'Will it rain in Paris tomorrow afternoon?',
    '',
  ]);
  for (const v of [code1!, code2!, weather!, empty!]) {
    assert.equal(v.length, 512);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4);
  }
  assert.ok(dot(code1!, code2!) > dot(code1!, weather!) + 0.2, `${dot(code1!, code2!)} vs ${dot(code1!, weather!)}`);
  assert.ok(dot(code2!, weather!) < 0.5);
});

// The library's own EmbeddingsModel (its tokenizer and embed) is the reference the daemon's
// faster path must match: stored embeddings and benchmark caches depend on identical vectors.
interface LibraryModel {
  tokenizer: { encode(text: string): number[] };
  embed(texts: string[]): Promise<number[][]>;
}
type Library = { EmbeddingsModel: new (data: { model: unknown; vocabulary: unknown }) => LibraryModel };
const loadLibrary = async () => (await import('@energetic-ai/embeddings')) as unknown as Library;

const VARIED = [
  'Explain the difference between a process and a thread, and when you would prefer one over the other.',
  'Solve for x: 3x^2 - 12x + 9 = 0',
  '  leading and  double  spaces ',
  'Émile Zola écrit «J’accuse…!» — 1898',
  '日本語のテキストと emoji 🎉🎉 mixed',
  'ﬁ ligature ｆｕｌｌ width',
  'a',
  '```ts\nconst x = () => {\n  return 1;\n}\n```',
  'x'.repeat(600),
  'supercalifragilisticexpialidocious antidisestablishmentarianism',
];

void test('UseTokenizer gives the same ids as the library tokenizer', async () => {
  const library = await loadLibrary();
  const vocabulary = readUseVocabulary();
  const reference = new library.EmbeddingsModel({ model: null, vocabulary }).tokenizer;
  const tokenizer = new UseTokenizer(vocabulary);
  const random = seededRandom(9);
  const alphabet = [...'abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,;:!?-_()[]{}\'"\n\téüßçñ漢字😀'];
  const texts = [...VARIED];
  for (let i = 0; i < 200; i++) {
    const length = 1 + Math.floor(random() * 300);
    texts.push(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
  }
  for (const text of texts) assert.deepEqual(tokenizer.encode(text), reference.encode(text), JSON.stringify(text));
});

void test('the embedder returns the vectors of the library embed, normalised', async () => {
  const { modelDir } = locateUseAssets();
  const library = await loadLibrary();
  const core = (await import('@energetic-ai/core')) as unknown as { loadGraphModel(url: string): Promise<unknown> };
  const graph = await core.loadGraphModel(`file://${path.join(modelDir, 'model.json')}`);
  const reference = new library.EmbeddingsModel({ model: graph, vocabulary: readUseVocabulary(modelDir) });
  const texts = VARIED.slice(0, 5);
  const expected = (await reference.embed(texts)).map((row) => normalise(Float32Array.from(row)));
  const actual = await createUseEmbedder().embed(texts);
  actual.forEach((v, i) => assert.ok(dot(v, expected[i]!) > 0.99999, `text ${i}: ${dot(v, expected[i]!)}`));
});

// The daemon loads the weights through its own reader (daemon/embeddings/use-weights.ts: one
// buffer, tensors made from views of it); tfjs's file loader is the reference it must equal, weight
// for weight and byte for byte, so every embedding stays the same.
void test('the weights read by readUseArtifacts are tfjs file-loader weights, byte for byte', async () => {
  const { modelDir } = locateUseAssets();
  type T = { shape: number[]; dtype: string; dataSync(): Float32Array | Int32Array; dispose(): void };
  const core = (await import('@energetic-ai/core')) as unknown as TensorMaker<T> & {
    loadGraphModel(source: unknown, options?: object, io?: object): Promise<{ weights: Record<string, T[]> }>;
    io: { decodeWeights(buffer: ArrayBuffer, specs: UseWeightSpec[]): Record<string, T> };
  };
  const reference = await core.loadGraphModel(`file://${path.join(modelDir, 'model.json')}`);
  const artifacts = readUseArtifacts(modelDir);
  assert.ok(artifacts.weightData.byteLength >= ALWAYS_MAPPED_BYTES);
  const views = decodeWeightsAsViews(core, artifacts.weightData, artifacts.weightSpecs);
  assert.ok(views, 'every weight of the bundled model is a plain float32 / int32 tensor');
  assert.deepEqual(Object.keys(views).sort(), Object.keys(reference.weights).sort());
  for (const [name, tensor] of Object.entries(views)) {
    const expected = reference.weights[name]![0]!;
    assert.deepEqual(tensor.shape, expected.shape, name);
    assert.equal(tensor.dtype, expected.dtype, name);
    assert.deepEqual(Buffer.from(tensor.dataSync().buffer), Buffer.from(expected.dataSync().buffer), name);
    tensor.dispose();
  }
  // A quantized or otherwise unusual weight is left to tfjs's own decoder.
  const quantized = [{ name: 'q', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', min: 0, scale: 1 } }];
  assert.equal(decodeWeightsAsViews(core, new ArrayBuffer(8), quantized), undefined);
  assert.equal(
    decodeWeightsAsViews(core, new ArrayBuffer(4), [{ name: 'big', shape: [2], dtype: 'float32' }]),
    undefined,
  );
});

void test('embeddings through the daemon loader equal a graph loaded by tfjs, bit for bit', async () => {
  const { modelDir } = locateUseAssets();
  const core = (await import('@energetic-ai/core')) as unknown as {
    loadGraphModel(url: string): Promise<{ executeAsync(inputs: object): Promise<{ data(): Promise<Float32Array> }> }>;
    tensor2d(values: Int32Array, shape: [number, number], dtype: 'int32'): object;
    tensor1d(values: Int32Array, dtype: 'int32'): object;
  };
  const reference = await core.loadGraphModel(`file://${path.join(modelDir, 'model.json')}`);
  const tokenizer = new UseTokenizer(readUseVocabulary(modelDir));
  const embedder = createUseEmbedder();
  for (const text of VARIED) {
    const ids = tokenizer.encode(text);
    const indices = new Int32Array(ids.flatMap((_, i) => [0, i]));
    const output = await reference.executeAsync({
      indices: core.tensor2d(indices, [ids.length, 2], 'int32'),
      values: core.tensor1d(Int32Array.from(ids), 'int32'),
    });
    const expected = normalise((await output.data()).slice(0, 512));
    const [actual] = await embedder.embed([text]);
    assert.deepEqual(actual, expected, JSON.stringify(text));
  }
});

void test('runsWithinBudget splits a batch into runs of at most the budget of padded tokens, in order', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => i);
  const runs = runsWithinBudget([ids(10), ids(10), ids(30), ids(5), ids(100), ids(2)], 60);
  assert.deepEqual(
    runs.map((r) => r.map((e) => e.length)),
    [[10, 10], [30, 5], [100], [2]],
  );
  assert.deepEqual(runsWithinBudget([], 60), []);
  // Every text kept once, in the order given.
  const texts = Array.from({ length: 50 }, (_, i) => ids(1 + ((i * 37) % 90)));
  assert.deepEqual(runsWithinBudget(texts).flat(), texts);
});

// WASM memory never shrinks: a batch of long texts must not leave it larger than one long text did.
void test('a batch of 16 long texts keeps WASM memory at the size one long text needs, with the same vectors', async () => {
  const embedder = createUseEmbedder();
  const long = (i: number) => `Request ${i}: ${VARIED.slice(0, 4).join(' ')} `.repeat(3).slice(0, 500);
  const alone: Float32Array[] = [];
  for (let i = 0; i < 16; i++) alone.push((await embedder.embed([long(i)]))[0]!);
  const afterSingles = embedder.wasmMemoryBytes();
  const batch = await embedder.embed(Array.from({ length: 16 }, (_, i) => long(i)));
  assert.equal(embedder.wasmMemoryBytes(), afterSingles);
  // Batched and single runs differ only by float rounding (the graph pads a batch to its longest text).
  batch.forEach((v, i) => assert.ok(dot(v, alone[i]!) > 0.999999, `text ${i}: ${dot(v, alone[i]!)}`));
});

void test("the vectors shipped with the benchmark's sample are this model's vectors of its prompts", async () => {
  // scripts/sample-vectors.ts wrote them from a run of the sample (batches of 16); a new model or
  // tokenizer would leave them stale while their keys still match, and the sample's figures would
  // then no longer be this model's.
  const shipped = readCacheFile(path.join(sampleVectorsDir(), `${USE_ID}.512.emb`), 512);
  const prompts = loadTable(samplePath())
    .rows.map((r) => r.prompt)
    .slice(0, 4);
  const live = await createUseEmbedder().embed(prompts);
  prompts.forEach((prompt, i) => {
    const vector = shipped.get(contentKey(USE_ID, boundForEmbedding(prompt)));
    assert.ok(vector, `prompt ${i} has a shipped vector`);
    // Batching moves USE's vectors by ~1e-7 (padding); a different model moves them by far more.
    const worst = vector.reduce((m, x, d) => Math.max(m, Math.abs(x - live[i]![d]!)), 0);
    assert.ok(worst < 1e-5, `prompt ${i}: differs by ${worst}`);
  });
});
