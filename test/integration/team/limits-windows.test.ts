// The shared counters of per-key limits (key_usage) against a real PostgreSQL: past windows are
// pruned and the replicas' read of the current ones uses an index, so a team's month of minute rows
// no longer costs every replica a scan of the whole table every 100 ms; and a reservation is given
// back by the write of its request's row, in the transaction that adds the row's cost, once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../../daemon/store/postgres';
import { migrate } from '../../../daemon/store/postgres/schema';
import { runWithKey } from '../../../daemon/team/request-context';
import { makeRequest } from '../../fixtures/store/records';
import type { ApiKey } from '../../../daemon/team/keys';
import { CURRENT_WINDOWS_SQL, KeyLimiter, windowStart } from '../../../daemon/team/limits';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from '../../helpers/postgres';

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('key_usage windows', { skip: postgresMissing(), timeout: 60_000 }, () => {
  let server: TestPostgres;
  let pool: pg.Pool;
  let url: string;

  before(async () => {
    server = await startPostgres();
    url = await createDatabase(server, 'limits_windows');
    pool = new pg.Pool({ connectionString: url });
    const client = await pool.connect();
    try {
      await migrate(client);
    } finally {
      client.release();
    }
  });
  after(async () => {
    await pool?.end();
    server?.destroy();
  });

  test('a month of minute rows: the current windows are read by index, and past windows are deleted', async () => {
    const now = Date.now();
    const minute = windowStart('minute', now);
    const today = windowStart('day', now);
    const month = windowStart('month', now);
    const lastMonth = new Date(month);
    lastMonth.setUTCMonth(lastMonth.getUTCMonth() - 1);
    // 30 keys, 3,000 past minutes each (what pruning never did), and each key's days of a month.
    await pool.query(
      `INSERT INTO key_usage (key_id, window_kind, window_start, requests)
       SELECT 'key' || k, 'minute', $1::bigint - m::bigint * 60000, 1 FROM generate_series(1, 30) k, generate_series(2, 3001) m`,
      [minute],
    );
    await pool.query(
      `INSERT INTO key_usage (key_id, window_kind, window_start, requests)
       SELECT 'key' || k, 'day', $1::bigint - d::bigint * 86400000, 1 FROM generate_series(1, 30) k, generate_series(2, 40) d`,
      [today],
    );
    // What a replica still reads (or may, its clock a little behind): kept.
    const kept = [
      ['minute', minute],
      ['minute', minute - MINUTE],
      ['day', today],
      ['day', today - DAY],
      ['month', month],
      ['month', lastMonth.getTime()],
    ] as const;
    for (const [kind, start] of kept) {
      await pool.query(
        `INSERT INTO key_usage (key_id, window_kind, window_start, requests) VALUES ('key1', $1, $2, 1)`,
        [kind, start],
      );
    }
    await pool.query(
      `INSERT INTO key_usage (key_id, window_kind, window_start, requests) VALUES ('key1', 'month', $1, 1)`,
      [Date.UTC(2020, 0, 1)],
    );
    await pool.query('ANALYZE key_usage');

    const { rows: plan } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${CURRENT_WINDOWS_SQL}`, [
      minute,
      today,
      month,
    ]);
    const text = plan.map((row) => row['QUERY PLAN']).join('\n');
    assert.doesNotMatch(text, /Seq Scan/, `the read scans the table:\n${text}`);
    assert.match(text, /key_usage_window/, text);

    const limiter = new KeyLimiter(pool, () => 0);
    await limiter.sync(); // a replica's first sync prunes
    const { rows } = await pool.query<{ window_kind: string; window_start: string }>(
      'SELECT window_kind, window_start FROM key_usage ORDER BY window_kind, window_start',
    );
    assert.deepEqual(
      rows.map((row) => [row.window_kind, Number(row.window_start)]),
      [...kept].sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]),
    );
  });

  test("a reservation is given back by its request row's write, once, also when the row is written again", async () => {
    await pool.query('DELETE FROM key_usage');
    const key: ApiKey = {
      id: 'k1',
      name: 'alice',
      admin: false,
      prefix: 'fgs-abcd',
      created_at: 0,
      revoked_at: null,
      budget_usd_day: 1,
      budget_usd_month: null,
      requests_per_minute: null,
      tokens_per_minute: null,
    };
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugu-limits-'));
    const store = await openPostgresStore({ url, dataDir });
    try {
      const limiter = new KeyLimiter(pool, () => store.storedThrough());
      const usage = async (): Promise<Record<string, { cost: number; reserved: number }>> => {
        const { rows } = await pool.query<{ window_kind: string; cost_usd: number; reserved_usd: number }>(
          `SELECT window_kind, cost_usd, reserved_usd FROM key_usage WHERE key_id = 'k1' AND window_kind IN ('day', 'month')`,
        );
        return Object.fromEntries(
          rows.map((r) => [r.window_kind, { cost: Number(r.cost_usd), reserved: Number(r.reserved_usd) }]),
        );
      };
      // The key's first request has no cost history, so it is admitted through a reservation (held
      // in the month too, which has no budget: the row gives back both).
      const first = await limiter.admit(key);
      assert.ok(first && !('code' in first), 'admitted with a reservation');
      const held = first.amount;
      assert.deepEqual(await usage(), { day: { cost: 0, reserved: held }, month: { cost: 0, reserved: held } });
      // A second request holds its own reservation, which the first one's writes must leave alone.
      const second = await limiter.admit(key);
      assert.ok(second && !('code' in second));
      const record = makeRequest(0, { cost_usd: 0.25, created_at: Date.now() });
      const saveAndWait = (): void => {
        runWithKey(key, () => store.saveRequest(record), first);
        store.select('SELECT 1'); // a read waits until the writes handed over before it are stored
      };
      saveAndWait();
      const after = { cost: 0.25, reserved: second.amount };
      assert.deepEqual(await usage(), { day: after, month: after }, 'the cost replaced the first reservation');
      // Written again, as a replayed spool does: nothing changes.
      saveAndWait();
      assert.deepEqual(await usage(), { day: after, month: after }, 'counted and given back once');
    } finally {
      await store.closeAsync();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
