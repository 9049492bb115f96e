// A refit that comes due while no replica leads is made by the next leader. Every replica's count
// comes round at the same outcome and the followers leave the refit to the leader; when the leader
// had just lost its database connection (and with it the advisory lock), nobody made it, and the
// team refit only retrain_every outcomes later. Now whichever replica takes the lock next makes it.
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
  const replicas: TeamReplica[] = [];

  before(async () => {
    backend = await startTeamBackend('leader_gap');
    const config = teamConfig(backend.fake.url, backend.url, {
      routing: { strategies: ['learned', 'cost', 'fallback'], exploration_rate: 0 },
    });
    // The first replica leads; the second follows and will take the lock when the first loses it.
    const first = await spawnReplica(config);
    replicas.push(first);
    assert.ok(
      await waitFor(async () => first.stderr().includes('this daemon is the refit leader'), 30_000),
      first.stderr(),
    );
    replicas.push(await spawnReplica(config));
    for (const replica of replicas)
      assert.ok(
        await waitFor(async () => replica.stderr().includes('learner: loading 0 stored outcomes'), 60_000),
        replica.stderr(),
      );
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await backend?.close();
  });

  test("a replica's /v1/models says where the team's prior places each model", async () => {
    // The team's learner wraps the replica's: it passed on routing, not the placement.
    const res = await fetch(`${replicas[0]!.url}/v1/models`);
    const entries = ((await res.json()) as { data: { id: string; quality?: { basis: string } }[] }).data;
    const pool = entries.filter((e) => e.id.startsWith('model-'));
    assert.ok(pool.length > 0 && pool.every((e) => e.quality?.basis), JSON.stringify(pool));
  });

  test('is made by whichever replica leads next', async () => {
    const [first, second] = replicas as [TeamReplica, TeamReplica];
    const rows = Array.from({ length: 4 }, (_, i) => ({ prompt: `gap ${i}`, model: 'model-a', score: 1 }));
    const imported = await postJson(`${first.url}/v1/routing/training`, rows);
    assert.equal(imported.status, 200, await imported.clone().text());
    const refits = () =>
      replicas.reduce((n, r) => n + [...r.stderr().matchAll(/learner: refit on \d+ outcomes/g)].length, 0);
    const leads = () =>
      replicas.reduce((n, r) => n + r.stderr().split('this daemon is the refit leader').length - 1, 0);
    const refitsBefore = refits();

    // The leader's replication connection (the one holding the lock) is cut.
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
      await waitFor(async () => first.stderr().includes('lost the database connection'), 10_000),
      first.stderr(),
    );
    // The count comes round on every replica now (as retrain_every brings it): nobody leads.
    const asked = await Promise.all(replicas.map((r) => postJson(`${r.url}/v1/feedback/retrain`, {})));
    for (const res of asked) assert.equal(res.status, 200, await res.clone().text());
    // One of them takes the lock (usually the follower, polling every 2 s) and makes the refit.
    assert.ok(await waitFor(async () => leads() === 2, 20_000), `${first.stderr()}\n---\n${second.stderr()}`);
    assert.ok(
      await waitFor(async () => refits() > refitsBefore, 20_000),
      `no refit after the handover; logs:\n${first.stderr().slice(-1200)}\n---\n${second.stderr().slice(-1200)}`,
    );
  });
});
