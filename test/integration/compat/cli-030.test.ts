// `fugusashi` as Fugusashi 0.3.0's CLI (click) was typed: `serve -c config.yaml --reload`,
// `benchmark -v -t 0.4 -d data.jsonl`, `fugusashi version`. Each was refused as an unknown option or
// command; they must run, saying where a flag has no effect. Real CLI processes (dist/cli.js).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { parseCsv } from '../../../daemon/benchmark/csv';
import { samplePath, SAMPLE_STRONG, SAMPLE_WEAK } from '../../../daemon/benchmark/cli';
import { VERSION } from '../../../daemon/version';
import { startFakeOpenAI, type FakeUpstream } from '../../fakes';
import { CLI_BUNDLE, makeTempDir, requireCliBundle, spawnDaemon } from '../../helpers/daemon';
import { writeSampleRows } from '../../helpers/sample-rows';

const run = promisify(execFile);
let fake: FakeUpstream;
let dir: string;

before(async () => {
  requireCliBundle();
  fake = await startFakeOpenAI({ models: ['up'] });
  dir = makeTempDir('fugu-cli030-');
});
after(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

test('`fugusashi version` prints the version as 0.3.0 did', async () => {
  const { stdout } = await run(process.execPath, [CLI_BUNDLE, 'version']);
  assert.equal(stdout, `fugusashi v${VERSION}\n`);
});

test('`fugusashi serve -c FILE --reload` starts the daemon on that config and says --reload is not needed', async () => {
  const configPath = path.join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    stringify({
      models: [{ name: 'only', provider: 'openai', model: 'up', api_base: fake.url, capabilities: ['chat'] }],
      server: { port: 0, data_dir: path.join(dir, 'data') },
    }),
  );
  const daemon = await spawnDaemon(['-c', configPath, '--reload']);
  try {
    assert.match(daemon.stderr(), /--reload \(0\.3\.0\) is not needed/);
    assert.match(
      daemon.stderr(),
      new RegExp(`Loaded config from ${configPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    const res = await fetch(`${daemon.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Say hello' }] }),
    });
    assert.equal(res.status, 200);
  } finally {
    await daemon.stop();
  }
});

test('`fugusashi benchmark -v -t 0.4 -d FILE.jsonl` runs with one line per row and a note on -t', async () => {
  const [header, ...rows] = parseCsv(readFileSync(samplePath(), 'utf8'));
  const jsonl = path.join(dir, 'my_data.jsonl');
  const lines = rows.slice(0, 20).map((r) => JSON.stringify(Object.fromEntries(header!.map((h, i) => [h, r[i]]))));
  writeFileSync(jsonl, `${lines.join('\n')}\n`);
  const { stdout, stderr } = await run(
    process.execPath,
    [
      CLI_BUNDLE,
      'benchmark',
      '-v',
      '-t',
      '0.4',
      '-d',
      jsonl,
      '--strong',
      SAMPLE_STRONG,
      '--weak',
      SAMPLE_WEAK,
      '--folds',
      '2',
      '--cache-dir',
      path.join(dir, 'cache'),
      '--data-dir',
      path.join(dir, 'bench-data'),
    ],
    { timeout: 120_000 },
  );
  assert.match(stdout, /APGR \d\.\d{3}/);
  assert.equal((stdout.match(/^ {2}[0-9a-f]{16} {2}\d\.\d+$/gm) ?? []).length, 20, stdout);
  assert.match(stderr, /--threshold \(0\.3\.0\) has no effect/);
});

test("`fugusashi benchmark -d FILE` reads 0.3.0's labelled datasets (prompt, expected_model, category)", async () => {
  // 0.3.0's -d format labels each prompt with the model it should go to. Before: "need at least two
  // model columns, found none". Now the expected model scores 1 and the others 0, so the routed
  // quality is 0.3.0's routing accuracy.
  const code = [
    'Write a Python function to sort a list',
    'Write a SQL query joining two tables',
    'Fix this bash script',
  ];
  const chat = ['Tell me a joke', 'What is the capital of France?', 'Write a haiku about autumn'];
  const rows = [
    ...code.flatMap((p, i) =>
      [p, `${p} (variant ${i})`].map((prompt) => ({ prompt, expected_model: 'gpt-4o-mini', category: 'code' })),
    ),
    ...chat.flatMap((p, i) =>
      [p, `${p} (variant ${i})`].map((prompt) => ({
        prompt,
        expected_model: 'llama3.2-local',
        category: 'general',
        ideal_cost: 0,
      })),
    ),
  ];
  const jsonl = path.join(dir, 'labels.jsonl');
  writeFileSync(jsonl, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const { stdout } = await run(
    process.execPath,
    [
      CLI_BUNDLE,
      'benchmark',
      '-d',
      jsonl,
      '--json',
      '--folds',
      '2',
      '--cache-dir',
      path.join(dir, 'cache'),
      '--data-dir',
      path.join(dir, 'bench-data'),
    ],
    { timeout: 120_000 },
  );
  const report = JSON.parse(stdout) as {
    dataset: string;
    rows: number;
    models: string[];
    lambda_sweep: { quality: number }[];
  };
  assert.match(report.dataset, /labels\.jsonl \(0\.3\.0 labels: quality = share routed to the expected model\)/);
  assert.equal(report.rows, 12);
  assert.deepEqual([...report.models].sort(), ['gpt-4o-mini', 'llama3.2-local']);
  for (const point of report.lambda_sweep) assert.ok(point.quality >= 0 && point.quality <= 1);
});

test('`fugusashi serve` in a folder holding config.yaml (0.3.0 read it by default) says how to use it', async () => {
  const project = path.join(dir, 'project');
  mkdirSync(project);
  writeFileSync(path.join(project, 'config.yaml'), 'models: []\n');
  const env: NodeJS.ProcessEnv = { ...process.env, OLLAMA_HOST: 'http://127.0.0.1:1' };
  delete env['OPENAI_API_KEY'];
  delete env['ANTHROPIC_API_KEY'];
  const child = spawn(process.execPath, [CLI_BUNDLE, 'serve', '--data-dir', path.join(dir, 'd2'), '--port', '0'], {
    cwd: project,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (b: Buffer) => (log += b.toString()));
  child.stdout.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 20_000;
    while (!/ready: pid/.test(log) && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 50));
    assert.match(
      log,
      /config\.yaml is not read without --config \(0\.3\.0 read it by default\): run "fugusashi serve --config config\.yaml"/,
    );
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});

test('help lists `serve --reload` and `version`; the benchmark says so when the best model is priced at $0', async () => {
  // `serve --help` did not list --reload and `--help` did not list `version`, though both work.
  const serve = await run(process.execPath, [CLI_BUNDLE, 'serve', '--help']);
  assert.match(serve.stdout, /\[--reload\]/);
  assert.match(serve.stdout, /--reload \(0\.3\.0's\) is accepted and not needed/);
  const top = await run(process.execPath, [CLI_BUNDLE, '--help']);
  assert.match(top.stdout, /^ {2}version {5}print the version/m);

  // Models the price table does not know cost $0: the report printed "(-% of its cost)".
  const [header, ...rows] = parseCsv(readFileSync(writeSampleRows(path.join(dir, 'sample.csv'), 0, 60), 'utf8'));
  const renamed = header!.map((h) => (h === SAMPLE_STRONG ? 'unpriced-big' : h === SAMPLE_WEAK ? 'unpriced-small' : h));
  const quote = (c: string) => `"${c.replace(/"/g, '""')}"`;
  const table = path.join(dir, 'unpriced.csv');
  writeFileSync(table, [renamed, ...rows].map((r) => r.map(quote).join(',')).join('\n'));
  const bench = await run(process.execPath, [
    CLI_BUNDLE,
    'benchmark',
    table,
    '--folds',
    '2',
    '--data-dir',
    path.join(dir, 'bench-data'),
  ]);
  assert.match(bench.stdout, /best single's quality reached at λ=/);
  assert.doesNotMatch(bench.stdout, /-% of its cost/);
  assert.match(bench.stdout, /unpriced-big costs \$0 in this table, so there is no share of its cost to give/);
});
