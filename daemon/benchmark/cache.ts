// The benchmark keeps the embeddings of data files outside the repo (~/.cache/fugusashi, or
// FUGUSASHI_CACHE_DIR / --cache-dir), so the second run of a file skips the slow part.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CachingEmbedder } from '../embeddings/cached';
import { DiskEmbeddingCache, readCacheFile } from '../embeddings/disk-cache';
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
  // No LRU is kept beside a disk cache (CachingEmbedder): a disk hit costs microseconds.
  return { embedder: new CachingEmbedder(inner, { disk, lruSize: 64, batchSize: 16 }), disk };
}

/**
 * Copies vectors shipped with the package (the bundled sample's: sample.ts) into the cache, when
 * they are this embedder's (same file name: embedder id and dimensions; keys hash the embedder id
 * and the text too): a newcomer's first `fugusashi benchmark` then skips embedding its 300 prompts
 * (~15 s of CPU of its ~23 s). Keys the cache holds already are skipped, so only the first run writes.
 */
export function addBundledVectors(disk: DiskEmbeddingCache, dir: string): void {
  const file = path.join(dir, path.basename(disk.file));
  if (!existsSync(file)) return;
  const bundled = readCacheFile(file, disk.dimensions);
  const missing = [...bundled].filter(([key]) => !disk.has(key));
  if (missing.length > 0) disk.putMany(missing.map(([key, vector]) => ({ key, vector })));
}
