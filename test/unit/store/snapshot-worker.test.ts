// The snapshot worker thread lives only while it compacts: its sql.js heap (WASM memory, which never
// shrinks) held two to three times the database's size between snapshots, ~200 MB of a daemon's RSS
// once its store passed 50 MB. Each snapshot starts a new thread.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SnapshotWorker } from '../../../daemon/store/worker-client';

void test('the snapshot worker is ended after each snapshot and started again for the next', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-snapshot-worker-'));
  const worker = new SnapshotWorker();
  try {
    assert.equal(worker.available, true);
    for (const name of ['first.tmp', 'second.tmp']) {
      const temp = path.join(dir, name);
      const done = await worker.run({ dataDir: dir, files: [], upToSeq: 0, temp });
      assert.ok(done.bytes > 0, 'an empty database file was written');
      assert.ok(existsSync(temp));
      // The reply came; the thread is being ended, and a later snapshot may still run.
      assert.equal(worker.running, false);
      assert.equal(worker.available, true);
    }
  } finally {
    worker.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(worker.available, false);
});
