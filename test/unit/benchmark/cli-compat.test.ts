// `fugusashi benchmark` as Fugusashi 0.3.0 documented it (`--train --verbose`, `--train --json`,
// `-d my_data.jsonl`), and its report landing where the dashboard's Benchmark tab reads it: a real
// daemon on the same data directory serves it at GET /v1/benchmark/last.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { benchmarkCommand, samplePath, SAMPLE_STRONG, SAMPLE_WEAK } from '../../../daemon/benchmark/cli';
import { parseCsv } from '../../../daemon/benchmark/csv';
import { lastBenchmarkPath } from '../../../daemon/benchmark/last-report';
import type { BenchmarkReport } from '../../../shared/api';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { sink } from '../../helpers/sink';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-bench-compat-'));
const cache = path.join(dir, 'cache');
/** 0.3.0's `-d` takes a JSONL dataset: the sample's first 30 rows as one JSON object per line. */
const jsonl = path.join(dir, 'my_data.jsonl');
let daemon: TestDaemon;

before(async () => {
  const [header, ...rows] = parseCsv(readFileSync(samplePath(), 'utf8'));
  const lines = rows.slice(0, 30).map((r) => JSON.stringify(Object.fromEntries(header!.map((h, i) => [h, r[i]]))));
  writeFileSync(jsonl, `${lines.join('\n')}\n`);
  daemon = await startTestDaemon({ rpc: false });
});
after(async () => daemon.close());

const pair = ['--strong', SAMPLE_STRONG, '--weak', SAMPLE_WEAK, '--folds', '2', '--cache-dir', cache];

void test('`benchmark --train --verbose -d FILE.jsonl` runs, prints one routed line per row, and the dashboard shows it', async () => {
  const stdout = sink();
  const stderr = sink();
  const code = await benchmarkCommand(['--train', '--verbose', '-d', jsonl, ...pair], {
    stdout,
    stderr,
    dataDir: daemon.dataDir,
  });
  assert.equal(code, 0, stderr.text());
  assert.match(stdout.text(), /APGR \d\.\d{3}/);
  // --verbose: one line per evaluated row (its uid and the router's strong-win score).
  const perRow = stdout.text().match(/^ {2}[0-9a-f]{16} {2}\d\.\d+$/gm) ?? [];
  assert.equal(perRow.length, 30, stdout.text());
  assert.ok(existsSync(lastBenchmarkPath(daemon.dataDir)));
  assert.match(stderr.text(), /saved for the dashboard/);

  const res = await fetch(`${daemon.url}/v1/benchmark/last`);
  assert.equal(res.status, 200);
  const shown = (await res.json()) as BenchmarkReport;
  assert.equal(shown.rows, 30);
  assert.equal(shown.dataset, 'my_data.jsonl');
});

void test('`benchmark --train --json -d FILE` prints the JSON report (the 0.3.0 spelling of a trained run)', async () => {
  const stdout = sink();
  const stderr = sink();
  const code = await benchmarkCommand(['--train', '--json', '-d', jsonl, ...pair], {
    stdout,
    stderr,
    dataDir: path.join(dir, 'data'),
  });
  assert.equal(code, 0, stderr.text());
  const report = JSON.parse(stdout.text()) as BenchmarkReport;
  assert.equal(report.mode, 'folds');
  assert.equal(report.rows, 30);
  assert.equal(
    (JSON.parse(readFileSync(lastBenchmarkPath(path.join(dir, 'data')), 'utf8')) as BenchmarkReport).rows,
    30,
  );
});

void test('--train FILE --test FILE keeps its meaning; -d and a positional FILE together are refused', async () => {
  const stderr = sink();
  assert.equal(await benchmarkCommand(['-d', jsonl, jsonl], { stdout: sink(), stderr }), 2);
  assert.match(stderr.text(), /either -d FILE or FILE/);
  const half = sink();
  assert.equal(await benchmarkCommand(['--train', jsonl], { stdout: sink(), stderr: half }), 2);
  assert.match(half.text(), /both --train and --test/);
});
