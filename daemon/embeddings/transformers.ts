// The optional second backend: any sentence-embedding model through transformers.js
// (@huggingface/transformers). It is imported only when configured, and kept out of the bundles
// (a computed specifier esbuild leaves alone) because it pulls in onnxruntime. `model` is either a
// local folder (air-gapped: nothing is fetched) or a hub id, downloaded once into cacheDir.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Embedder } from '../core/ports';
import { normalise } from './use';

interface Tensor {
  dims: number[];
  data: Float32Array | number[];
}
type Extractor = (texts: string[], options: { pooling: 'mean'; normalize: boolean }) => Promise<Tensor>;
interface TransformersModule {
  env: { cacheDir: string; localModelPath: string; allowRemoteModels: boolean; allowLocalModels: boolean };
  pipeline(task: 'feature-extraction', model: string, options?: Record<string, unknown>): Promise<Extractor>;
}

const SPECIFIER = '@huggingface/transformers';

export function createTransformersEmbedder(options: {
  model: string;
  cacheDir: string;
  log?: (msg: string) => void;
}): Embedder & { load(): Promise<void> } {
  const local = existsSync(options.model);
  const id = `tfjs:${local ? path.basename(path.resolve(options.model)) : options.model}`;
  let dimensions = 0;
  let extractor: Promise<Extractor> | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  async function loadExtractor(): Promise<Extractor> {
    const started = Date.now();
    const specifier = SPECIFIER; // not a literal: esbuild must not bundle it
    const tf = (await import(specifier)) as TransformersModule;
    tf.env.cacheDir = options.cacheDir;
    let name = options.model;
    if (local) {
      const folder = path.resolve(options.model);
      tf.env.localModelPath = path.dirname(folder) + path.sep;
      tf.env.allowLocalModels = true;
      tf.env.allowRemoteModels = false;
      name = path.basename(folder);
    }
    const ex = await tf.pipeline('feature-extraction', name, { dtype: 'fp32' });
    const probe = await ex(['probe'], { pooling: 'mean', normalize: true });
    dimensions = probe.dims[probe.dims.length - 1] ?? 0;
    options.log?.(`embeddings: ${id} (${dimensions}-d) loaded in ${Date.now() - started} ms`);
    return ex;
  }

  function ensure(): Promise<Extractor> {
    if (!extractor) {
      extractor = loadExtractor();
      extractor.catch(() => (extractor = null));
    }
    return extractor;
  }

  return {
    id,
    get dimensions() {
      return dimensions;
    },
    async load() {
      await ensure();
    },
    embed(texts) {
      const run = queue.then(async () => {
        const ex = await ensure();
        if (texts.length === 0) return [];
        const out = await ex([...texts], { pooling: 'mean', normalize: true });
        const d = out.dims[out.dims.length - 1] ?? dimensions;
        const flat = Float32Array.from(out.data);
        return texts.map((_, i) => normalise(flat.slice(i * d, (i + 1) * d)));
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
