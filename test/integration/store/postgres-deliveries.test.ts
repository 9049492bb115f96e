// Outcomes other replicas store reach this store's learner listener once each. The worker used to
// remember every id it ever delivered (a busy team's long-lived replica held millions); it now
// remembers about its catch-up window. And the outcomes stored before it opened are not handed
// over as new (the learner reads them when it loads): they counted toward retrain_every again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Outcome } from '../../../daemon/core/ports';
import { openPostgresStore, type PostgresStore } from '../../../daemon/store/postgres';
import { makeOutcome } from '../../fixtures/store/records';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from '../../helpers/postgres';
import { waitFor } from '../../helpers/team';

/** A short catch-up period and a narrow window: what a busy team does over hours, in a few thousand rows. */
const CATCH_UP = { catchUpMs: 50, seqSlack: 100 };

describe('PostgreSQL store: outcomes from other replicas', { skip: postgresMissing(), timeout: 120_000 }, () => {
  let server: TestPostgres;
  const dirs: string[] = [];
  const stores: PostgresStore[] = [];
  const open = async (url: string, options: Partial<typeof CATCH_UP> = {}) => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugu-deliveries-'));
    dirs.push(dataDir);
    const store = await openPostgresStore({ url, dataDir, ...options });
    stores.push(store);
    return store;
  };
  /** Every delivery the store makes, by id: a count above one is an outcome delivered twice. */
  const received = (store: PostgresStore) => {
    const times = new Map<number, number>();
    store.onRemoteOutcomes((outcomes: Outcome[]) => {
      for (const o of outcomes) times.set(o.id, (times.get(o.id) ?? 0) + 1);
    });
    return times;
  };
  const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => makeOutcome(from + i));

  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    for (const store of stores) await store.closeAsync().catch(() => undefined);
    server?.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('outcomes stored before the store opened are not delivered as new', async () => {
    const url = await createDatabase(server, 'deliveries_start');
    const earlier = await open(url);
    earlier.addOutcomes(rows(0, 30));
    assert.equal(earlier.countOutcomes(), 30);
    const reader = await open(url, CATCH_UP);
    const got = received(reader);
    // One outcome stored after it opened, then a few catch-ups (every 50 ms) past its arrival.
    const [later] = earlier.addOutcomes(rows(30, 1)) as [Outcome];
    assert.ok(await waitFor(async () => got.has(later.id), 10_000), 'the later outcome is delivered');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual([...got], [[later.id, 1]]);
  });

  test('after thousands of deliveries it remembers about its window, and delivered each once', async () => {
    const url = await createDatabase(server, 'deliveries_many');
    const reader = await open(url, CATCH_UP);
    const got = received(reader);
    const writer = await open(url);
    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    try {
      // A row whose seq is taken now and committed last, far below the window by then (seq order is
      // not commit order): only its notification can bring it.
      const [block] = (await sql.query<{ n: string }>("SELECT nextval('outcome_id_blocks') AS n")).rows as [
        { n: string },
      ];
      const lateId = Number(block.n) * 1_000_000 + 1;
      const late = new pg.Client({ connectionString: url });
      late.on('error', () => undefined); // ended by the server's stop should the test fail first
      await late.connect();
      await late.query('BEGIN');
      await late.query(
        `INSERT INTO outcomes (id, prompt, model, score, weight, source, request_id, created_at)
         VALUES ($1, 'committed late', 'cheap', 1, 1, 'seed', NULL, 0)`,
        [lateId],
      );
      // Thousands through another store (notified at commit), in many batches, while the reader
      // catches up every 50 ms: most rows can come both ways.
      const ids: number[] = [];
      for (let i = 0; i < 30; i++) {
        ids.push(...writer.addOutcomes(rows(1000 + i * 100, 100)).map((o) => o.id));
        await new Promise((r) => setTimeout(r, 10));
      }
      // And some no notification announces (written outside any replica): only a catch-up brings
      // them. After the others are stored (countOutcomes waits for the writer's writes), so their
      // seqs come after: a row committed below the window with no notification is never read, and
      // a narrow window would lose rows written among the announced ones.
      assert.equal(writer.countOutcomes(), 3000);
      for (let i = 0; i < 200; i++) {
        const id = Number(block.n) * 1_000_000 + 10 + i;
        await sql.query(
          `INSERT INTO outcomes (id, prompt, model, score, weight, source, request_id, created_at)
           VALUES ($1, 'not announced', 'cheap', 1, 1, 'seed', NULL, 0)`,
          [id],
        );
        ids.push(id);
      }
      assert.ok(
        await waitFor(async () => ids.every((id) => got.has(id)), 30_000),
        `delivered ${ids.filter((id) => got.has(id)).length} of ${ids.length}`,
      );
      await late.query('SELECT pg_notify($1, $2)', [
        'fugusashi_outcomes',
        JSON.stringify({ r: 'another replica', ids: [lateId] }),
      ]);
      await late.query('COMMIT');
      await late.end();
      ids.push(lateId);
      assert.ok(await waitFor(async () => got.has(lateId), 10_000), 'the late row is delivered');
      // Quiet now: the reader remembers no more than the ids in its window (100 seqs).
      assert.ok(
        await waitFor(async () => reader.rememberedDeliveries() <= CATCH_UP.seqSlack, 10_000),
        `it remembers ${reader.rememberedDeliveries()} ids`,
      );
      // A few more catch-ups after forgetting: none of the forgotten ones comes again.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(got.size, ids.length);
      assert.deepEqual(
        [...got].filter(([, n]) => n > 1),
        [],
        'no outcome delivered twice',
      );
    } finally {
      await sql.end();
    }
  });
});
