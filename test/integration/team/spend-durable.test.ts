// A key's spend made while PostgreSQL is down reaches its budget and the usage report once the
// database is back, also when the replicas that answered were killed (kill -9) or stopped (SIGTERM)
// before it came back. Before, each replica held those counts in memory only: the requests were
// stored (from the spool) but key_usage never heard of them, and the key's budget undercounted for
// good.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { main as cli } from '../../../daemon/cli';
import { postgresMissing } from '../../helpers/postgres';
import { postJson, spawnReplica, startTeamBackend, teamConfig, waitFor, type TeamBackend } from '../../helpers/team';

interface KeyUsage {
  name: string;
  today: { requests: number; cost_usd: number };
  this_month: { requests: number; cost_usd: number };
}

describe('spend made while the database is down', { skip: postgresMissing(), timeout: 120_000 }, () => {
  let backend: TeamBackend | undefined;

  before(async () => {
    backend = await startTeamBackend('spend_durable');
  });
  after(async () => {
    await backend?.close();
  });

  test('counts once it is back, after kill -9 of one replica and SIGTERM of the other', async () => {
    const { db, fake, url } = backend!;
    let out = '';
    const made = await cli(['keys', 'create', '--name', 'hank', '--budget-day', '1', '--database', url], {
      out: (t) => (out += t),
      err: () => undefined,
    });
    assert.equal(made, 0);
    const secret = out.trim();
    const config = teamConfig(fake.url, url);
    const a = await spawnReplica(config);
    const b = await spawnReplica(config);
    const restarted: Awaited<ReturnType<typeof spawnReplica>>[] = [];
    try {
      db.stop('immediate');
      for (const replica of [a, b]) {
        for (let i = 0; i < 3; i++) {
          const res = await postJson(
            `${replica.url}/v1/chat/completions`,
            { model: 'model-a', messages: [{ role: 'user', content: `spend ${i}` }] },
            { authorization: `Bearer ${secret}` },
          );
          assert.equal(res.status, 200, await res.text());
        }
      }
      await a.stop('SIGKILL');
      // SIGTERM, keeping the data directory (its spool) for the restart.
      b.child.kill('SIGTERM');
      await b.exited;
      db.start();
      restarted.push(await spawnReplica(config, [], a.dataDir), await spawnReplica(config, [], b.dataDir));

      const client = new pg.Client({ connectionString: url });
      await client.connect();
      let spent = 0;
      try {
        // Both spools are written once the database is back.
        assert.ok(
          await waitFor(async () => {
            const { rows } = await client.query<{ n: number; cost: number }>(
              `SELECT count(*)::int AS n, sum(cost_usd) AS cost FROM requests WHERE api_key_id IS NOT NULL`,
            );
            spent = Number(rows[0]?.cost ?? 0);
            return rows[0]?.n === 6;
          }, 20_000),
          'all 6 requests of the key are stored',
        );
      } finally {
        await client.end();
      }
      assert.ok(spent > 0, 'the answers cost something');
      let hank: KeyUsage | undefined;
      const counted = await waitFor(async () => {
        const res = await fetch(`${restarted[0]!.url}/v1/team/usage`, {
          headers: { authorization: `Bearer ${secret}` },
        });
        const { data } = (await res.json()) as { data: KeyUsage[] };
        hank = data.find((k) => k.name === 'hank');
        return hank?.today.requests === 6;
      }, 10_000);
      assert.ok(counted, `the usage report counts the 6 requests: ${JSON.stringify(hank)}`);
      assert.ok(Math.abs(hank!.today.cost_usd - spent) < 1e-12, `today's spend ${hank!.today.cost_usd} is ${spent}`);
      assert.equal(hank!.this_month.requests, 6);
      assert.ok(Math.abs(hank!.this_month.cost_usd - spent) < 1e-12);
    } finally {
      db.start();
      await Promise.all([...restarted, a, b].map((r) => r.stop()));
    }
  });
});
