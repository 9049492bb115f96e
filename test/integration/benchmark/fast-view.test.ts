import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bundledPrior } from '../../../daemon/assets/bundled-prior';
import { benchmarkCommand, SAMPLE_STRONG, SAMPLE_WEAK } from '../../../daemon/benchmark/cli';
import { FAST_VIEW_VARIANT, type BenchmarkResult } from '../../../daemon/benchmark/run';
import { sink } from '../../helpers/sink';
import { writeSampleRows } from '../../helpers/sample-rows';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-fast-bench-'));
const cacheDir = path.join(dir, 'cache');
// 60 rows of the bundled sample keep the run short.
const file = writeSampleRows(path.join(dir, 'rows.csv'), 0, 60);
const pair = ['--strong', SAMPLE_STRONG, '--weak', SAMPLE_WEAK];

async function bench(args: string[]): Promise<{ code: number; report?: BenchmarkResult['report']; err: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await benchmarkCommand([file, ...pair, '--json', '--cache-dir', cacheDir, ...args], { stdout, stderr });
  return {
    code,
    err: stderr.text(),
    report: code === 0 ? (JSON.parse(stdout.text()) as BenchmarkResult['report']) : undefined,
  };
}

const fastLine = (report: BenchmarkResult['report'] | undefined) =>
  report?.variants?.find((v) => v.name === FAST_VIEW_VARIANT);

void test('benchmark --fast-view scores the same rows with the router deciding on the fast first view', async () => {
  const { code, report, err } = await bench(['--folds', '2', '--fast-view']);
  assert.equal(code, 0, err);
  assert.equal(report!.rows, 60);
  const fast = fastLine(report);
  assert.ok(fast?.apgr !== undefined && fast.apgr > 0 && fast.apgr < 1.5, JSON.stringify(report!.variants));
  // Without the flag there is no such line.
  const plain = await bench(['--folds', '2']);
  assert.equal(plain.code, 0, plain.err);
  assert.equal(fastLine(plain.report), undefined);
  assert.equal(plain.report!.apgr, report!.apgr, 'the USE figure does not change with --fast-view');
});

void test('with a prior that reads words only, the fast view changes nothing in --prior-only', async () => {
  assert.equal(bundledPrior().input.embedding, 0);
  const { code, report, err } = await bench(['--prior-only', '--fast-view']);
  assert.equal(code, 0, err);
  assert.equal(fastLine(report)?.apgr, report!.apgr);
});

void test('--fast-view with --online is refused with a clear message', async () => {
  const { code, err } = await bench(['--online', '--fast-view']);
  assert.equal(code, 2);
  assert.match(err, /--fast-view works with FILE --folds K, --train\/--test and --prior-only/);
});
