// A reserved request's cost is written to each budget window (day, then month) in its own
// statement. When the database takes the day's and then fails the month's (it went down between
// the two), only the month may be counted locally: counting the day again would double its spend
// and refuse the key before its budget. The failure here is a real one: a trigger in the database
// refuses the month row's settlement.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { migrate } from '../../../daemon/store/postgres/schema';
import type { ApiKey } from '../../../daemon/team/keys';
import { KeyLimiter } from '../../../daemon/team/limits';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from '../../helpers/postgres';

describe('budget windows written in part', { skip: postgresMissing(), timeout: 60_000 }, () => {
  let server: TestPostgres;
  let pool: pg.Pool;

  before(async () => {
    server = await startPostgres();
    pool = new pg.Pool({ connectionString: await createDatabase(server, 'limits_partial') });
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

  test('the day written before the month failed is not counted a second time', async () => {
    // Settling gives the reservation back (reserved_usd goes down); reserving and syncing never do.
    await pool.query(`
      CREATE FUNCTION refuse_month_settle() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.window_kind = 'month' AND NEW.reserved_usd < OLD.reserved_usd THEN
          RAISE EXCEPTION 'month window unavailable';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_month_settle BEFORE UPDATE ON key_usage FOR EACH ROW EXECUTE FUNCTION refuse_month_settle();`);
    const key: ApiKey = {
      id: 'k1',
      name: 'alice',
      prefix: 'fgs-abcd',
      created_at: 0,
      revoked_at: null,
      admin: false,
      budget_usd_day: 1,
      budget_usd_month: 10,
      requests_per_minute: null,
      tokens_per_minute: null,
    };
    const limiter = new KeyLimiter(pool);
    // The key's first request has no cost history, so it is admitted through a reservation.
    const reservation = await limiter.admit(key);
    assert.ok(reservation && !('code' in reservation), 'admitted with a reservation');
    assert.deepEqual(
      reservation.windows.map((w) => w.kind),
      ['day', 'month'],
    );
    limiter.settle(reservation, 100, 0.25);

    const costs = async (): Promise<Record<string, number>> => {
      const { rows } = await pool.query<{ window_kind: string; cost_usd: number }>(
        `SELECT window_kind, cost_usd FROM key_usage WHERE key_id = 'k1' AND window_kind IN ('day', 'month')`,
      );
      return Object.fromEntries(rows.map((r) => [r.window_kind, Number(r.cost_usd)]));
    };
    // The month's cost reaches the database only through the local count that the failed write
    // left, sent by a sync; wait for it (the settlement runs in the background).
    let seen = await costs();
    for (let i = 0; i < 500 && !(seen.month! > 0); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await limiter.sync();
      seen = await costs();
    }
    assert.equal(seen.month, 0.25, 'the month counted once, through the local count');
    await limiter.sync();
    assert.deepEqual(await costs(), { day: 0.25, month: 0.25 }, 'the day counted once, by the write that succeeded');
  });
});
