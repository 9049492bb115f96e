import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { openStore, SCHEMA_VERSION, SNAPSHOT_FILE, type SqlJsStore } from '../../../daemon/store';
import { migrate } from '../../../daemon/store/schema';
import { loadSqlJs } from '../../../daemon/store/sqljs';
import { insertRequestAsV1 } from '../../fixtures/store/old-requests';
import { makeFeedback, makeOutcome, makeRequest, requestId } from '../../fixtures/store/records';

const dirs: string[] = [];
const open: SqlJsStore[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-store-'));
  dirs.push(dir);
  return dir;
}
/** A store that is never closed stands for a daemon that was killed: no final snapshot. */
async function openUnlocked(dataDir: string): Promise<SqlJsStore> {
  const store = await openStore({ dataDir, lock: false, snapshotIntervalMs: 3_600_000 });
  open.push(store);
  return store;
}
function journals(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('journal-'));
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  open.splice(0);
});

function writeSome(store: SqlJsStore, from: number, count: number): void {
  for (let i = from; i < from + count; i++) {
    store.saveRequest(makeRequest(i));
    store.addFeedback(makeFeedback(i));
    store.addOutcomes([makeOutcome(i)]);
  }
}
function assertHas(store: SqlJsStore, count: number): void {
  assert.equal(store.countOutcomes(), count);
  assert.equal(store.feedbackCounts().ratings, count);
  for (let i = 0; i < count; i++) {
    const trace = store.getTrace(requestId(i));
    assert.deepEqual(trace?.messages, makeRequest(i).messages, `request ${i}`);
    assert.equal(trace?.feedback[0]?.rating, makeFeedback(i).rating);
  }
  assert.deepEqual(
    store.listOutcomes().map((o) => o.prompt),
    Array.from({ length: count }, (_, i) => makeOutcome(i).prompt),
  );
}

test('close then reopen keeps everything, and ids continue', async () => {
  const dir = tempDir();
  const first = await openStore({ dataDir: dir });
  writeSome(first, 0, 10);
  first.close();
  assert.deepEqual(journals(dir), [], 'a clean close leaves only the snapshot');
  const second = await openStore({ dataDir: dir });
  assertHas(second, 10);
  assert.equal(second.recovery.replayedEntries, 0);
  assert.equal(second.addOutcomes([makeOutcome(10)])[0]?.id, 11);
  second.close();
  assert.throws(() => second.saveRequest(makeRequest(99)), /closed/);
});

test('without a close (a killed daemon) the journal is replayed', async () => {
  const dir = tempDir();
  const crashed = await openUnlocked(dir);
  writeSome(crashed, 0, 7);
  const reopened = await openUnlocked(dir);
  assert.equal(reopened.recovery.replayedEntries, 21);
  assert.equal(reopened.recovery.skippedLines, 0);
  assertHas(reopened, 7);
  // The replay was folded into a fresh snapshot: a second restart replays nothing.
  const again = await openUnlocked(dir);
  assert.equal(again.recovery.replayedEntries, 0);
  assertHas(again, 7);
});

test('with fsync on, writes are flushed to the disk and replay the same way', async () => {
  const dir = tempDir();
  const crashed = await openStore({ dataDir: dir, lock: false, fsync: true, snapshotIntervalMs: 3_600_000 });
  open.push(crashed);
  writeSome(crashed, 0, 3);
  assertHas(await openUnlocked(dir), 3);
});

test('a torn last journal line is ignored', async () => {
  const dir = tempDir();
  const crashed = await openUnlocked(dir);
  writeSome(crashed, 0, 3);
  const [journal] = journals(dir);
  assert.ok(journal);
  // What a kill in the middle of an append leaves: a line without its end.
  appendFileSync(path.join(dir, journal), '{"seq":10,"op":"request","data":{"request_id":"fugu-torn","crea');
  const reopened = await openUnlocked(dir);
  assert.equal(reopened.recovery.skippedLines, 1);
  assert.equal(reopened.hasRequest('fugu-torn'), false);
  assertHas(reopened, 3);
  // New writes after the recovery are durable too (they never follow the torn bytes).
  writeSome(reopened, 3, 2);
  assertHas(await openUnlocked(dir), 5);
});

test('a half-written snapshot (killed during a snapshot) is ignored and removed', async () => {
  const dir = tempDir();
  const crashed = await openUnlocked(dir);
  writeSome(crashed, 0, 4);
  writeFileSync(
    path.join(dir, `${SNAPSHOT_FILE}.tmp-12-4242`),
    Buffer.from('SQLite format 3\0 and then the kill came'),
  );
  const reopened = await openUnlocked(dir);
  assertHas(reopened, 4);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes('.tmp-')),
    [],
  );
});

test('a snapshot rotates the journal; a restart replays only what came after it', async () => {
  const dir = tempDir();
  const logs: string[] = [];
  const store = await openStore({ dataDir: dir, lock: false, snapshotIntervalMs: 3_600_000, log: (m) => logs.push(m) });
  open.push(store);
  writeSome(store, 0, 5);
  const before = journals(dir);
  assert.equal(before.length, 1);
  await store.snapshot();
  assert.ok(
    logs.some((l) => l.includes('snapshot committed seq=15')),
    logs.join('\n'),
  );
  const after = journals(dir);
  assert.equal(after.length, 1);
  assert.notEqual(after[0], before[0], 'the covered journal was deleted and a new one started');
  assert.equal(readFileSync(path.join(dir, after[0] ?? '')).length, 0);
  // The snapshot file alone holds the 5 × 3 writes and says so.
  const SQL = await loadSqlJs();
  const db = new SQL.Database(readFileSync(path.join(dir, SNAPSHOT_FILE)));
  assert.equal(db.exec("SELECT value FROM meta WHERE key = 'last_seq'")[0]?.values[0]?.[0], '15');
  assert.equal(db.exec('SELECT COUNT(*) FROM requests')[0]?.values[0]?.[0], 5);
  db.close();
  writeSome(store, 5, 2);
  const reopened = await openUnlocked(dir);
  assert.equal(reopened.recovery.snapshotSeq, 15);
  assert.equal(reopened.recovery.replayedEntries, 6);
  assertHas(reopened, 7);
});

