// A Fugusashi 0.3.0 user's history is `.fugusashi_data/outcomes.jsonl` ("inspectable, shareable,
// yours"): a line per routed request, and the record again with `user_rating` when it was rated.
// `fugusashi import` refused it ("Row 1: 'model' must be a non-empty string"), so upgrading meant
// starting from nothing. Now its rated answers become outcomes (rating 1–5 → score), unrated and
// failed ones are counted and left out, as 0.3.0 never learned a quality from them. Also 0.3.0's
// POST /v1/routing/training took rows without a score (TrainingExample.score = 1.0): refused before.
// Real CLI processes and a real daemon.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { openStore } from '../../../daemon/store';
import { startFakeOpenAI, type FakeUpstream } from '../../fakes';
import { CLI_BUNDLE, makeTempDir, requireCliBundle, spawnDaemon, type SpawnedDaemon } from '../../helpers/daemon';

const run = promisify(execFile);

let fake: FakeUpstream;
let dir: string;
let dataDir: string;
let daemon: SpawnedDaemon;

before(async () => {
  requireCliBundle();
  fake = await startFakeOpenAI({ models: ['up'] });
  dir = makeTempDir('fugu-030-import-');
  dataDir = path.join(dir, 'data');
  const configPath = path.join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    stringify({
      models: [
        { name: 'llama3.2-local', provider: 'openai', model: 'up', api_base: fake.url },
        { name: 'gpt-4o-mini', provider: 'openai', model: 'up', api_base: fake.url },
      ],
      server: { port: 0, data_dir: dataDir },
    }),
  );
  daemon = await spawnDaemon(['--config', configPath]);
});
after(async () => {
  await daemon?.stop();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The store's outcomes, as `fugusashi export` writes them. */
async function exported(): Promise<{ prompt: string; model: string; score: number }[]> {
  const { stdout } = await run(process.execPath, [CLI_BUNDLE, 'export', '--data-dir', dataDir]);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { prompt: string; model: string; score: number });
}

test("fugusashi import reads 0.3.0's outcomes.jsonl: rated answers become outcomes", async () => {
  const base = { confidence: 0.6, strategy: 'ensemble(cost)', prompt_tokens: 5, completion_tokens: 20, cost: 0 };
  const records = [
    {
      ...base,
      prompt: 'Write a Python function to sort a list',
      routed_to: 'gpt-4o-mini',
      error: false,
      timestamp: '2025-06-20T10:00:00.100000',
    },
    {
      ...base,
      prompt: 'Tell me a joke',
      routed_to: 'llama3.2-local',
      error: false,
      timestamp: '2025-06-20T10:01:00.200000',
    },
    // The rating, appended later as a copy of the record.
    {
      ...base,
      prompt: 'Tell me a joke',
      routed_to: 'llama3.2-local',
      error: false,
      timestamp: '2025-06-20T10:01:00.200000',
      user_rating: 2,
    },
    {
      ...base,
      prompt: 'Explain quantum computing',
      routed_to: 'gpt-4o',
      error: true,
      timestamp: '2025-06-20T10:02:00.300000',
    },
    {
      ...base,
      prompt: 'Refactor this function',
      routed_to: 'gpt-4o-mini',
      error: false,
      timestamp: '2025-06-20T10:03:00.400000',
      user_rating: 5,
    },
  ];
  const file = path.join(dir, '.fugusashi_data', 'outcomes.jsonl');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');

  const { stdout } = await run(process.execPath, [CLI_BUNDLE, 'import', file, '--data-dir', dataDir]);
  assert.match(stdout, /imported 2 outcome\(s\)/);
  assert.match(stdout, /skipped 2 Fugusashi 0\.3\.0 record\(s\) with nothing to learn from/);

  const rows = await exported();
  const joke = rows.find((r) => r.prompt === 'Tell me a joke');
  assert.equal(joke?.model, 'llama3.2-local');
  assert.equal(joke?.score, 0.25, 'rating 2 of 5');
  assert.equal(rows.find((r) => r.prompt === 'Refactor this function')?.score, 1);
  assert.equal(rows.filter((r) => r.prompt === 'Tell me a joke').length, 1, 'the rated copy counts once');
  assert.ok(!rows.some((r) => r.prompt === 'Explain quantum computing'), 'a failed request teaches nothing');

  // 0.3.0 kept appending to the file: rating the first answer later added a rated copy of it. The
  // file imported again brings that rating and nothing twice (it used to add all of it again).
  appendFileSync(file, JSON.stringify({ ...records[0], user_rating: 4 }) + '\n');
  const again = await run(process.execPath, [CLI_BUNDLE, 'import', file, '--data-dir', dataDir]);
  assert.match(again.stdout, /imported 1 outcome\(s\) .*, skipped 2 already imported/);
  const after = await exported();
  assert.equal(after.length, rows.length + 1);
  assert.equal(after.filter((r) => r.prompt === 'Tell me a joke').length, 1, 'not imported twice');
  assert.equal(after.find((r) => r.prompt === 'Write a Python function to sort a list')?.score, 0.75);

  // The joke re-rated in 0.3.0 (2 → 4: the record appended again with the new rating), imported
  // again: that new judgement is another outcome, as 0.3.0 counted every rating and as a second
  // rating here adds one. It used to be skipped as already imported.
  appendFileSync(file, JSON.stringify({ ...records[2], user_rating: 4 }) + '\n');
  const rerated = await run(process.execPath, [CLI_BUNDLE, 'import', file, '--data-dir', dataDir]);
  assert.match(rerated.stdout, /imported 1 outcome\(s\) .*, skipped 3 already imported/);
  const jokes = (await exported()).filter((r) => r.prompt === 'Tell me a joke').map((r) => r.score);
  assert.deepEqual(jokes, [0.25, 0.75]);
  // The same file once more: nothing new.
  const once = await run(process.execPath, [CLI_BUNDLE, 'import', file, '--data-dir', dataDir]);
  assert.match(once.stdout, /imported 0 outcome\(s\) .*, skipped 4 already imported/);
});

test('imported 0.3.0 ratings count in /v1/feedback/stats and /v1/feedback/rankings, as 0.3.0 computed them', async () => {
  // 0.3.0 computed avg_user_rating, rated_count and each model's rankings from exactly these
  // records; after the import they were invisible here (rated_count 0, mean_rating null). A model
  // name of its own, so the other tests' imports do not count in it.
  const get = async (route: string): Promise<any> => (await fetch(`${daemon.url}${route}`)).json();
  const statsBefore = await get('/v1/feedback/stats');
  const record = { routed_to: 'mixtral-030', confidence: 0.5, strategy: 'ensemble(cost)', error: false };
  const records = [
    { ...record, prompt: 'Summarise this', timestamp: '2025-07-01T10:00:00.100000' },
    { ...record, prompt: 'Summarise this', timestamp: '2025-07-01T10:00:00.100000', user_rating: 5 },
    { ...record, prompt: 'Translate this', timestamp: '2025-07-01T10:01:00.100000', user_rating: 2 },
    // An auto_score is a judgement 0.3.0 made itself, not a user's rating: learned, not counted.
    { ...record, prompt: 'Classify this', timestamp: '2025-07-01T10:02:00.100000', auto_score: 0.9 },
  ];
  const file = path.join(dir, 'rated-030', 'outcomes.jsonl');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const { stdout } = await run(process.execPath, [CLI_BUNDLE, 'import', file, '--data-dir', dataDir]);
  assert.match(stdout, /imported 3 outcome\(s\)/);

  const rankings = await get('/v1/feedback/rankings');
  const entry = rankings.data.find((r: { model: string }) => r.model === 'mixtral-030');
  assert.equal(entry?.ratings, 2);
  assert.equal(entry?.mean_rating, 3.5);
  assert.equal(entry?.win_rate, 0.5);
  // 0.3.0's map keyed by model name.
  assert.equal(rankings['mixtral-030']?.rating_count, 2);
  assert.equal(rankings['mixtral-030']?.avg_rating, 3.5);

  const stats = await get('/v1/feedback/stats');
  assert.equal(stats.rated_count, statsBefore.rated_count + 2);
  // Today's fields count them too (they counted only the feedback table).
  assert.equal(stats.ratings, statsBefore.ratings + 2);
  assert.equal(stats.by_source['import:rating-030'], (statsBefore.by_source['import:rating-030'] ?? 0) + 2);
  assert.equal(stats.model_rankings['mixtral-030']?.avg_rating, 3.5);
  assert.ok(stats.avg_user_rating > 0);
});

test("0.3.0's training rows without a score are good examples (score 1)", async () => {
  const res = await fetch(`${daemon.url}/v1/routing/training`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ prompt: 'Write a SQL query with JOIN', model: 'gpt-4o-mini' }]),
  });
  const body = await res.text();
  assert.equal(res.status, 200, body);
  assert.deepEqual(JSON.parse(body), { added: 1, already_imported: 0, status: 'ok', indexed: 1 });
  assert.equal((await exported()).find((r) => r.prompt === 'Write a SQL query with JOIN')?.score, 1);
});

