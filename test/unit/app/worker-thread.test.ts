// daemon/worker-thread.ts: a worker from the sources runs through the tsx installed beside them,
// whatever the working directory; sources with no tsx beside them get no worker (the callers then
// work on the event loop) instead of one that dies on its first line.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startWorkerThread } from '../../../daemon/worker-thread';

const FIXTURES = path.resolve(__dirname, '../../fixtures/worker-thread');

test('a worker from the sources starts when the working directory is outside the project', async () => {
  const cwd = process.cwd();
  process.chdir(os.tmpdir());
  try {
    const worker = startWorkerThread(FIXTURES, 'echo.js', 'echo.ts');
    assert.ok(worker, 'the source file and tsx are there');
    const reply = await new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.equal(reply, 'started from the sources');
    await worker.terminate();
  } finally {
    process.chdir(cwd);
  }
});

test('sources with no tsx beside them, or no worker file at all: no worker', () => {
  const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'fugu-worker-'));
  copyFileSync(path.join(FIXTURES, 'echo.ts'), path.join(elsewhere, 'echo.ts'));
  assert.equal(startWorkerThread(elsewhere, 'echo.js', 'echo.ts'), undefined);
  assert.equal(startWorkerThread(FIXTURES, 'missing.js', 'missing.ts'), undefined);
});
