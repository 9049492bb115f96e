// The bundles patch sql.js to double its in-memory file when a write passes its end instead of
// growing it by 1/8 (daemon/store/sqljs-growth.mjs, an esbuild plugin). The patch must find the code
// it replaces in the installed sql.js (or fail the build), and a patched sql.js must keep databases
// that grow far past their initial room intact.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openDatabase, type SqlJs } from '../../../daemon/store/sqljs';
// @ts-expect-error: a plain ES module of the build (esbuild.mjs), without type declarations.
import { patchSqlJsGrowth } from '../../../daemon/store/sqljs-growth.mjs';

const patch = patchSqlJsGrowth as (source: string) => string;
const sqlJsFile = require.resolve('sql.js/dist/sql-wasm.js');

test('the patch replaces the growth step of the installed sql.js exactly once', () => {
  const source = readFileSync(sqlJsFile, 'utf8');
  const patched = patch(source);
  assert.notEqual(patched, source);
  assert.equal(patched.split('Math.min(m*2,m+268435456)>>>0').length, 2);
  assert.ok(!patched.includes('1048576?2:1.125'));
  assert.throws(() => patch('var unrelated = 1;'), /growth code changed/);
});

test('a database in the patched sql.js grows far past its room and stays intact', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-sqljs-growth-'));
  try {
    const file = path.join(dir, 'sql-wasm.js');
    writeFileSync(file, patch(readFileSync(sqlJsFile, 'utf8')));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const init = require(file) as (config: { wasmBinary: Uint8Array }) => Promise<SqlJs>;
    const SQL = await init({ wasmBinary: readFileSync(require.resolve('sql.js/dist/sql-wasm.wasm')) });
    const db = openDatabase(SQL, null, 64 * 1024);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)');
    db.exec('BEGIN');
    // ~6 MB: the file doubles several times (64 KiB of room at first).
    for (let i = 0; i < 4_000; i++) db.run('INSERT INTO t (body) VALUES (?)', [new Uint8Array(1_500).fill(i % 251)]);
    db.exec('COMMIT');
    assert.equal(db.exec('PRAGMA integrity_check')[0]?.values[0]?.[0], 'ok');
    const image = db.export();
    db.close();
    const again = openDatabase(SQL, image);
    assert.equal(
      again.exec('SELECT COUNT(*), SUM(length(body)) FROM t')[0]?.values[0]?.join(),
      `4000,${4_000 * 1_500}`,
    );
    assert.equal(again.exec('SELECT body FROM t WHERE id = 300')[0]?.values[0]?.[0]?.toString().slice(0, 5), '48,48');
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
