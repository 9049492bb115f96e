// `fugusashi export` on one daemon, `fugusashi import` on another: what the first learned (a rating,
// training rows) reaches the second's store and learner. Real CLI processes and daemons; before,
// `import` was an unknown command and an export could only be sent back by hand with curl.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { startFakeOpenAI, type FakeUpstream } from '../../fakes';
import { CLI_BUNDLE, makeTempDir, requireCliBundle, spawnDaemon, type SpawnedDaemon } from '../../helpers/daemon';

const run = promisify(execFile);
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_BUNDLE, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let fake: FakeUpstream;
let dir: string;
const daemons: SpawnedDaemon[] = [];

async function startDaemon(name: string): Promise<{ daemon: SpawnedDaemon; dataDir: string }> {
  const dataDir = path.join(dir, name);
  const configPath = path.join(dir, `${name}.yaml`);
  writeFileSync(
    configPath,
    stringify({
      models: [
        { name: 'cheap', provider: 'openai', model: 'up', api_base: fake.url, capabilities: ['chat'] },
        { name: 'strong', provider: 'openai', model: 'up', api_base: fake.url, capabilities: ['chat'] },
      ],
      server: { port: 0, data_dir: dataDir },
    }),
  );
  const daemon = await spawnDaemon(['--config', configPath]);
  daemons.push(daemon);
  return { daemon, dataDir };
}

before(async () => {
  requireCliBundle();
  fake = await startFakeOpenAI({ models: ['up'] });
  dir = makeTempDir('fugu-import-');
});
after(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

test('export from one daemon, import into another: the outcomes and their scores arrive', async () => {
  const a = await startDaemon('a');
  const chat = await fetch(`${a.daemon.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'strong', messages: [{ role: 'user', content: 'Prove that sqrt 2 is irrational' }] }),
  });
  const { id } = (await chat.json()) as { id: string };
  await fetch(`${a.daemon.url}/v1/feedback/rate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ request_id: id, rating: 5 }),
  });
  await fetch(`${a.daemon.url}/v1/routing/training`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ prompt: 'Write a limerick', model: 'cheap', score: 0.9 }]),
  });
  const file = path.join(dir, 'outcomes.jsonl');
  const exported = await cli(['export', '--data-dir', a.dataDir, '--out', file]);
  assert.equal(exported.code, 0, exported.stderr);
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(lines.length, 2);

  const b = await startDaemon('b');
  const imported = await cli(['import', file, '--data-dir', b.dataDir]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /imported 2 outcome\(s\) from .*outcomes\.jsonl into the running daemon \(pid \d+\)/);

  const again = await cli(['export', '--data-dir', b.dataDir]);
  const rows = again.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { prompt: string; model: string; score: number });
  const byPrompt = new Map(rows.map((r) => [r.prompt, r]));
  assert.equal(byPrompt.get('Prove that sqrt 2 is irrational')?.model, 'strong');
  assert.equal(byPrompt.get('Prove that sqrt 2 is irrational')?.score, 1);
  assert.equal(byPrompt.get('Write a limerick')?.score, 0.9);
});