test('a blank or non-numeric 0.3.0 rating is unrated, not the worst rating', async () => {
  const base = { confidence: 0.6, strategy: 'ensemble(cost)', routed_to: 'gpt-4o-mini', error: false };
  const records = [
    // Number("") and Number("  ") are 0: read as ratings they became rating 1, score 0.
    { ...base, prompt: 'Blank rating', timestamp: '2025-06-21T10:00:00.100000', user_rating: '' },
    { ...base, prompt: 'Spaces rating', timestamp: '2025-06-21T10:01:00.100000', user_rating: '  ' },
    { ...base, prompt: 'Word rating', timestamp: '2025-06-21T10:02:00.100000', user_rating: 'n/a' },
    { ...base, prompt: 'Blank auto score', timestamp: '2025-06-21T10:03:00.100000', auto_score: ' ' },
    { ...base, prompt: 'String rating', timestamp: '2025-06-21T10:04:00.100000', user_rating: '4' },
  ];
  const file = path.join(dir, 'blank-ratings', 'outcomes.jsonl');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');

  const { stdout } = await run(process.execPath, [CLI_BUNDLE, 'import', file, '--data-dir', dataDir]);
  assert.match(stdout, /imported 1 outcome\(s\)/);
  assert.match(stdout, /skipped 4 Fugusashi 0\.3\.0 record\(s\) with nothing to learn from/);

  const rows = await exported();
  for (const prompt of ['Blank rating', 'Spaces rating', 'Word rating', 'Blank auto score'])
    assert.ok(!rows.some((r) => r.prompt === prompt), `${prompt}: no made-up score`);
  assert.equal(rows.find((r) => r.prompt === 'String rating')?.score, 0.75, 'rating "4" of 5');
});

