// The benchmark keeps the embeddings of data files outside the repo (~/.cache/fugusashi, or
// FUGUSASHI_CACHE_DIR / --cache-dir), so the second run of a file skips the slow part.
import os from 'node:os';
import path from 'node:path';
import { CachingEmbedder } from '../embeddings/cached';
import { DiskEmbeddingCache } from '../embeddings/disk-cache';
import { createEmbedder, type EmbedderConfig } from '../embeddings/index';

export function defaultCacheDir(): string {
  return process.env.FUGUSASHI_CACHE_DIR || path.join(os.homedir(), '.cache', 'fugusashi');
}

export function openBenchmarkEmbedder(
  cacheDir: string,
  config?: EmbedderConfig,
  log?: (msg: string) => void,
): { embedder: CachingEmbedder; disk: DiskEmbeddingCache } {
  const inner = createEmbedder(config, { cacheDir: path.join(cacheDir, 'models'), log });
  const disk = new DiskEmbeddingCache(path.join(cacheDir, 'embeddings'), inner.id, inner.dimensions);
  // The LRU stays small: the disk cache already holds every vector in memory.
  return { embedder: new CachingEmbedder(inner, { disk, lruSize: 64, batchSize: 16 }), disk };
}