/** Waits (bounded) until `logs` holds `count` lines containing `text`. */
async function waitForLog(logs: string[], text: string, count: number): Promise<void> {
  for (let waited = 0; logs.filter((l) => l.includes(text)).length < count; waited += 20) {
    if (waited > 15_000) assert.fail(`no ${count}× "${text}" in:\n${logs.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const snapshotWorker of [true, false]) {
  test(`the background timer snapshots while writes go on (${snapshotWorker ? 'worker thread' : 'on the event loop'})`, async () => {
    const dir = tempDir();
    const logs: string[] = [];
    const store = await openStore({ dataDir: dir, snapshotIntervalMs: 20, snapshotWorker, log: (m) => logs.push(m) });
    for (let round = 1; round <= 3; round++) {
      writeSome(store, (round - 1) * 4, 4);
      await waitForLog(logs, 'snapshot committed', round);
    }
    assert.equal(
      logs.some((l) => l.includes('off the event loop')),
      snapshotWorker,
      logs.join('\n'),
    );
    assert.ok(journals(dir).length <= 2);
    // Every round's journal was folded into store.db: a restart after a kill replays nothing.
    const crashedCopy = await openUnlocked(dir);
    assert.equal(crashedCopy.recovery.replayedEntries, 0, JSON.stringify(crashedCopy.recovery));
    assertHas(crashedCopy, 12);
    store.close();
  });
}

test('a schema version 1 database migrates, keeping its data', async () => {
  const dir = tempDir();
  copyFileSync(path.join(__dirname, '../../fixtures/store/v1/store.db'), path.join(dir, SNAPSHOT_FILE));
  const store = await openStore({ dataDir: dir });
  assert.equal(store.recovery.schemaVersionFound, 1);
  assert.equal(SCHEMA_VERSION, 6);
  // v2 keeps the latest user rating on the request: the explicit 4, not the thumbs-down before
  // it nor the implicit signal after it.
  const rows = store.listDecisions({ limit: 10 });
  assert.deepEqual(
    rows.map((r) => [r.request_id, r.rating]),
    [
      [requestId(1), null],
      [requestId(0), 4],
    ],
  );
  assert.deepEqual(store.getTrace(requestId(0))?.messages, makeRequest(0).messages);
  assert.equal(store.feedbackCounts().ratings, 3);
  // The hourly usage rollup was built from the old rows.
  assert.equal(store.stats([]).requests, 2);
  assert.equal(
    store.stats([]).prompt_tokens,
    makeRequest(0).usage!.prompt_tokens + makeRequest(1).usage!.prompt_tokens,
  );
  assert.equal(store.countOutcomes(), 3);
  assert.equal(store.addOutcomes([makeOutcome(9)])[0]?.id, 4);
  store.addFeedback({ ...makeFeedback(1), rating: 5 });
  assert.equal(store.listDecisions({ limit: 1 })[0]?.rating, 5);
  store.close();
  const reopened = await openStore({ dataDir: dir });
  assert.equal(reopened.recovery.schemaVersionFound, SCHEMA_VERSION);
  reopened.close();
});

test('a schema version 2 database migrates: a record priced with the prompt-cache split gets it back from its JSON; others stay unknown', async () => {
  const dir = tempDir();
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  migrate(db, 2);
  const split = { cached_tokens: 800, cache_creation_tokens: 100 };
  const withSplit = makeRequest(0, {
    usage: { prompt_tokens: 1000, completion_tokens: 10, total_tokens: 1010, prompt_tokens_details: split },
  });
  for (const r of [withSplit, makeRequest(1)]) insertRequestAsV1(db, r);
  writeFileSync(path.join(dir, SNAPSHOT_FILE), db.export());
  db.close();

  const store = await openStore({ dataDir: dir });
  assert.equal(store.recovery.schemaVersionFound, 2);
  const usage = (id: string) => store.listDecisions({ limit: 10 }).find((r) => r.request_id === id)?.usage;
  assert.deepEqual(usage(requestId(0))?.prompt_tokens_details, split);
  assert.deepEqual(usage(requestId(1)), makeRequest(1).usage);
  assert.deepEqual(store.getTrace(requestId(0))?.usage?.prompt_tokens_details, split);
  assert.equal(store.stats([]).prompt_tokens, 1000 + makeRequest(1).usage!.prompt_tokens);
  store.close();
});

test('a database from a newer Fugusashi is refused, not touched', async () => {
  const dir = tempDir();
  const store = await openStore({ dataDir: dir });
  store.close();
  const SQL = await loadSqlJs();
  const file = path.join(dir, SNAPSHOT_FILE);
  const db = new SQL.Database(readFileSync(file));
  db.run("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
  writeFileSync(file, db.export());
  db.close();
  const bytes = readFileSync(file);
  await assert.rejects(openStore({ dataDir: dir }), /schema version 99, newer than this Fugusashi understands/);
  assert.deepEqual(readFileSync(file), bytes);
  assert.equal(readdirSync(dir).includes('daemon.lock'), false, 'the lock is released after a failed open');
});
