// The sentence embeddings shipped with the bundled sample: a newcomer's first `fugusashi benchmark`
// (no arguments) reads them instead of running USE over its 300 prompts (~15 s of its ~23 s).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openBenchmarkEmbedder } from '../../../daemon/benchmark/cache';
import { loadTable } from '../../../daemon/benchmark/data';
import { samplePath } from '../../../daemon/benchmark/sample';

void test("a fresh benchmark cache holds the bundled sample's vectors: every prompt of the sample is a hit", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-sample-vectors-'));
  const { embedder, disk } = openBenchmarkEmbedder(dir);
  try {
    const prompts = loadTable(samplePath()).rows.map((r) => r.prompt);
    assert.equal(prompts.length, 300);
    const vectors = await embedder.embed(prompts);
    // A miss would mean the shipped file is stale (the sample, the embedder or the keys changed):
    // scripts/sample-vectors.ts rebuilds it.
    assert.equal(embedder.misses, 0);
    assert.equal(embedder.hits, 300);
    assert.equal(vectors.length, 300);
    assert.ok(vectors.every((v) => v.length === 512 && Math.abs(Math.hypot(...v) - 1) < 1e-4));
    // Opening the cache again copies nothing twice.
    const size = disk.size;
    disk.close();
    const again = openBenchmarkEmbedder(dir);
    assert.equal(again.disk.size, size);
    again.disk.close();
  } finally {
    disk.close();
  }
});
