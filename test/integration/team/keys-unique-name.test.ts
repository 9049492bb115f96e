// One live key per name, enforced by the database: concurrent `keys create` of one name cannot
// both pass the check, and a database that already holds duplicates still upgrades, keeping them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { main as cli } from '../../../daemon/cli';
import { MIGRATIONS } from '../../../daemon/store/postgres/schema';
import { createKey } from '../../../daemon/team/keys';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from '../../helpers/postgres';

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await cli(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('one live key per name', { skip: postgresMissing(), timeout: 60_000 }, () => {
  let server: TestPostgres;

  before(async () => {
    server = await startPostgres();
  });
  after(() => server?.destroy());

  test('creates of one name at once: exactly one succeeds, the others get the clear refusal', async () => {
    const url = await createDatabase(server, 'keys_race');
    assert.equal((await runCli(['keys', 'list', '--database', url])).code, 0); // migrates
    const pool = new pg.Pool({ connectionString: url, max: 8 });
    try {
      // Warm the connections so the creates start together.
      await Promise.all(Array.from({ length: 8 }, () => pool.query('SELECT 1')));
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => createKey(pool, 'alice')));
      const created = results.filter((r) => r.status === 'fulfilled');
      assert.equal(created.length, 1, 'exactly one alice created');
      const { rows } = await pool.query(`SELECT id FROM api_keys WHERE name = 'alice' AND revoked_at IS NULL`);
      assert.equal(rows.length, 1);
      for (const r of results) {
        if (r.status === 'rejected') {
          assert.match(
            String((r.reason as Error).message),
            new RegExp(`a live key named "alice" exists \\(id ${rows[0].id}\\)`),
          );
        }
      }
    } finally {
      await pool.end();
    }
  });

  test('a database already holding two live keys of one name upgrades; both stay live and are reported', async () => {
    const url = await createDatabase(server, 'keys_dupes');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // The database as the last release left it (schema v4), with two live alices.
      await client.query(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      for (let v = 1; v <= 4; v++) {
        await client.query(MIGRATIONS[v - 1]!);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v]);
      }
      for (const [id, created] of [
        ['aaaaaaaaaaaa', 1000],
        ['bbbbbbbbbbbb', 2000],
      ] as const) {
        await client.query(
          `INSERT INTO api_keys (id, name, hash, prefix, created_at) VALUES ($1, 'alice', $2, 'fgs-xxxx', $3)`,
          [id, `hash-${id}`, created],
        );
      }

      const list = await runCli(['keys', 'list', '--database', url]); // migrates to the current version
      assert.equal(list.code, 0, list.err);
      assert.match(list.out, /aaaaaaaaaaaa\s+alice\s+fgs-xxxx\s+live/);
      assert.match(list.out, /bbbbbbbbbbbb\s+alice\s+fgs-xxxx\s+live/);
      assert.match(list.err, /key bbbbbbbbbbbb shares the name "alice" with the older live key aaaaaaaaaaaa/);

      const again = await runCli(['keys', 'create', '--name', 'alice', '--database', url]);
      assert.equal(again.code, 1);
      assert.match(again.err, /a live key named "alice" exists \(id aaaaaaaaaaaa\)/);
      assert.equal((await runCli(['keys', 'create', '--name', 'bob', '--database', url])).code, 0);
    } finally {
      await client.end();
    }
  });
});
