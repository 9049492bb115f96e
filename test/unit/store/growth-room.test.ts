// The live database is opened with zeroed room to grow after its pages (daemon/store/sqljs.ts):
// SQLite must keep reading only the pages its header counts, and a snapshot must hold exactly them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSqlJs, openDatabase } from '../../../daemon/store/sqljs';

test('a database opened with room to grow exports exactly its pages and reopens intact', async () => {
  const SQL = await loadSqlJs();
  const db = openDatabase(SQL, null);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)');
  db.exec('BEGIN');
  for (let i = 0; i < 2_000; i++) db.run('INSERT INTO t (body) VALUES (?)', [new Uint8Array(1_500).fill(i % 251)]);
  db.exec('COMMIT');
  const image = db.export();
  const [pages, pageSize] = db.exec('PRAGMA page_count; PRAGMA page_size').map((r) => Number(r.values[0]?.[0]));
  assert.equal(image.length, pages! * pageSize!);
  db.close();

  // Reopened the same way (room to grow again), the rows and the file's integrity are whole, and
  // writes after the reopen land in the room without disturbing them.
  const again = openDatabase(SQL, image);
  assert.equal(again.exec('PRAGMA integrity_check')[0]?.values[0]?.[0], 'ok');
  again.run('INSERT INTO t (body) VALUES (?)', [new Uint8Array(10)]);
  assert.equal(again.exec('SELECT COUNT(*) FROM t')[0]?.values[0]?.[0], 2_001);
  assert.equal(again.exec('SELECT SUM(length(body)) FROM t')[0]?.values[0]?.[0], 2_000 * 1_500 + 10);
  assert.equal(again.exec('PRAGMA integrity_check')[0]?.values[0]?.[0], 'ok');
  again.close();
});

test('an image whose header does not count its pages is opened without room (never misread)', async () => {
  const SQL = await loadSqlJs();
  const source = openDatabase(SQL, null);
  source.exec('CREATE TABLE t (x); INSERT INTO t VALUES (42)');
  const image = source.export();
  source.close();
  // Bytes after the last page: SQLite must still find the table, and the image is not padded further.
  const withTail = new Uint8Array(image.length + 4096);
  withTail.set(image);
  const db = openDatabase(SQL, withTail);
  assert.equal(db.exec('SELECT x FROM t')[0]?.values[0]?.[0], 42);
  db.close();
});
