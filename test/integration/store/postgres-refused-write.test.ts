// Writes PostgreSQL refuses for their data, in the team store: text it cannot hold is stored in a
// form it can, and a write it refuses all the same is set aside (kept in a file, logged) while the
// writes around it are stored; the database is not taken for down.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { openPostgresStore } from '../../../daemon/store/postgres';
import { REFUSED_FILE } from '../../../daemon/store/postgres/store';
import { makeOutcome, makeRequest, requestId } from '../../fixtures/store/records';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from '../../helpers/postgres';

describe('PostgreSQL store: writes PostgreSQL refuses', { skip: postgresMissing(), timeout: 60_000 }, () => {
  let server: TestPostgres;
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-refused-'));
    dirs.push(dir);
    return dir;
  };
  before(async () => {
    server = await startPostgres();
  });
  after(() => {
    server?.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const sql = async <R extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(text, params)).rows;
    } finally {
      await client.end();
    }
  };

  test('a NUL and half a surrogate pair: stored as U+FFFD, the record JSON readable as jsonb', async () => {
    const url = await createDatabase(server, 'refused_text');
    const store = await openPostgresStore({ url, dataDir: tempDir() });
    // The letters "\u0000" after a backslash are text, not an escape: they stay.
    const text = 'a\u0000b, half an emoji \ud83d, a backslash then \\u0000';
    try {
      store.saveRequest(makeRequest(0, { routing_text: text }));
      assert.equal(store.getTrace(requestId(0))?.request_id, requestId(0));
      assert.equal(store.state().up, true);
    } finally {
      await store.closeAsync();
    }
    const [row] = await sql<{ preview: string; routing: string }>(
      url,
      "SELECT prompt_preview AS preview, record_json::jsonb ->> 'routing_text' AS routing FROM requests",
    );
    assert.deepEqual(row, {
      preview: 'a\uFFFDb, half an emoji \uFFFD, a backslash then \\u0000',
      routing: 'a\uFFFDb, half an emoji \uFFFD, a backslash then \\u0000',
    });
  });

  test('a write refused all the same is set aside; the writes around it are stored', async () => {
    const url = await createDatabase(server, 'refused_write');
    const dataDir = tempDir();
    const logs: string[] = [];
    const store = await openPostgresStore({ url, dataDir, log: (line) => logs.push(line) });
    // A request id too large for the primary key's index (PostgreSQL: "index row size … exceeds
    // btree maximum"), in the same batch as ordinary writes: the batch failed at every retry, and
    // every write after it waited, the store reported down.
    const huge = randomBytes(6000).toString('base64');
    try {
      store.saveRequest(makeRequest(0));
      store.saveRequest(makeRequest(1, { request_id: huge }));
      store.saveRequest(makeRequest(2));
      store.addOutcomes([makeOutcome(0)]);
      assert.equal(store.countOutcomes(), 1);
      assert.equal(store.getTrace(requestId(2))?.request_id, requestId(2));
      assert.equal(store.state().up, true);
      // The worker's "flushed" reaches the store as a message: wait for it.
      for (let i = 0; i < 500 && store.state().spooled > 0; i++) await sleep(10);
      assert.equal(store.state().spooled, 0);
    } finally {
      await store.closeAsync();
    }
    const ids = await sql<{ id: string }>(url, 'SELECT request_id AS id FROM requests ORDER BY request_id');
    assert.deepEqual(
      ids.map((r) => r.id),
      [requestId(0), requestId(2)],
    );
    const kept = readFileSync(path.join(dataDir, REFUSED_FILE), 'utf8').trim().split('\n');
    assert.equal(kept.length, 1);
    const line = JSON.parse(kept[0]!) as { error: string; write: { op: string; data: { request_id: string } } };
    assert.equal(line.write.data.request_id, huge);
    assert.match(line.error, /index row/);
    assert.ok(
      logs.some((l) => /PostgreSQL refused a write/.test(l)),
      logs.join('\n'),
    );
    assert.ok(!logs.some((l) => /unreachable/.test(l)), logs.join('\n'));
  });
});