test('import without a running daemon, or without a file, fails with a clear message', async () => {
  const file = path.join(dir, 'rows.json');
  writeFileSync(file, JSON.stringify([{ prompt: 'x', model: 'cheap', score: 1 }]));
  const none = await cli(['import', file, '--data-dir', path.join(dir, 'nobody')]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no daemon is running for .*nobody: start it \(fugusashi serve\)/);
  const missing = await cli(['import', path.join(dir, 'missing.jsonl'), '--data-dir', path.join(dir, 'nobody')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*missing\.jsonl/);
  assert.equal((await cli(['import'])).code, 2);
});

test('an import run twice stores its rows once; another file with the same rating is another rating', async () => {
  const { daemon, dataDir } = await startDaemon('twice');
  const rows = Array.from({ length: 8 }, (_, i) => ({
    prompt: `task ${i % 4}`,
    model: i % 2 ? 'cheap' : 'strong',
    score: i % 3 === 0 ? 0 : 1,
  }));
  const mine = path.join(dir, 'mine.jsonl');
  // Rows 0 and 4 are the same rating twice in one file: both count (two ratings), as before.
  writeFileSync(mine, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const outcomes = async () =>
    ((await (await fetch(`${daemon.url}/v1/feedback/stats`)).json()) as { outcomes: number }).outcomes;

  const first = await cli(['import', mine, '--data-dir', dataDir]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /imported 8 outcome\(s\) from .*mine\.jsonl into the running daemon \(pid \d+\)\n/);
  assert.equal(await outcomes(), 8);
  // The newcomer's re-run: it used to print "imported 8" again and leave 16 outcomes.
  const second = await cli(['import', mine, '--data-dir', dataDir]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /imported 0 outcome\(s\) from .*mine\.jsonl .*, skipped 8 already imported/);
  assert.equal(await outcomes(), 8);

  // Someone else's file holding one identical rating (same prompt, model, score): not merged.
  const theirs = path.join(dir, 'theirs.csv');
  writeFileSync(theirs, 'prompt,model,score\ntask 0,strong,0\nsomething else,cheap,1\n');
  const other = await cli(['import', theirs, '--data-dir', dataDir]);
  assert.match(other.stdout, /imported 2 outcome\(s\)/);
  assert.doesNotMatch(other.stdout, /already imported/);
  assert.equal(await outcomes(), 10);

  // A rating tool posting the same judgement for two real requests (0.3.0's "seed" route, rows with
  // no id): two ratings. It used to answer {added: 0, already_imported: 1} the second time.
  const post = async (body: unknown) => {
    const res = await fetch(`${daemon.url}/v1/routing/training`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as unknown;
  };
  const haiku = [{ prompt: 'Write a haiku', model: 'cheap', score: 0.8 }];
  assert.deepEqual(await post(haiku), { added: 1, already_imported: 0, status: 'ok', indexed: 1 });
  assert.deepEqual(await post(haiku), { added: 1, already_imported: 0, status: 'ok', indexed: 1 });
  // A row with a uid is that row wherever it comes from (another batch, the fields in another order).
  assert.deepEqual(await post([{ uid: 'r-1', prompt: 'Sort a list', model: 'cheap', score: 1 }]), {
    added: 1,
    already_imported: 0,
    status: 'ok',
    indexed: 1,
  });
  assert.deepEqual(
    await post([
      { prompt: 'Sort a list', model: 'cheap', score: 1, uid: 'r-1' },
      { prompt: 'Sort a list', model: 'cheap', score: 1, uid: 'r-2' },
    ]),
    { added: 1, already_imported: 1, status: 'ok', indexed: 1 },
  );
  assert.equal(await outcomes(), 14);

  // The same rows as a .json file, imported twice (a re-run of the same import): stored once.
  const json = path.join(dir, 'rows.json');
  writeFileSync(json, JSON.stringify([haiku[0], { prompt: 'Name a river', model: 'strong', score: 1 }]));
  const jsonFirst = await cli(['import', json, '--data-dir', dataDir]);
  assert.match(jsonFirst.stdout, /imported 2 outcome\(s\)/);
  const jsonAgain = await cli(['import', json, '--data-dir', dataDir]);
  assert.match(jsonAgain.stdout, /imported 0 outcome\(s\) .*, skipped 2 already imported/);
  assert.equal(await outcomes(), 16);

  // A .json file in the route's other JSON shape, {rows: [...]} (a body saved for curl): a file as
  // well. It was sent as JSON rows, so each re-run stored its rows again (18, then 20 outcomes).
  const wrapped = path.join(dir, 'wrapped.json');
  writeFileSync(wrapped, JSON.stringify({ rows: [{ prompt: 'Name a lake', model: 'cheap', score: 1 }, haiku[0]] }));
  const wrappedFirst = await cli(['import', wrapped, '--data-dir', dataDir]);
  assert.match(wrappedFirst.stdout, /imported 2 outcome\(s\)/);
  const wrappedAgain = await cli(['import', wrapped, '--data-dir', dataDir]);
  assert.match(wrappedAgain.stdout, /imported 0 outcome\(s\) .*, skipped 2 already imported/);
  assert.equal(await outcomes(), 18);
});

test('a score table with a uid per prompt keeps every model of it; another table numbered alike is new', async () => {
  const { daemon, dataDir } = await startDaemon('uid-table');
  const outcomes = async () =>
    ((await (await fetch(`${daemon.url}/v1/feedback/stats`)).json()) as { outcomes: number }).outcomes;
  // The long form of a score table (RouterBench's sample_id, prompt, model_name, performance):
  // one uid per prompt, one row per model rated on it.
  const table = path.join(dir, 'table.csv');
  writeFileSync(
    table,
    'uid,prompt,model,score\n1,What is 2+2?,cheap,1\n1,What is 2+2?,strong,1\n2,Prove it,cheap,0\n2,Prove it,strong,1\n',
  );
  const first = await cli(['import', table, '--data-dir', dataDir]);
  assert.equal(first.code, 0, first.stderr);
  // Before: 'imported 2 outcome(s) … skipped 2 already imported': the strong model's ratings lost.
  assert.match(first.stdout, /imported 4 outcome\(s\)/);
  assert.doesNotMatch(first.stdout, /already imported/);
  assert.equal(await outcomes(), 4);
  // Another data set numbering its prompts from 1 too: other prompts, other rows.
  const other = path.join(dir, 'other.csv');
  writeFileSync(other, 'uid,prompt,model,score\n1,Name a colour,cheap,1\n2,Name a bird,cheap,1\n');
  const second = await cli(['import', other, '--data-dir', dataDir]);
  assert.match(second.stdout, /imported 2 outcome\(s\)/);
  assert.doesNotMatch(second.stdout, /already imported/);
  // The first table again (its rows in another order): all of it already there.
  writeFileSync(
    table,
    'uid,model,prompt,score\n2,strong,Prove it,1\n1,cheap,What is 2+2?,1\n1,strong,What is 2+2?,1\n2,cheap,Prove it,0\n',
  );
  const again = await cli(['import', table, '--data-dir', dataDir]);
  assert.match(again.stdout, /imported 0 outcome\(s\) .*, skipped 4 already imported/);
  assert.equal(await outcomes(), 6);
});

test('an export taken again after more ratings, imported again, brings only the new outcomes', async () => {
  // Keeping a second machine in step: export from A, import into B, and again a week later.
  const a = await startDaemon('sync-a');
  const b = await startDaemon('sync-b');
  const train = (rows: unknown) =>
    fetch(`${a.daemon.url}/v1/routing/training`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rows),
    });
  // Two identical rows in one batch: two outcomes in A (same content, same time), two in B.
  const limerick = { prompt: 'Write a limerick', model: 'cheap', score: 0.9 };
  await train([limerick, limerick, { prompt: 'Sum 1..n', model: 'strong', score: 1 }]);
  const file = path.join(dir, 'sync.jsonl');
  assert.equal((await cli(['export', '--data-dir', a.dataDir, '--out', file])).code, 0);
  const first = await cli(['import', file, '--data-dir', b.dataDir]);
  assert.match(first.stdout, /imported 3 outcome\(s\)/);

  await train([{ prompt: 'Name a prime', model: 'cheap', score: 1 }]);
  assert.equal((await cli(['export', '--data-dir', a.dataDir, '--out', file])).code, 0);
  const second = await cli(['import', file, '--data-dir', b.dataDir]);
  assert.equal(second.code, 0, second.stderr);
  // Before: 'imported 4 outcome(s)': the grown file is another file, so B held 7 outcomes.
  assert.match(second.stdout, /imported 1 outcome\(s\) .*, skipped 3 already imported/);
  const stats = (await (await fetch(`${b.daemon.url}/v1/feedback/stats`)).json()) as { outcomes: number };
  assert.equal(stats.outcomes, 4);
});

test('two raters scoring the same uid and model are two outcomes; the file again adds none', async () => {
  const { daemon, dataDir } = await startDaemon('raters');
  const file = path.join(dir, 'raters.csv');
  // Human evaluation data: each item judged by more than one rater (one row per judgement).
  writeFileSync(
    file,
    'uid,prompt,model,score,rater\nq1,Explain monads,strong,1,ana\nq1,Explain monads,strong,0.5,ben\nq1,Explain monads,cheap,0,ana\n',
  );
  const first = await cli(['import', file, '--data-dir', dataDir]);
  // Before: 'imported 2 … skipped 1 already imported': ben's judgement taken for a repeat of ana's.
  assert.match(first.stdout, /imported 3 outcome\(s\)/);
  assert.doesNotMatch(first.stdout, /already imported/);
  const again = await cli(['import', file, '--data-dir', dataDir]);
  assert.match(again.stdout, /imported 0 outcome\(s\) .*, skipped 3 already imported/);
  const stats = (await (await fetch(`${daemon.url}/v1/feedback/stats`)).json()) as { outcomes: number };
  assert.equal(stats.outcomes, 3);
});
