// PostgreSQL migration v6 on a database the previous release left (schema v5) with requests in it:
// the prompt-cache split of a request's prompt tokens gets its columns, a record that was priced
// with the split (its JSON holds it) gets it back, the others read as before (unknown).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../../daemon/store/postgres';
import { MIGRATIONS } from '../../../daemon/store/postgres/schema';
import { OLD_REQUEST_COLUMNS, oldRequestValues } from '../../fixtures/store/old-requests';
import { makeRequest, requestId } from '../../fixtures/store/records';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from '../../helpers/postgres';

describe('PostgreSQL schema v5 → v6: the prompt-cache split', { skip: postgresMissing() }, () => {
  let server: TestPostgres;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server?.destroy());

  test('an old record priced with the split gets it back; one without stays without', async () => {
    const url = await createDatabase(server, 'cache_split');
    const split = { cached_tokens: 800, cache_creation_tokens: 100, cache_creation_1h_tokens: 60 };
    const priced = makeRequest(0, {
      usage: { prompt_tokens: 1000, completion_tokens: 10, total_tokens: 1010, prompt_tokens_details: split },
    });
    const plain = makeRequest(1);
    // A NUL character past the preview (a pasted file) and half an emoji: valid in the record's JSON
    // text ("\u0000", "\ud83d") and stored by the previous release, but not castable to jsonb.
    const unusual = makeRequest(2, {
      routing_text: `${'x'.repeat(300)}\u0000 and \ud83d`,
      usage: { prompt_tokens: 1000, completion_tokens: 10, total_tokens: 1010, prompt_tokens_details: split },
    });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      for (let v = 1; v <= 5; v++) {
        await client.query(MIGRATIONS[v - 1]!);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v]);
      }
      for (const r of [priced, plain, unusual]) {
        const values = oldRequestValues(r, JSON.stringify);
        await client.query(
          `INSERT INTO requests (${OLD_REQUEST_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`,
          values,
        );
      }
    } finally {
      await client.end();
    }

    const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-pgstore-'));
    const store = await openPostgresStore({ url, dataDir: dir });
    try {
      const rows = store.listDecisions({ limit: 10 });
      assert.deepEqual(rows.find((r) => r.request_id === requestId(0))?.usage, priced.usage);
      assert.deepEqual(rows.find((r) => r.request_id === requestId(1))?.usage, plain.usage);
      assert.deepEqual(store.getTrace(requestId(0))?.usage, priced.usage);
      // Before: the migration failed ('unsupported Unicode escape sequence') and the daemon could not start.
      assert.deepEqual(rows.find((r) => r.request_id === requestId(2))?.usage, unusual.usage);
    } finally {
      await store.closeAsync();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
