// Store.retractJudgements, written just before a user's new rating of a request: the request's
// earlier feedback and the outcomes they made go, its upstream-error outcomes and other requests'
// stay. In the embedded store it survives a crash (the journal is replayed); in PostgreSQL it is
// applied in spool order, also when the replaced rating is in the same write batch.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NewOutcome, Store } from '../../../daemon/core/ports';
import { openStore } from '../../../daemon/store';
import { openPostgresStore } from '../../../daemon/store/postgres';
import { makeFeedback, makeRequest, requestId } from '../../fixtures/store/records';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from '../../helpers/postgres';

function judgement(i: number, score: number, source: string): NewOutcome {
  return { prompt: `prompt ${i}`, model: 'cheap', score, weight: 1, source, request_id: requestId(i), created_at: i };
}

/** Request 0 rated 5 (with an implicit signal and an upstream error before), then re-rated 1; request 2 rated 4. */
function rateTwice(store: Store): void {
  for (const i of [0, 2]) store.saveRequest(makeRequest(i));
  store.addOutcomes([judgement(0, 0, 'implicit:error')]);
  store.addFeedback(makeFeedback(0, 2, 'implicit:override'));
  store.addOutcomes([judgement(0, 0.25, 'implicit:override')]);
  store.addFeedback(makeFeedback(0, 5));
  store.addOutcomes([judgement(0, 1, 'explicit')]);
  store.addFeedback(makeFeedback(2, 4));
  store.addOutcomes([judgement(2, 0.75, 'explicit')]);
  store.retractJudgements(requestId(0));
  store.addFeedback(makeFeedback(0, 1));
  store.addOutcomes([judgement(0, 0, 'explicit')]);
}

function assertOneJudgementEach(store: Store): void {
  const outcomes = store.listOutcomes().map((o) => [o.request_id, o.source, o.score]);
  assert.deepEqual(outcomes, [
    [requestId(0), 'implicit:error', 0],
    [requestId(2), 'explicit', 0.75],
    [requestId(0), 'explicit', 0],
  ]);
  assert.deepEqual(
    store.getTrace(requestId(0))?.feedback.map((f) => [f.source, f.rating]),
    [['explicit', 1]],
  );
  assert.equal(store.getTrace(requestId(0))?.rating, 1);
  assert.deepEqual(store.feedbackCounts(), { ratings: 2, by_source: { explicit: 2 } });
}

test('embedded store: a re-rating replaces the earlier judgements, also after a crash (journal replay)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-retract-'));
  try {
    // No close: what a kill -9 leaves (the journal only). The second store replays it.
    const store = await openStore({ dataDir: dir, lock: false, snapshotWorker: false });
    rateTwice(store);
    assertOneJudgementEach(store);
    assert.throws(() => store.retractJudgements('fugu-unknown'), /no request/);
    const reopened = await openStore({ dataDir: dir, lock: false, snapshotWorker: false });
    try {
      assertOneJudgementEach(reopened);
    } finally {
      reopened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('PostgreSQL store', { skip: postgresMissing() }, () => {
  let server: TestPostgres;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server?.destroy());

  test('a re-rating in the same write batch as the rating it replaces leaves one judgement', async () => {
    const url = await createDatabase(server, 'retract');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-pgretract-'));
    const store = await openPostgresStore({ url, dataDir: dir });
    try {
      // Written in one turn of the event loop: the worker takes them as one batch.
      rateTwice(store);
      assertOneJudgementEach(store);
    } finally {
      await store.closeAsync();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
