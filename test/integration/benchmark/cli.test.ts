import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { benchmarkCommand, samplePath, SAMPLE_STRONG, SAMPLE_WEAK } from '../../../daemon/benchmark/cli';
import { parseCsv } from '../../../daemon/benchmark/csv';
import type { BenchmarkReport } from '../../../shared/api';
import { sink } from '../../helpers/sink';
import { writeSampleRows } from '../../helpers/sample-rows';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-bench-'));

void test('the bundled sample exists, is ≤ 300 rows and has the strong and weak columns', () => {
  const file = samplePath();
  assert.ok(existsSync(file), file);
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
  assert.ok(rows.length > 0 && rows.length <= 300);
  assert.ok(header!.includes(SAMPLE_STRONG) && header!.includes(SAMPLE_WEAK));
});

void test('a short two-model benchmark through benchmarkCommand writes a report and one emitted line per row', async () => {
  // The first 40 rows of the sample keep the run short.
  const small = writeSampleRows(path.join(dir, 'small.csv'), 0, 40);
  const emit = path.join(dir, 'decisions.csv');
  const stdout = sink();
  const stderr = sink();
  const code = await benchmarkCommand(
    [
      small,
      '--folds',
      '2',
      '--strong',
      SAMPLE_STRONG,
      '--weak',
      SAMPLE_WEAK,
      '--json',
      '--emit',
      emit,
      '--cache-dir',
      path.join(dir, 'cache'),
    ],
    { stdout, stderr },
  );
  assert.equal(code, 0, stderr.text());
  const report = JSON.parse(stdout.text()) as BenchmarkReport;
  assert.equal(report.mode, 'folds');
  assert.equal(report.rows, 40);
  const curve = report.curve ?? [];
  assert.equal(curve.length, 11);
  assert.equal(curve[0]!.pgr, 0);
  assert.ok(Math.abs(curve[10]!.pgr - 1) < 1e-9);
  assert.ok(report.apgr !== undefined && report.apgr > 0 && report.apgr < 1.5);
  assert.match(stderr.text(), /embedding small\.csv 40\/40/);
  const lines = readFileSync(emit, 'utf8').trim().split('\n');
  assert.equal(lines.length, 40);
  assert.match(lines[0]!, /^[0-9a-f]{16},0\.\d+$/);

  // Multi-model view of the same file, as a readable table.
  const table = sink();
  const code2 = await benchmarkCommand([small, '--folds', '2', '--cache-dir', path.join(dir, 'cache')], {
    stdout: table,
    stderr: sink(),
  });
  assert.equal(code2, 0);
  assert.match(table.text(), /best single model gpt-4-1106-preview/);
  assert.match(table.text(), /oracle/);
});

void test('bad arguments exit 2 with the usage', async () => {
  const stderr = sink();
  assert.equal(await benchmarkCommand(['--strong', 'a'], { stdout: sink(), stderr }), 2);
  assert.match(stderr.text(), /both --strong and --weak/);
  assert.equal(await benchmarkCommand(['--nope'], { stdout: sink(), stderr: sink() }), 2);
  const missing = sink();
  assert.equal(await benchmarkCommand([path.join(dir, 'missing.csv')], { stdout: sink(), stderr: missing }), 1);
  assert.match(missing.text(), /benchmark failed/);
});
