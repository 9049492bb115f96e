import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { benchmarkCommand, samplePath, SAMPLE_STRONG, SAMPLE_WEAK } from '../../../daemon/benchmark/cli';
import { parseCsv } from '../../../daemon/benchmark/csv';
import { foldOf } from '../../../daemon/benchmark/folds';
import { apgr, qualityCurve } from '../../../daemon/benchmark/metrics';
import {
  rankWithinFolds,
  runBenchmarkDetailed,
  type BenchmarkResult,
  type RowViews,
} from '../../../daemon/benchmark/run';
import { sink } from '../../helpers/sink';

// 120 MMLU rows of the bundled sample as the evaluated file; the prior-data directory holds one other
// licence-compatible file (40 further sample rows saved as RouterBench MBPP's file name, so the
// in-domain prior also learns from a file other than the evaluated one).
// One embedding cache for the file's runs: the second run reads the sample's vectors instead of
// loading USE and embedding the 120 prompts again.
const sharedCache = path.join(mkdtempSync(path.join(os.tmpdir(), 'fugusashi-prior-in-domain-cache-')), 'cache');

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

/** A `--prior-in-domain` run of the CLI (one fit per prior) and its JSON report. */
async function inDomainReport(file: string, priorData: string, mode: string[]): Promise<BenchmarkResult['report']> {
  const stdout = sink();
  const stderr = sink();
  const args = [file, ...mode, '--prior-in-domain', '--prior-data', priorData, '--prior-members', '1'];
  const code = await benchmarkCommand(
    [...args, '--strong', SAMPLE_STRONG, '--weak', SAMPLE_WEAK, '--json', '--cache-dir', sharedCache],
    { stdout, stderr },
  );
  assert.equal(code, 0, stderr.text());
  return JSON.parse(stdout.text()) as BenchmarkResult['report'];
}

void test('--prior-in-domain trains each test fold its own prior on the other files and the training folds only', async () => {
  const { file, priorData, prompts } = fixture();
  const report = await inDomainReport(file, priorData, ['--folds', '5', '--eval-folds', '1,2']);
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

void test('--prior-in-domain without --prior-data is refused with the usage', async () => {
  const { file } = fixture();
  const stderr = sink();
  const code = await benchmarkCommand([file, '--prior-in-domain', '--strong', SAMPLE_STRONG, '--weak', SAMPLE_WEAK], {
    stdout: sink(),
    stderr,
  });
  assert.equal(code, 2);
  assert.match(stderr.text(), /--prior-in-domain needs FILE --folds K or FILE --online, and --prior-data DIR/);
});

void test('--online --prior-in-domain: the prior never sees the holdout or the stream of ratings, which is the next two folds', async () => {
  const { file, priorData, prompts } = fixture();
  const report = await inDomainReport(file, priorData, ['--online', '--holdout-fold', '3']);
  assert.equal(report.mode, 'online');
  const inFold = (f: number) => prompts.filter((p) => foldOf(p, 5) === f).length;
  assert.equal(report.rows, inFold(3));
  // Folds 4 and 0 are rated; only folds 1 and 2 of the evaluated file train the prior.
  assert.deepEqual(
    report.prior_training!.map((t) => [t.fold, t.trained_on.map((x) => [x.file, x.rows])]),
    [
      [
        3,
        [
          ['routerbench_mbpp.csv', 40],
          ['evaluated.csv', inFold(1) + inFold(2)],
        ],
      ],
    ],
  );
  const curve = report.learning_curve!;
  assert.equal(curve[0]!.n, 0, 'the curve starts from the prior alone');
  assert.equal(curve.at(-1)!.n, inFold(4) + inFold(0));
});

void test('keepViews returns each scored row with its fold and views: the blend and the prior alone rank as the report says', async () => {
  const { file, priorData } = fixture();
  const { report, views } = await runBenchmarkDetailed({
    file,
    folds: 5,
    evalFolds: [1, 2],
    priorInDomain: true,
    priorData,
    priorMembers: 1,
    // One prior per scored fold, none per training fold: the views, not the cross-fit, are tested.
    priorCrossFit: false,
    strong: SAMPLE_STRONG,
    weak: SAMPLE_WEAK,
    cacheDir: sharedCache,
    keepViews: true,
  });
  assert.ok(views);
  assert.equal(views.length, report.rows);
  assert.ok(views.every((v) => v.fold === 1 || v.fold === 2));
  assert.ok(views.every((v) => v.prior?.length === 2 && v.evidence.length === 2));
  const apgrOf = (gap: (v: RowViews) => number) =>
    apgr(
      qualityCurve(
        views.map((v) => v.scores[0]!),
        views.map((v) => v.scores[1]!),
        rankWithinFolds(
          views.map(gap),
          views.map((v) => v.fold!),
        ),
      ),
    );
  assert.equal(
    apgrOf((v) => v.blend[0]! - v.blend[1]!),
    report.apgr,
  );
  const priorAlone = report.variants!.find((x) => x.name === "each fold's prior alone (no store)")!;
  assert.equal(
    apgrOf((v) => v.prior![0]! - v.prior![1]!),
    priorAlone.apgr,
  );
});
