// PostgreSQL migration v7: outcomes indexed by request. A new rating replaces the request's earlier
// judgements and the store's worker deletes its outcomes by request_id; without the index that
// was a sequential scan of the whole team's outcome table for every re-rating.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ATTEMPT_ERROR_SOURCE } from '../../../daemon/core/ports';
import { openPostgresStore } from '../../../daemon/store/postgres';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from '../../helpers/postgres';

describe('PostgreSQL schema v7 and v11: outcomes by request and by source', { skip: postgresMissing() }, () => {
  let server: TestPostgres;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server?.destroy());

  test("a re-rating's outcome delete can read an index", async () => {
    const url = await createDatabase(server, 'outcomes_by_request');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-pgstore-'));
    const store = await openPostgresStore({ url, dataDir: dir });
    await store.closeAsync();
    rmSync(dir, { recursive: true, force: true });

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // An empty table is cheapest to scan; forbid that to ask whether an index exists at all.
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        'EXPLAIN DELETE FROM outcomes WHERE request_id = $1 AND source <> $2',
        ['req-1', ATTEMPT_ERROR_SOURCE],
      );
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      assert.match(plan, /outcomes_request/, plan);
      // v11: rankings' read of imported 0.3.0 ratings, on every dashboard refresh.
      const ratings = await client.query<{ 'QUERY PLAN': string }>(
        'EXPLAIN SELECT model, COUNT(*), SUM(score) FROM outcomes WHERE source = $1 GROUP BY model',
        ['import:rating-030'],
      );
      const ratingsPlan = ratings.rows.map((row) => row['QUERY PLAN']).join('\n');
      assert.match(ratingsPlan, /outcomes_source/, ratingsPlan);
    } finally {
      await client.end();
    }
  });
});
