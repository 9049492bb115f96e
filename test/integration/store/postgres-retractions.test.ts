// A rating replaced on one replica stops counting on the others. The replica that takes a new rating
// retracts the request's earlier judgements (its store deletes their outcomes, its learner forgets
// them); the other replicas' learners held those outcomes until their next start. Now the store
// records what it deleted and every other replica's store hands it to its learner, once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ATTEMPT_ERROR_SOURCE, type Outcome } from '../../../daemon/core/ports';
import { openPostgresStore, type PostgresStore } from '../../../daemon/store/postgres';
import type { OutcomeRetraction } from '../../../daemon/store/postgres/protocol';
import { makeOutcome, makeRequest, requestId } from '../../fixtures/store/records';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from '../../helpers/postgres';
import { waitFor } from '../../helpers/team';

describe(
  'PostgreSQL store: retractions reach the other replicas',
  { skip: postgresMissing(), timeout: 120_000 },
  () => {
    let server: TestPostgres;
    const dirs: string[] = [];
    const stores: PostgresStore[] = [];
    const open = async (url: string) => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugu-retractions-'));
      dirs.push(dataDir);
      // A catch-up every 50 ms: the test sees it re-read the retraction many times.
      const store = await openPostgresStore({ url, dataDir, catchUpMs: 50, seqSlack: 100 });
      stores.push(store);
      return store;
    };
    before(async () => {
      server = await startPostgres();
    });
    after(async () => {
      for (const store of stores) await store.closeAsync().catch(() => undefined);
      server?.destroy();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    const judged = (i: number, source: string): Omit<Outcome, 'id'> => ({
      ...makeOutcome(i),
      source,
      request_id: requestId(0),
    });

    const retractedOn = (store: PostgresStore): OutcomeRetraction[] => {
      const got: OutcomeRetraction[] = [];
      store.onRemoteRetractions((retractions) => got.push(...retractions));
      return got;
    };
    const deliveredTo = (store: PostgresStore): Set<number> => {
      const got = new Set<number>();
      store.onRemoteOutcomes((outcomes) => outcomes.forEach((o) => got.add(o.id)));
      return got;
    };

    test("a re-rating's retraction is handed to another replica once, naming the outcomes it replaced", async () => {
      const url = await createDatabase(server, 'retractions');
      const writer = await open(url);
      const reader = await open(url);
      const retracted = retractedOn(reader);
      const delivered = deliveredTo(reader);

      writer.saveRequest(makeRequest(0));
      const [rating, failed] = writer.addOutcomes([judged(0, 'explicit'), judged(1, ATTEMPT_ERROR_SOURCE)]) as [
        Outcome,
        Outcome,
      ];
      assert.ok(await waitFor(async () => delivered.has(rating.id) && delivered.has(failed.id), 10_000));

      // The user replaces the rating: the old judgement goes, the failed attempt stays, a new one comes.
      writer.retractJudgements(requestId(0));
      const [replacement] = writer.addOutcomes([judged(2, 'explicit')]) as [Outcome];
      assert.ok(await waitFor(async () => delivered.has(replacement.id) && retracted.length > 0, 10_000));
      // Several catch-ups later (every 50 ms) it was still handed over only once.
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(retracted, [{ request_id: requestId(0), outcome_ids: [rating.id] }]);

      const sql = new pg.Client({ connectionString: url });
      await sql.connect();
      try {
        const { rows } = await sql.query<{ id: string }>('SELECT id FROM outcomes ORDER BY id');
        assert.deepEqual(
          rows.map((r) => Number(r.id)),
          [failed.id, replacement.id].sort((x, y) => x - y),
        );
      } finally {
        await sql.end();
      }
    });

    test('a replica whose listener was cut off still hears of it (its catch-up reads the table)', async () => {
      const url = await createDatabase(server, 'retractions_catch_up');
      const writer = await open(url);
      const reader = await open(url);
      const retracted = retractedOn(reader);
      const delivered = deliveredTo(reader);
      writer.saveRequest(makeRequest(0));
      const [rating] = writer.addOutcomes([judged(0, 'thumbs')]) as [Outcome];
      assert.ok(await waitFor(async () => delivered.has(rating.id), 10_000));
      // Retracted while nobody listens: the notification is lost, the outcome_retractions row is not.
      const sql = new pg.Client({ connectionString: url });
      await sql.connect();
      try {
        await sql.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'");
        writer.retractJudgements(requestId(0));
        assert.ok(await waitFor(async () => retracted.length > 0, 10_000), 'the catch-up brings it');
        assert.deepEqual(retracted, [{ request_id: requestId(0), outcome_ids: [rating.id] }]);
      } finally {
        await sql.end();
      }
    });
  },
);
