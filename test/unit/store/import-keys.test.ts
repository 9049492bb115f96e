// Imported outcomes keep the key of their source row (schema v4 of the embedded store), so an import
// run twice stores its rows once. Existing stores keep their outcomes through the migration, and
// the keys survive a restart, whether the write was replayed from the journal or saved in store.db.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { openStore, SCHEMA_VERSION, SNAPSHOT_FILE } from '../../../daemon/store';
import { migrate } from '../../../daemon/store/schema';
import { loadSqlJs } from '../../../daemon/store/sqljs';
import { makeOutcome, makeRequest } from '../../fixtures/store/records';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-import-keys-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test('a store from before import keys migrates: its outcomes stay, new imports are keyed', async () => {
  const dir = tempDir();
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  migrate(db, 2);
  for (const [i, o] of [makeOutcome(0), makeOutcome(1)].entries()) {
    db.run(
      'INSERT INTO outcomes (id, prompt, model, score, weight, source, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [i + 1, o.prompt, o.model, o.score, o.weight, o.source, o.request_id, o.created_at],
    );
  }
  writeFileSync(path.join(dir, SNAPSHOT_FILE), db.export());
  db.close();

  const store = await openStore({ dataDir: dir });
  assert.equal(store.recovery.schemaVersionFound, 2);
  assert.deepEqual(
    store.listOutcomes().map(({ id: _id, ...o }) => o),
    [makeOutcome(0), makeOutcome(1)],
  );
  store.addOutcomes([{ ...makeOutcome(2), import_key: 'import:a:0' }, makeOutcome(3)]);
  assert.deepEqual([...store.importedKeys(['import:a:0', 'import:a:1'])], ['import:a:0']);
  store.close(); // a clean close: the key is in store.db

  const reopened = await openStore({ dataDir: dir });
  assert.equal(reopened.recovery.schemaVersionFound, SCHEMA_VERSION);
  assert.equal(reopened.countOutcomes(), 4);
  assert.deepEqual([...reopened.importedKeys(['import:a:0'])], ['import:a:0']);
  reopened.close();
});

test('an import key written to the journal only (no snapshot yet) is there after a restart', async () => {
  const dir = tempDir();
  const store = await openStore({ dataDir: dir, snapshotWorker: false, snapshotIntervalMs: 3_600_000 });
  store.addOutcomes([{ ...makeOutcome(0), import_key: 'import:b:0' }]);
  // What kill -9 leaves: the journal, and store.db without the write. A second process may not
  // open a locked data dir, so copy what is on disk as it is now.
  const copy = tempDir();
  cpSync(dir, copy, { recursive: true, filter: (src) => !src.endsWith('daemon.lock') });
  store.close();
  const replayed = await openStore({ dataDir: copy });
  assert.equal(replayed.recovery.replayedEntries, 1);
  assert.deepEqual([...replayed.importedKeys(['import:b:0'])], ['import:b:0']);
  replayed.close();
});

test('a store a development build left at v3 with import keys (no cache-split columns) still records requests', async () => {
  // Before escalate9's v3 was merged, the import-key step ran as v3: such a store skipped the
  // cache-split columns, and every request record then failed ("no column named cached_tokens").
  const dir = tempDir();
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  migrate(db, 2);
  db.exec('ALTER TABLE outcomes ADD COLUMN import_key TEXT');
  db.exec('CREATE UNIQUE INDEX outcomes_import_key ON outcomes(import_key)');
  db.run("UPDATE meta SET value = '3' WHERE key = 'schema_version'");
  writeFileSync(path.join(dir, SNAPSHOT_FILE), db.export());
  db.close();

  const store = await openStore({ dataDir: dir });
  assert.equal(store.recovery.schemaVersionFound, 3);
  const usage = {
    prompt_tokens: 1000,
    completion_tokens: 10,
    total_tokens: 1010,
    prompt_tokens_details: { cached_tokens: 800 },
  };
  store.saveRequest(makeRequest(0, { usage }));
  assert.deepEqual(store.listDecisions({ limit: 1 })[0]?.usage, usage);
  store.close();
});
