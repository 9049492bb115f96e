// A refit that comes due while the refit leader has lost its database connection (and with it the
// leadership) is owed, not dropped: every replica's count comes round at the same outcome, the
// followers leave it to the leader, and the leader's own retrain was a no-op while it did not lead.
// It refit only retrain_every outcomes later; now it refits once it leads again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { postgresMissing } from '../../helpers/postgres';
import {
  postJson,
  spawnReplica,
  startTeamBackend,
  teamConfig,
  waitFor,
  type TeamBackend,
  type TeamReplica,
} from '../../helpers/team';

/** daemon/team/replication.ts's session advisory lock. */
const LEADER_LOCK = 7_310_002;

describe('a refit due during a leadership gap', { skip: postgresMissing(), timeout: 180_000 }, () => {
  let backend: TeamBackend | undefined;
  let leader: TeamReplica | undefined;

  before(async () => {
    backend = await startTeamBackend('leader_gap');
    const config = teamConfig(backend.fake.url, backend.url, {
      routing: { strategies: ['learned', 'cost', 'fallback'], exploration_rate: 0 },
    });
    leader = await spawnReplica(config);
    const log = () => leader!.stderr();
    assert.ok(await waitFor(async () => log().includes('this daemon is the refit leader'), 30_000), log());
    assert.ok(await waitFor(async () => log().includes('learner: loading 0 stored outcomes'), 60_000), log());
  });
  after(async () => {
    await leader?.stop();
    await backend?.close();
  });

  test('is made once the replica leads again', async () => {
    const replica = leader!;
    const rows = Array.from({ length: 4 }, (_, i) => ({ prompt: `gap ${i}`, model: 'model-a', score: 1 }));
    const imported = await postJson(`${replica.url}/v1/routing/training`, rows);
    assert.equal(imported.status, 200, await imported.clone().text());
    const refits = () => [...replica.stderr().matchAll(/learner: refit on \d+ outcomes/g)].length;
    const before = refits();

    // Its replication connection (the one holding the leader lock) is cut.
    const admin = new Client({ connectionString: backend!.url });
    await admin.connect();
    try {
      const { rows: holders } = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted",
        [LEADER_LOCK],
      );
      assert.equal(holders.length, 1);
      await admin.query('SELECT pg_terminate_backend($1)', [holders[0]!.pid]);
    } finally {
      await admin.end();
    }
    assert.ok(
      await waitFor(async () => replica.stderr().includes('lost the database connection'), 10_000),
      replica.stderr(),
    );
    // The refit comes due now (as retrain_every would bring it): not the leader, nothing to do yet.
    const res = await postJson(`${replica.url}/v1/feedback/retrain`, {});
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok(
      await waitFor(async () => replica.stderr().split('this daemon is the refit leader').length === 3, 20_000),
      replica.stderr(),
    );
    assert.ok(
      await waitFor(async () => refits() > before, 20_000),
      `no refit after leading again; log:\n${replica.stderr().slice(-1500)}`,
    );
  });
});