/** A 0.3.0 record rated 5, re-rated 2, then 5 again: 0.3.0 appended the whole record each time. */
function reratedRecords(requestId: string, prompt: string): Record<string, unknown>[] {
  const record = {
    request_id: requestId,
    prompt,
    routed_to: 'gpt-4o-mini',
    confidence: 0.6,
    strategy: 'ensemble(cost)',
    error: false,
    timestamp: '2025-06-22T10:00:00.100000',
  };
  return [record, { ...record, user_rating: 5 }, { ...record, user_rating: 2 }, { ...record, user_rating: 5 }];
}

test('a 0.3.0 record re-rated back to an earlier score counts every rating, and once', async () => {
  // 0.3.0 counted three ratings (5, 2, 5); the import counted two: its key named the score, so the
  // third rating was taken for the first one again.
  const file = path.join(dir, 'rerated', 'outcomes.jsonl');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    reratedRecords('fugu-5to2to5', 'Rated 5, then 2, then 5')
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );

  const first = await run(process.execPath, [CLI_BUNDLE, 'import', file, '--data-dir', dataDir]);
  assert.match(first.stdout, /imported 3 outcome\(s\)/);
  const scores = (await exported()).filter((r) => r.prompt === 'Rated 5, then 2, then 5').map((r) => r.score);
  assert.deepEqual(scores, [1, 0.25, 1]);
  const again = await run(process.execPath, [CLI_BUNDLE, 'import', file, '--data-dir', dataDir]);
  assert.match(again.stdout, /imported 0 outcome\(s\) .*, skipped 3 already imported/);
});

