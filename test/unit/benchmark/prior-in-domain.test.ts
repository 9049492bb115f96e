import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { benchmarkCommand, samplePath, SAMPLE_STRONG, SAMPLE_WEAK } from '../../../daemon/benchmark/cli';
import { parseCsv } from '../../../daemon/benchmark/csv';
import { foldOf } from '../../../daemon/benchmark/folds';
import type { BenchmarkResult } from '../../../daemon/benchmark/run';
import { sink } from '../../helpers/sink';

// 120 MMLU rows of the bundled sample as the evaluated file; the prior-data directory holds one other
// licence-compatible file (40 further sample rows saved as RouterBench MBPP's file name, so the
// in-domain prior also learns from a file other than the evaluated one).
function fixture() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-prior-in-domain-'));
  const [header, ...rows] = parseCsv(readFileSync(samplePath(), 'utf8'));
  const quote = (c: string) => `"${c.replace(/"/g, '""')}"`;
  const write = (file: string, body: string[][]) =>
    writeFileSync(file, [header!, ...body].map((r) => r.map(quote).join(',')).join('\n'));
  const file = path.join(dir, 'evaluated.csv');
  write(file, rows.slice(0, 120));
  const priorData = path.join(dir, 'prior-data');
  mkdirSync(priorData);
  write(path.join(priorData, 'routerbench_mbpp.csv'), rows.slice(120, 160));
  const prompts = rows.slice(0, 120).map((r) => r[header!.indexOf('prompt')]!);
  return { dir, file, priorData, prompts };
}

void test('--prior-in-domain trains each test fold its own prior on the other files and the training folds only', async () => {
  const { dir, file, priorData, prompts } = fixture();
  const stdout = sink();
  const stderr = sink();
  const code = await benchmarkCommand(
    [
      file,
      '--folds',
      '5',
      '--eval-folds',
      '1,2',
      '--prior-in-domain',
      '--prior-data',
      priorData,
      '--prior-members',
      '1',
      '--strong',
      SAMPLE_STRONG,
      '--weak',
      SAMPLE_WEAK,
      '--json',
      '--cache-dir',
      path.join(dir, 'cache'),
    ],
    { stdout, stderr },
  );
  assert.equal(code, 0, stderr.text());
  const report = JSON.parse(stdout.text()) as BenchmarkResult['report'];
  assert.equal(report.mode, 'folds');
  const inFold = (f: number) => prompts.filter((p) => foldOf(p, 5) === f).length;
  assert.equal(report.rows, inFold(1) + inFold(2));
  assert.deepEqual(
    report.prior_training!.map((t) => t.fold),
    [1, 2],
  );
  for (const { fold, trained_on } of report.prior_training!) {
    // The evaluated file's rows outside the test fold, never one of the fold's: a leak of the test
    // fold into its prior would show here as more rows.
    assert.deepEqual(
      trained_on.map((t) => [t.file, t.rows]),
      [
        ['routerbench_mbpp.csv', 40],
        ['evaluated.csv', 120 - inFold(fold)],
      ],
    );
  }
  assert.ok(report.variants!.some((v) => v.name === "each fold's prior alone (no store)" && v.apgr !== undefined));
});

void test('--prior-in-domain without --prior-data or with --online is refused with the usage', async () => {
  const { file, priorData } = fixture();
  for (const args of [
    [file, '--prior-in-domain'],
    [file, '--prior-in-domain', '--prior-data', priorData, '--online'],
  ]) {
    const stderr = sink();
    const code = await benchmarkCommand([...args, '--strong', SAMPLE_STRONG, '--weak', SAMPLE_WEAK], {
      stdout: sink(),
      stderr,
    });
    assert.equal(code, 2);
    assert.match(stderr.text(), /--prior-in-domain needs FILE --folds K --prior-data DIR/);
  }
});
