// The sentence embeddings shipped with the bundled sample: a newcomer's first `fugusashi benchmark`
// (no arguments) reads them instead of running USE over its 300 prompts (~15 s of its ~23 s).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { addBundledVectors, openBenchmarkEmbedder } from '../../../daemon/benchmark/cache';
import { SAMPLE_STRONG, SAMPLE_WEAK } from '../../../daemon/benchmark/cli';
import { loadTable } from '../../../daemon/benchmark/data';
import { runBenchmark } from '../../../daemon/benchmark/run';
import { samplePath, sampleVectorsDir } from '../../../daemon/benchmark/sample';
import { USE_ID } from '../../../daemon/embeddings/use';
import { writeSampleRows } from '../../helpers/sample-rows';

const VECTORS = `${USE_ID}.512.emb`;

void test("the bundled sample's vectors in a fresh cache: every prompt of the sample is a hit", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-sample-vectors-'));
  const { embedder, disk } = openBenchmarkEmbedder(dir);
  try {
    addBundledVectors(disk, sampleVectorsDir());
    const prompts = loadTable(samplePath()).rows.map((r) => r.prompt);
    assert.equal(prompts.length, 300);
    const vectors = await embedder.embed(prompts);
    // A miss would mean the shipped file is stale (the sample, the embedder or the keys changed):
    // scripts/sample-vectors.ts rebuilds it.
    assert.equal(embedder.misses, 0);
    assert.equal(embedder.hits, 300);
    assert.ok(vectors.every((v) => v.length === 512 && Math.abs(Math.hypot(...v) - 1) < 1e-4));
    // Added again, nothing is copied twice.
    const size = disk.size;
    addBundledVectors(disk, sampleVectorsDir());
    assert.equal(disk.size, size);
  } finally {
    disk.close();
  }
});

void test('a benchmark run that embeds starts from the shipped vectors: on sample rows it embeds nothing', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-sample-vectors-'));
  const file = writeSampleRows(path.join(dir, 'small.csv'), 0, 40);
  const cacheDir = path.join(dir, 'cache');
  await runBenchmark({ file, folds: 2, strong: SAMPLE_STRONG, weak: SAMPLE_WEAK, cacheDir });
  // The cache holds the shipped file's records and no others (without them: these 40 prompts).
  assert.deepEqual(
    readFileSync(path.join(cacheDir, 'embeddings', VECTORS)),
    readFileSync(path.join(sampleVectorsDir(), VECTORS)),
  );
});
