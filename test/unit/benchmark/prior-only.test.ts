import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { benchmarkCommand, SAMPLE_STRONG, SAMPLE_WEAK } from '../../../daemon/benchmark/cli';
import type { BenchmarkReport } from '../../../shared/api';
import { sink } from '../../helpers/sink';
import { writeSampleRows } from '../../helpers/sample-rows';

void test('benchmark FILE --prior-only scores the file with the bundled prior, learns nothing and needs no embeddings', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-prior-bench-'));
  const file = writeSampleRows(path.join(dir, 'mmlu-rows.csv'), 0, 120);
  const emit = path.join(dir, 'scores.csv');
  const cacheDir = path.join(dir, 'cache');
  const stdout = sink();
  const stderr = sink();
  const code = await benchmarkCommand(
    [
      file,
      '--prior-only',
      '--strong',
      SAMPLE_STRONG,
      '--weak',
      SAMPLE_WEAK,
      '--json',
      '--emit',
      emit,
      '--cache-dir',
      cacheDir,
    ],
    { stdout, stderr },
  );
  assert.equal(code, 0, stderr.text());
  const report = JSON.parse(stdout.text()) as BenchmarkReport;
  assert.equal(report.mode, 'prior');
  assert.equal(report.rows, 120);
  assert.ok(report.apgr! > 0 && report.apgr! < 1.5);
  const lines = readFileSync(emit, 'utf8').trim().split('\n');
  assert.equal(lines.length, 120);
  assert.match(lines[0]!, /^[0-9a-f]{16},\d\.\d{6}$/);
  // A words-only prior never ran the sentence encoder: nothing was embedded or cached.
  assert.equal(existsSync(path.join(cacheDir, 'embeddings', 'use-lite-512.512.emb')), false);
});