test('a 0.3.0 re-rating in a file of its own (new lines only) is a new rating', async () => {
  // The import keyed a rating by its place among the record's ratings in the one file: a file
  // holding only the later rating (a trimmed tail of outcomes.jsonl, lines posted as they appear)
  // named it rating 1, the earlier rating's key, and it was dropped ("imported 0, already imported 1").
  const [unrated, five, two] = reratedRecords('fugu-split', 'Rated 5, then 2 in a later file');
  const part = async (name: string, records: Record<string, unknown>[]) => {
    const file = path.join(dir, 'split', name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return (await run(process.execPath, [CLI_BUNDLE, 'import', file, '--data-dir', dataDir])).stdout;
  };
  assert.match(await part('part1.jsonl', [unrated!, five!]), /imported 1 outcome\(s\)/);
  assert.match(await part('part2.jsonl', [two!]), /imported 1 outcome\(s\)/);
  const scores = (await exported()).filter((r) => r.prompt === 'Rated 5, then 2 in a later file').map((r) => r.score);
  assert.deepEqual(scores, [1, 0.25]);
  // The whole file afterwards: both ratings are there already.
  assert.match(
    await part('whole.jsonl', [unrated!, five!, two!]),
    /imported 0 outcome\(s\) .*, skipped 2 already imported/,
  );
});

test('a 0.3.0 file imported by the earlier version (keys by score), imported again, adds only the rating it missed', async () => {
  // What the earlier version stored for the file above: one outcome per score, keyed by it.
  const oldDir = path.join(dir, 'old-data');
  const old = await openStore({ dataDir: oldDir });
  const outcome = {
    prompt: 'Rated 5, then 2, then 5',
    model: 'gpt-4o-mini',
    weight: 1,
    source: 'seed',
    request_id: null,
  };
  old.addOutcomes([
    { ...outcome, score: 1, created_at: 1, import_key: 'import:030:id:fugu-old:score:1' },
    { ...outcome, score: 0.25, created_at: 1, import_key: 'import:030:id:fugu-old:score:0.25' },
  ]);
  old.close();
  const configPath = path.join(dir, 'old-config.yaml');
  writeFileSync(
    configPath,
    stringify({
      models: [{ name: 'gpt-4o-mini', provider: 'openai', model: 'up', api_base: fake.url }],
      server: { port: 0, data_dir: oldDir },
    }),
  );
  const upgraded = await spawnDaemon(['--config', configPath]);
  try {
    const file = path.join(dir, 'rerated-old', 'outcomes.jsonl');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      reratedRecords('fugu-old', outcome.prompt)
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const again = await run(process.execPath, [CLI_BUNDLE, 'import', file, '--data-dir', oldDir]);
    assert.match(again.stdout, /imported 1 outcome\(s\) .*, skipped 2 already imported/);
    const once = await run(process.execPath, [CLI_BUNDLE, 'import', file, '--data-dir', oldDir]);
    assert.match(once.stdout, /imported 0 outcome\(s\) .*, skipped 3 already imported/);
  } finally {
    await upgraded.stop();
  }
});
