// A daemon's benchmark run on its worker thread (daemon/benchmark/threaded.ts): the same report and
// progress as the runner on the caller's thread, its errors as they were, and a cancelled run ends.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SAMPLE_STRONG, SAMPLE_WEAK } from '../../../daemon/benchmark/cli';
import { runBenchmark, type BenchmarkOptions } from '../../../daemon/benchmark/run';
import { runBenchmarkInWorker } from '../../../daemon/benchmark/threaded';
import type { BenchmarkProgress } from '../../../shared/api';
import { FugusashiError } from '../../../shared/errors';
import { writeSampleRows } from '../../helpers/sample-rows';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-bench-thread-'));
// The first 40 rows of the bundled sample (their vectors ship with it: nothing is embedded).
const small = writeSampleRows(path.join(dir, 'small.csv'), 0, 40);
const options: BenchmarkOptions = {
  file: small,
  folds: 2,
  strong: SAMPLE_STRONG,
  weak: SAMPLE_WEAK,
  cacheDir: path.join(dir, 'cache'),
};

void test('on its thread, a run reports the progress and the report of a run on this thread', async () => {
  const progress: BenchmarkProgress[] = [];
  const threaded = await runBenchmarkInWorker(options, (p) => progress.push(p));
  const here = await runBenchmark(options);
  const { duration_ms: _a, ...fromThread } = threaded;
  const { duration_ms: _b, ...fromHere } = here;
  assert.deepEqual(fromThread, fromHere);
  assert.equal(threaded.rows, 40);
  assert.ok(progress.some((p) => p.phase === 'embedding small.csv' && p.done === 40 && p.total === 40));
});

void test('on its thread, a run that fails rejects with its error; a cancelled one with the reason', async () => {
  await assert.rejects(runBenchmarkInWorker({ ...options, file: path.join(dir, 'missing.csv') }), /missing\.csv/);
  const controller = new AbortController();
  const reason = new FugusashiError('Cancelled', 'The benchmark run was cancelled.');
  const run = runBenchmarkInWorker({ ...options, signal: controller.signal }, () => controller.abort(reason));
  await assert.rejects(run, (err) => err === reason);
});
