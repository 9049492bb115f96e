// `fugusashi store copy`: a user's local history moves into team mode and back, unchanged.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main as cli } from '../../../daemon/cli';
import { openStore } from '../../../daemon/store';
import { openPostgresStore, type PostgresStore } from '../../../daemon/store/postgres';
import type { SpooledOutcome, StoredWrite } from '../../../daemon/store/postgres/protocol';
import { runWithKey } from '../../../daemon/team/request-context';
import { POOL, makeFeedback, makeOutcome, makeRequest, requestId } from '../../fixtures/store/records';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from '../../helpers/postgres';

/**
 * Hands `team` an outcomes write as an earlier version's spool holds it, the way the store replays a
 * spool (its private spool(): a line with no flags, written through the worker like any other).
 */
function replayEarlierSpool(team: PostgresStore, data: SpooledOutcome[]): void {
  (team as unknown as { spool(write: StoredWrite): void }).spool({ seq: 0, op: 'outcomes', data });
}

/** Two users' API keys (the keys themselves are not checked here: a daemon's guard did that). */
const ANA = { id: 'key-ana', name: 'ana' };
const BEN = { id: 'key-ben', name: 'ben' };

describe('fugusashi store copy', { skip: postgresMissing(), timeout: 120_000 }, () => {
  let pg: TestPostgres;
  let url: string;
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-copy-test-'));
    dirs.push(dir);
    return dir;
  };

  before(async () => {
    pg = await startPostgres();
    url = await createDatabase(pg, 'copy');
  });
  after(() => {
    pg?.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const run = async (args: string[]) => {
    let err = '';
    const code = await cli(args, { out: () => undefined, err: (t) => (err += t) });
    return { code, err };
  };

  test('data dir → PostgreSQL → data dir keeps requests, ratings and outcomes', async () => {
    const source = tempDir();
    const local = await openStore({ dataDir: source });
    for (let i = 0; i < 30; i++) local.saveRequest(makeRequest(i));
    local.addFeedback(makeFeedback(0, 2));
    local.addFeedback(makeFeedback(0, 5));
    local.addFeedback(makeFeedback(3, 1, 'thumbs'));
    // The third came from `fugusashi import`: its import key travels with it, both ways.
    local.addOutcomes([makeOutcome(0), makeOutcome(1), { ...makeOutcome(2), import_key: 'import:uid:u-2' }]);
    const want = {
      stats: local.stats(POOL),
      trace: local.getTrace(requestId(0)),
      decisions: local.listDecisions({ limit: 50 }),
      rankings: local.rankings(POOL),
      outcomes: local.listOutcomes().map(({ id: _id, ...o }) => o),
    };
    local.close();

    const there = await run(['store', 'copy', '--from', source, '--to', url]);
    assert.equal(there.code, 0, there.err);
    assert.match(there.err, /copied 30 requests, 3 feedback, 3 outcomes/);
    // Run again (an interrupted copy retried, or simply twice): the ratings and outcomes the
    // learners count are not doubled (they used to be: 6 feedback and 6 outcomes).
    const twice = await run(['store', 'copy', '--from', source, '--to', url]);
    assert.equal(twice.code, 0, twice.err);
    // And it says so: it used to print "copied 30 requests, 3 feedback, 3 outcomes" again.
    assert.match(
      twice.err,
      /copied 0 requests, 0 feedback, 0 outcomes from .* \(already there, not copied again: 30 requests, 3 feedback, 3 outcomes\)/,
    );
    assert.doesNotMatch(there.err, /already there/);
    const team = await openPostgresStore({ url, dataDir: tempDir() });
    try {
      assert.deepEqual(team.stats(POOL), want.stats);
      assert.deepEqual(team.getTrace(requestId(0)), want.trace);
      assert.deepEqual(team.listDecisions({ limit: 50 }), want.decisions);
      assert.deepEqual(team.rankings(POOL), want.rankings);
      assert.deepEqual(
        team.listOutcomes().map(({ id: _id, ...o }) => o),
        want.outcomes,
      );
      assert.deepEqual([...(team.importedKeys(['import:uid:u-2', 'import:uid:u-9']) ?? [])], ['import:uid:u-2']);
      // The history's owner, now with an API key, imports the same file again: recognised too. The
      // copied key has no user; it was checked only as that user's, and the rows were stored twice.
      assert.deepEqual(
        [...(runWithKey(ANA, () => team.importedKeys(['import:uid:u-2', 'import:uid:u-9'])) ?? [])],
        ['import:uid:u-2'],
      );
    } finally {
      await team.closeAsync();
    }

    const back = tempDir();
    const home = await run(['store', 'copy', '--from', url, '--to', back]);
    assert.equal(home.code, 0, home.err);
    // Into a data dir that already holds data: refused, nothing doubled (ratings used to be).
    const homeTwice = await run(['store', 'copy', '--from', url, '--to', back]);
    assert.equal(homeTwice.code, 1);
    assert.match(homeTwice.err, /already holds a store with data: copy into an empty \(or new\) data directory/);
    const again = await openStore({ dataDir: back });
    try {
      assert.deepEqual(again.stats(POOL), want.stats);
      assert.deepEqual(again.getTrace(requestId(0)), want.trace);
      assert.deepEqual(again.listDecisions({ limit: 50 }), want.decisions);
      assert.deepEqual(
        again.listOutcomes().map(({ id: _id, ...o }) => o),
        want.outcomes,
      );
      assert.deepEqual([...again.importedKeys(['import:uid:u-2'])], ['import:uid:u-2']);
    } finally {
      again.close();
    }
  });

  test('PostgreSQL → data dir keeps what each user imported, and recognises it there', async () => {
    const teamUrl = await createDatabase(pg, 'copy_users');
    const team = await openPostgresStore({ url: teamUrl, dataDir: tempDir() });
    const imported = (i: number) => ({ ...makeOutcome(i), import_key: 'import:uid:u-7' });
    try {
      // Two users imported the same file (two users' judgements), then someone with the daemon's
      // token (no user), a fourth row came from a rating.
      runWithKey(ANA, () => team.addOutcomes([imported(0)]));
      runWithKey(BEN, () => team.addOutcomes([imported(1)]));
      team.addOutcomes([imported(2), makeOutcome(3)]);
      assert.equal(team.countOutcomes(), 4);
    } finally {
      await team.closeAsync();
    }
    const back = tempDir();
    const home = await run(['store', 'copy', '--from', teamUrl, '--to', back]);
    assert.equal(home.code, 0, home.err);
    const local = await openStore({ dataDir: back });
    try {
      // Every row arrives, and the file imported again on this data dir is recognised (its keys
      // were dropped: the import stored its rows a second time).
      assert.deepEqual(
        local.listOutcomes().map((o) => o.prompt),
        [0, 1, 2, 3].map((i) => makeOutcome(i).prompt),
      );
      assert.deepEqual([...local.importedKeys(['import:uid:u-7'])], ['import:uid:u-7']);
    } finally {
      local.close();
    }
  });

  test("PostgreSQL → data dir → a new PostgreSQL keeps every user's import, and says what it stored", async () => {
    const firstUrl = await createDatabase(pg, 'copy_round_a');
    const team = await openPostgresStore({ url: firstUrl, dataDir: tempDir() });
    try {
      // Ana and Ben imported file X; Cai and Dan file Y with an earlier version (keys by key id).
      runWithKey(ANA, () => team.addOutcomes([{ ...makeOutcome(0), import_key: 'import:X:0' }]));
      runWithKey(BEN, () => team.addOutcomes([{ ...makeOutcome(1), import_key: 'import:X:0' }]));
      team.importOutcomes([{ outcome: makeOutcome(2), opKey: 'user:key-cai:import:Y:0' }]);
      assert.equal(team.countOutcomes(), 3); // each its own batch
      team.importOutcomes([{ outcome: makeOutcome(3), opKey: 'user:key-dan:import:Y:0' }]);
      assert.equal(team.countOutcomes(), 4);
    } finally {
      await team.closeAsync();
    }
    const dir = tempDir();
    const home = await run(['store', 'copy', '--from', firstUrl, '--to', dir]);
    assert.equal(home.code, 0, home.err);
    // In the data dir the first user's row of each file holds the plain key, the other's their own:
    // copied back, those were taken for the first's and dropped (2 of 4 stored), while the copy
    // said "copied … 4 outcomes".
    const secondUrl = await createDatabase(pg, 'copy_round_b');
    const back = await run(['store', 'copy', '--from', dir, '--to', secondUrl]);
    assert.equal(back.code, 0, back.err);
    const copy = await openPostgresStore({ url: secondUrl, dataDir: tempDir() });
    try {
      assert.deepEqual(
        copy
          .listOutcomes()
          .map((o) => o.prompt)
          .sort(),
        [0, 1, 2, 3].map((i) => makeOutcome(i).prompt).sort(),
      );
    } finally {
      await copy.closeAsync();
    }
    assert.match(back.err, /copied 0 requests, 0 feedback, 4 outcomes/);
    const again = await run(['store', 'copy', '--from', dir, '--to', secondUrl]);
    assert.equal(again.code, 0, again.err);
    assert.match(
      again.err,
      /copied 0 requests, 0 feedback, 0 outcomes .*not copied again: 0 requests, 0 feedback, 4 outcomes/,
    );
  });

  test("a copied history's import, spooled again by its owner while its keys could not be checked, is stored once", async () => {
    const source = tempDir();
    const local = await openStore({ dataDir: source });
    local.addOutcomes([{ ...makeOutcome(0), import_key: 'import:uid:u-3' }]);
    local.close();
    const teamUrl = await createDatabase(pg, 'copy_spooled');
    const there = await run(['store', 'copy', '--from', source, '--to', teamUrl]);
    assert.equal(there.code, 0, there.err);
    const team = await openPostgresStore({ url: teamUrl, dataDir: tempDir() });
    try {
      // What an import sent with PostgreSQL down leaves (services/feedback.ts): the row spooled with
      // its owner's key, PostgreSQL to skip it if it has it. The copied key has no user: the row was
      // stored (and learned) a second time.
      runWithKey(ANA, () =>
        team.addOutcomes([{ ...makeOutcome(0), import_key: 'import:uid:u-3' }], {
          learnWhenStored: true,
          keysUnchecked: true,
        }),
      );
      assert.equal(team.countOutcomes(), 1);
    } finally {
      await team.closeAsync();
    }
  });

  test("a user's import spooled while its keys could not be checked skips what an earlier key of theirs stored", async () => {
    const teamUrl = await createDatabase(pg, 'copy_earlier_keys');
    const team = await openPostgresStore({ url: teamUrl, dataDir: tempDir() });
    try {
      const made = await run(['keys', 'create', '--name', 'eve', '--database', teamUrl]);
      assert.equal(made.code, 0, made.err);
      const eveId = String(team.select('SELECT id FROM api_keys WHERE name = ?', ['eve'])[0]?.id);
      // What an earlier version stored: eve's imports keyed by her key's id.
      team.importOutcomes([
        { outcome: makeOutcome(0), opKey: `user:${eveId}:import:uid:u-5` },
        { outcome: makeOutcome(1), opKey: `user:${eveId}:import:030:id:r-1:score:1` },
      ]);
      assert.equal(team.countOutcomes(), 2);
      // eve, with a replacement key, imports both again while the store could not check them
      // (services/feedback.ts spools them for PostgreSQL to settle), and one new row.
      runWithKey({ id: 'key-eve-2', name: 'eve' }, () =>
        team.addOutcomes(
          [
            { ...makeOutcome(0), import_key: 'import:uid:u-5' },
            { ...makeOutcome(1), import_key: 'import:030:id:r-1:score:1' },
            { ...makeOutcome(2), import_key: 'import:uid:u-6' },
          ],
          { learnWhenStored: true, keysUnchecked: true },
        ),
      );
      assert.equal(team.countOutcomes(), 3);
      // A spool an earlier version left (its rows keyed by eve's earlier key id), written after eve
      // imported the same row with this version: stored once.
      runWithKey({ id: 'key-eve-2', name: 'eve' }, () =>
        team.addOutcomes([{ ...makeOutcome(3), import_key: 'import:uid:u-7' }]),
      );
      replayEarlierSpool(team, [{ ...makeOutcome(3), id: 999_000_001, op_key: `user:${eveId}:import:uid:u-7` }]);
      assert.equal(team.countOutcomes(), 4);
      // Another user's identical import is theirs: all three stored.
      runWithKey(BEN, () =>
        team.addOutcomes(
          [
            { ...makeOutcome(0), import_key: 'import:uid:u-5' },
            { ...makeOutcome(1), import_key: 'import:030:id:r-1:score:1' },
            { ...makeOutcome(2), import_key: 'import:uid:u-6' },
          ],
          { learnWhenStored: true, keysUnchecked: true },
        ),
      );
      assert.equal(team.countOutcomes(), 7);
    } finally {
      await team.closeAsync();
    }
  });

  test('a NUL in a copied request id and import key: stored as U+FFFD, and a second copy adds nothing', async () => {
    const source = tempDir();
    const local = await openStore({ dataDir: source });
    local.saveRequest(makeRequest(0, { request_id: 'r\u00000' }));
    local.addFeedback({ ...makeFeedback(0, 4), request_id: 'r\u00000' });
    local.addOutcomes([{ ...makeOutcome(0), import_key: 'import:030:id:r\u00000:score:4' }]);
    local.close();
    const teamUrl = await createDatabase(pg, 'copy_nul');
    const there = await run(['store', 'copy', '--from', source, '--to', teamUrl]);
    assert.equal(there.code, 0, there.err);
    assert.match(there.err, /copied 1 requests, 1 feedback, 1 outcomes/);
    const again = await run(['store', 'copy', '--from', source, '--to', teamUrl]);
    assert.equal(again.code, 0, again.err);
    assert.match(
      again.err,
      /copied 0 requests, 0 feedback, 0 outcomes .*not copied again: 1 requests, 1 feedback, 1 outcomes/,
    );
    const team = await openPostgresStore({ url: teamUrl, dataDir: tempDir() });
    try {
      assert.equal(team.getTrace('r\uFFFD0')?.feedback.length, 1);
      assert.equal(team.countOutcomes(), 1);
    } finally {
      await team.closeAsync();
    }
  });

  test("the team's own ratings copied out to a data dir and back are recognised, not stored twice", async () => {
    // Written by daemons in team mode (not copied in): their feedback has a random key and their
    // outcomes none. Out and back in used to add 2 feedback and 2 outcomes (each rating twice).
    const teamUrl = await createDatabase(pg, 'copy_round_trip');
    const team = await openPostgresStore({ url: teamUrl, dataDir: tempDir() });
    try {
      for (const i of [0, 1]) {
        team.saveRequest(makeRequest(i));
        team.addFeedback(makeFeedback(i, 4));
        team.addOutcomes([{ ...makeOutcome(i), source: 'explicit', request_id: requestId(i), score: 0.75 }]);
      }
    } finally {
      await team.closeAsync();
    }
    const out = tempDir();
    const exported = await run(['store', 'copy', '--from', teamUrl, '--to', out]);
    assert.equal(exported.code, 0, exported.err);
    const back = await run(['store', 'copy', '--from', out, '--to', teamUrl]);
    assert.equal(back.code, 0, back.err);
    assert.match(
      back.err,
      /copied 0 requests, 0 feedback, 0 outcomes .*not copied again: 2 requests, 2 feedback, 2 outcomes/,
    );
    const after = await openPostgresStore({ url: teamUrl, dataDir: tempDir() });
    try {
      assert.equal(after.countOutcomes(), 2);
      assert.equal(after.getTrace(requestId(0))?.feedback.length, 1);
    } finally {
      await after.closeAsync();
    }
  });

  test('bad arguments get a usage error', async () => {
    assert.equal((await run(['store', 'copy', '--from', '/tmp/a', '--to', '/tmp/b'])).code, 2);
    assert.equal((await run(['keys', 'create', '--database', url])).code, 2);
  });
});
