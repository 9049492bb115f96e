// The shared counters of per-key limits (key_usage) against a real PostgreSQL: past windows are
// pruned and the replicas' read of the current ones uses an index, so a team's month of minute rows
// no longer costs every replica a scan of the whole table every 100 ms; and a reservation is given
// back only once the request's row (whose cost replaces it) is stored.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { migrate } from '../../../daemon/store/postgres/schema';
import type { ApiKey } from '../../../daemon/team/keys';
import { CURRENT_WINDOWS_SQL, KeyLimiter, windowStart } from '../../../daemon/team/limits';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from '../../helpers/postgres';

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('key_usage windows', { skip: postgresMissing(), timeout: 60_000 }, () => {
  let server: TestPostgres;
  let pool: pg.Pool;

  before(async () => {
    server = await startPostgres();
    pool = new pg.Pool({ connectionString: await createDatabase(server, 'limits_windows') });
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

  test("a reservation is given back once the request's row is stored, not before", async () => {
    await pool.query('DELETE FROM key_usage');
    const key: ApiKey = {
      id: 'k1',
      name: 'alice',
      prefix: 'fgs-abcd',
      created_at: 0,
      revoked_at: null,
      budget_usd_day: 1,
      budget_usd_month: 10,
      requests_per_minute: null,
      tokens_per_minute: null,
    };
    let stored = 0;
    const limiter = new KeyLimiter(pool, () => stored);
    // The key's first request has no cost history, so it is admitted through a reservation.
    const reservation = await limiter.admit(key);
    assert.ok(reservation && !('code' in reservation), 'admitted with a reservation');
    const reserved = async (): Promise<number[]> => {
      const { rows } = await pool.query<{ reserved_usd: number }>(
        `SELECT reserved_usd FROM key_usage WHERE key_id = 'k1' AND window_kind IN ('day', 'month') ORDER BY window_kind`,
      );
      return rows.map((row) => Number(row.reserved_usd));
    };
    assert.ok(
      (await reserved()).every((r) => r > 0),
      'reserved in the day and the month',
    );
    limiter.settle(reservation, { seq: 7, createdAt: Date.now(), tokens: 100, cost: 0.25 });
    await limiter.sync();
    assert.ok(
      (await reserved()).every((r) => r > 0),
      'held while the row is not stored',
    );
    stored = 7;
    await limiter.sync();
    assert.deepEqual(await reserved(), [0, 0], 'given back once it is');
  });
});
