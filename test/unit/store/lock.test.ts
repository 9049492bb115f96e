import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { acquireDataDirLock, DataDirLockedError, LOCK_FILE, openStore } from '../../../daemon/store';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has already exited. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(result.stdout.toString());
}

test('the lock names its owner, refuses a second holder, and is released', () => {
  const dir = tempDir();
  const lock = acquireDataDirLock(dir);
  const file = path.join(dir, LOCK_FILE);
  const owner = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; started_at: number };
  assert.equal(owner.pid, process.pid);
  assert.ok(Math.abs(owner.started_at - Date.now()) < 60_000);
  assert.throws(
    () => acquireDataDirLock(dir),
    (err: unknown) =>
      err instanceof DataDirLockedError &&
      err.pid === process.pid &&
      err.message.startsWith(`Another Fugusashi daemon (pid ${process.pid}) is using this data directory`) &&
      err.message.includes(`kill ${process.pid}`),
  );
  lock.release();
  assert.equal(existsSync(file), false);
  lock.release(); // twice is harmless
  acquireDataDirLock(dir).release();
});

test('the refusal names no VS Code command the extension does not have', () => {
  const dir = tempDir();
  const lock = acquireDataDirLock(dir);
  try {
    assert.throws(
      () => acquireDataDirLock(dir),
      (err: unknown) => {
        assert.ok(err instanceof DataDirLockedError);
        const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as {
          contributes: { commands: { title: string; category: string }[] };
        };
        const titles = new Set(pkg.contributes.commands.map((c) => `${c.category}: ${c.title}`));
        for (const [, named] of err.message.matchAll(/"(Fugusashi: [^"]+)"/g))
          assert.ok(titles.has(named!), `"${named}" is not a command of the extension`);
        assert.match(err.message, new RegExp(`stop it first \\(\`kill ${process.pid}\`\\), or start this one`));
        return true;
      },
    );
  } finally {
    lock.release();
  }
});

test('a lock left by a dead process is taken over', () => {
  const dir = tempDir();
  const file = path.join(dir, LOCK_FILE);
  writeFileSync(file, JSON.stringify({ pid: deadPid(), started_at: Date.now() - 1000 }));
  const lock = acquireDataDirLock(dir);
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid, process.pid);
  lock.release();
});

test('a lock held by another live process is respected', async () => {
  const dir = tempDir();
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
  try {
    assert.ok(other.pid);
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: other.pid, started_at: Date.now() }));
    assert.throws(
      () => acquireDataDirLock(dir),
      (err: unknown) => err instanceof DataDirLockedError && err.pid === other.pid,
    );
    await assert.rejects(openStore({ dataDir: dir }), DataDirLockedError);
  } finally {
    other.kill('SIGKILL');
  }
});

test('a holder still dying (a crashed daemon being torn down) is waited for, then taken over', () => {
  const dir = tempDir();
  const file = path.join(dir, LOCK_FILE);
  const dying = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
  assert.ok(dying.pid);
  writeFileSync(file, JSON.stringify({ pid: dying.pid, started_at: Date.now() }));
  // Killed by another process while this one is inside acquireDataDirLock (which blocks).
  spawn('sh', ['-c', `sleep 0.2; kill -9 ${dying.pid}`], { stdio: 'ignore' });
  const lock = acquireDataDirLock(dir, { graceMs: 30_000 });
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid, process.pid);
  lock.release();
});

test('an empty lock file: a daemon starting right now, unless it is old', () => {
  const dir = tempDir();
  const file = path.join(dir, LOCK_FILE);
  writeFileSync(file, '');
  assert.throws(
    () => acquireDataDirLock(dir),
    (err: unknown) => err instanceof DataDirLockedError && err.pid === null && err.message.includes('starting up'),
  );
  const old = (Date.now() - 60_000) / 1000;
  utimesSync(file, old, old);
  acquireDataDirLock(dir).release();
});

test('the store holds the lock while open and releases it on close', async () => {
  const dir = tempDir();
  const store = await openStore({ dataDir: dir });
  assert.throws(() => acquireDataDirLock(dir), DataDirLockedError);
  store.close();
  acquireDataDirLock(dir).release();
  // A caller that took the lock itself hands it to the store, which releases it on close.
  const lock = acquireDataDirLock(dir);
  const adopted = await openStore({ dataDir: dir, lock });
  adopted.close();
  assert.equal(existsSync(path.join(dir, LOCK_FILE)), false);
});

test(
  'a lock held by a zombie (killed, never reaped) is taken over',
  { skip: process.platform !== 'linux' },
  async () => {
    const dir = tempDir();
    // The shell starts `sleep` in the background, kills it and then waits without reaping it.
    const shell = spawn('sh', ['-c', 'sleep 30 & echo $!; kill -9 $!; exec sleep 30'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const zombie = await new Promise<number>((resolve) =>
        shell.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
      );
      // Wait (bounded) until the kernel shows it as a zombie.
      for (let i = 0; i < 100 && !readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z '); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.match(readFileSync(`/proc/${zombie}/stat`, 'utf8'), /\) Z /);
      writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: zombie, started_at: Date.now() }));
      acquireDataDirLock(dir).release();
    } finally {
      shell.kill('SIGKILL');
    }
  },
);
