// Picks the embedding backend from the config: USE lite (default, bundled, offline; run on a worker
// thread) or transformers.js (optional, loaded only when configured).
import type { Embedder } from '../core/ports';
import { createTransformersEmbedder } from './transformers';
import { createThreadedUseEmbedder } from './threaded';

export interface EmbedderConfig {
  backend?: 'use' | 'transformers';
  /** transformers.js: a model id (downloaded once into cacheDir) or a local folder. */
  model?: string;
}

export type LoadableEmbedder = Embedder & { load(): Promise<void> };

export function createEmbedder(
  config: EmbedderConfig | undefined,
  options: { cacheDir: string; log?: (msg: string) => void },
): LoadableEmbedder {
  if (config?.backend === 'transformers') {
    if (!config.model) throw new Error('routing.embeddings.model is required with backend "transformers"');
    return createTransformersEmbedder({ model: config.model, cacheDir: options.cacheDir, log: options.log });
  }
  return createThreadedUseEmbedder(options.log);
}

export { CachingEmbedder } from './cached';
export { DiskEmbeddingCache } from './disk-cache';
export { boundForEmbedding, contentKey } from './text';
