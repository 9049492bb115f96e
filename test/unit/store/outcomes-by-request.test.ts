// A new rating replaces the request's earlier judgements: the store deletes the request's outcomes
// by request_id (records.applyRetract). Schema v5 indexes outcomes by request so that delete reads
// the request's few rows instead of scanning every outcome (100k+ in a store that imports scores);
// v6 indexes them by source for the rankings' read of imported ratings.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { openStore, SNAPSHOT_FILE } from '../../../daemon/store';
import { migrate } from '../../../daemon/store/schema';
import { loadSqlJs, type Database } from '../../../daemon/store/sqljs';
import { ATTEMPT_ERROR_SOURCE } from '../../../daemon/core/ports';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function retractPlan(db: Database): string {
  const plan = db.exec('EXPLAIN QUERY PLAN DELETE FROM outcomes WHERE request_id = ? AND source <> ?', [
    'req-1',
    ATTEMPT_ERROR_SOURCE,
  ]);
  return (plan[0]?.values ?? []).map((row) => String(row[3])).join(' | ');
}

test("a re-rating's outcome delete reads an index, in a new store and in one migrated from v4", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-outcomes-by-request-'));
  dirs.push(dir);
  const store = await openStore({ dataDir: dir, snapshotWorker: false });
  store.close();

  const SQL = await loadSqlJs();
  const fresh = new SQL.Database(readFileSync(path.join(dir, SNAPSHOT_FILE)));
  assert.match(retractPlan(fresh), /USING INDEX outcomes_request/);
  fresh.close();

  const old = new SQL.Database();
  migrate(old, 4);
  assert.match(retractPlan(old), /^SCAN outcomes$/);
  migrate(old);
  assert.match(retractPlan(old), /USING INDEX outcomes_request/);
  old.close();
});

test("rankings' read of imported 0.3.0 ratings uses an index (v6), not a scan of every outcome", async () => {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  migrate(db);
  const plan = db.exec(
    'EXPLAIN QUERY PLAN SELECT model, COUNT(*), SUM(score) FROM outcomes WHERE source = ? GROUP BY model',
    ['import:rating-030'],
  );
  assert.match((plan[0]?.values ?? []).map((row) => String(row[3])).join(' | '), /COVERING INDEX outcomes_source/);
  db.close();
});
