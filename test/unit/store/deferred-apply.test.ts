// saveRequest acknowledges once the journal has the record and applies it to sql.js right after,
// off the request path (daemon/store/store.ts). These tests pin what that must never change: a
// read in the same tick sees every acknowledged record, writes from several event-loop turns (a
// request saved again among them) go in in order, feedback can follow its request at once,
// a record SQLite would refuse is refused before it is journaled, and a kill before the deferred
// apply loses nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { FugusashiError } from '../../../shared/errors';
import type { RequestRecord } from '../../../daemon/core/ports';
import { openStore, type SqlJsStore } from '../../../daemon/store';
import { POOL, makeFeedback, makeOutcome, makeRequest, requestId } from '../../fixtures/store/records';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
async function fresh(): Promise<{ dir: string; store: SqlJsStore }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-store-deferred-'));
  dirs.push(dir);
  return { dir, store: await openStore({ dataDir: dir, lock: false, snapshotIntervalMs: 3_600_000 }) };
}

test('every read in the same tick as saveRequest sees the record', async () => {
  const { store } = await fresh();
  try {
    store.saveRequest(makeRequest(1));
    assert.equal(store.hasRequest(requestId(1)), true);
    store.saveRequest(makeRequest(2));
    assert.equal(store.getTrace(requestId(2))?.request_id, requestId(2));
    store.saveRequest(makeRequest(3));
    assert.deepEqual(
      store.listDecisions({ limit: 10 }).map((row) => row.request_id),
      [requestId(3), requestId(2), requestId(1)],
    );
    store.saveRequest(makeRequest(4));
    assert.equal(store.stats(POOL).requests, 4);
    store.saveRequest(makeRequest(5));
    let dumped = 0;
    store.dump((item) => {
      if ('request' in item) dumped++;
    });
    assert.equal(dumped, 5);
  } finally {
    store.close();
  }
});

test('feedback can rate a request saved in the same tick', async () => {
  const { store } = await fresh();
  try {
    store.saveRequest(makeRequest(7));
    store.addFeedback(makeFeedback(7));
    assert.equal(store.feedbackCounts().ratings, 1);
  } finally {
    store.close();
  }
});

test('a record SQLite would refuse throws InvalidRequest and is never journaled', async () => {
  const { dir, store } = await fresh();
  const broken = { ...makeRequest(8), decision: undefined } as unknown as RequestRecord;
  assert.throws(
    () => store.saveRequest(broken),
    (err: unknown) => err instanceof FugusashiError && err.kind === 'InvalidRequest',
  );
  const noStatus = { ...makeRequest(9), status: null } as unknown as RequestRecord;
  assert.throws(() => store.saveRequest(noStatus), /status must be a string/);
  store.saveRequest(makeRequest(10));
  store.close();
  const reopened = await openStore({ dataDir: dir, lock: false });
  try {
    assert.equal(reopened.recovery.skippedLines, 0);
    assert.equal(reopened.hasRequest(requestId(8)), false);
    assert.equal(reopened.hasRequest(requestId(10)), true);
  } finally {
    reopened.close();
  }
});

test('records not yet applied when the process dies come back from the journal', async () => {
  const { dir, store } = await fresh();
  // Never closed and never read: the deferred apply has not run, as after a kill -9 right here.
  for (let i = 0; i < 20; i++) store.saveRequest(makeRequest(i));
  const reopened = await openStore({ dataDir: dir, lock: false });
  try {
    assert.equal(reopened.recovery.replayedEntries, 20);
    assert.equal(reopened.stats(POOL).requests, 20);
  } finally {
    reopened.close();
  }
});

test('feedback and outcomes are deferred in order too, refused for an unknown request, and replayed after a kill', async () => {
  const { dir, store } = await fresh();
  store.saveRequest(makeRequest(11));
  store.addFeedback(makeFeedback(11));
  store.addOutcomes([makeOutcome(11)]);
  assert.throws(
    () => store.addFeedback(makeFeedback(12)),
    (err: unknown) => err instanceof FugusashiError && err.kind === 'NotFound',
  );
  assert.equal(store.feedbackCounts().ratings, 1);
  assert.equal(store.countOutcomes(), 1);
  store.saveRequest(makeRequest(13));
  store.addFeedback(makeFeedback(13));
  // Never closed: as after a kill -9 before the deferred apply.
  const reopened = await openStore({ dataDir: dir, lock: false });
  try {
    assert.equal(reopened.recovery.skippedLines, 0);
    assert.equal(reopened.feedbackCounts().ratings, 2);
    assert.equal(reopened.countOutcomes(), 1);
  } finally {
    reopened.close();
  }
});

test('writes from several event-loop turns, a request saved again among them, are applied in order', async () => {
  const { dir, store } = await fresh();
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  try {
    store.saveRequest(makeRequest(21, { status: 'error', answered_by: null }));
    await turn();
    store.addFeedback(makeFeedback(21, 2));
    await turn();
    // The same request saved again (its final state): the later entry must win in the batch.
    store.saveRequest(makeRequest(21, { status: 'ok', answered_by: 'cheap' }));
    store.addFeedback(makeFeedback(21, 5));
    await turn();
    store.saveRequest(makeRequest(22));
    const rows = store.listDecisions({ limit: 10 });
    assert.deepEqual(
      rows.map((row) => [row.request_id, row.status, row.rating]),
      [
        [requestId(22), makeRequest(22).status, null],
        [requestId(21), 'ok', 5],
      ],
    );
    // A write after that read is pending again and seen by the next read.
    store.saveRequest(makeRequest(23));
    assert.equal(store.stats(POOL).requests, 3);
  } finally {
    store.close();
  }
  const reopened = await openStore({ dataDir: dir, lock: false });
  try {
    assert.equal(reopened.stats(POOL).requests, 3);
    assert.equal(reopened.feedbackCounts().ratings, 2);
  } finally {
    reopened.close();
  }
});
