// The benchmark's bundled sample (`fugusashi benchmark` with no arguments) and the sentence
// embeddings shipped with it, next to the bundle (dist/models) or in the source tree.
import { existsSync } from 'node:fs';
import path from 'node:path';

const SOURCE_DIR = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'benchmark');

/** The 300-row MMLU sample: dist/models/benchmark-sample.csv, or its source in test/fixtures. */
export function samplePath(): string {
  const bundled = path.join(__dirname, 'models', 'benchmark-sample.csv');
  if (existsSync(bundled)) return bundled;
  return path.join(SOURCE_DIR, 'sample.csv');
}

/**
 * The folder of the sample's precomputed embeddings: one file per embedder, named and laid out
 * as the embedding cache names and lays out its own (`<embedder id>.<dims>.emb`), so the
 * benchmark can copy a file's records into a cache of the same embedder (cache.ts).
 */
export function sampleVectorsDir(): string {
  const bundled = path.join(__dirname, 'models', 'benchmark-sample-vectors');
  if (existsSync(bundled)) return bundled;
  return path.join(SOURCE_DIR, 'sample-vectors');
}
