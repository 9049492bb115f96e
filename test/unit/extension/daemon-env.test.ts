// The daemon a window starts runs with glibc malloc held to two arenas (MALLOC_ARENA_MAX=2, read
// from the process's real environment) and its mmap and trim thresholds held at 128 KiB, unless the
// window's own environment says otherwise.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { joinOrStart } from '../../../extension/daemon/discovery';
import { fakeDaemonFixture } from './fake-daemon-fixture';

const { spec, tempDir, started } = fakeDaemonFixture('fge-');

/** The environment the kernel started a process with (Linux). */
function environmentOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

/** The environment of a daemon started by a window whose own MALLOC_ARENA_MAX is `windowValue`. */
async function environmentOfDaemonStartedWith(windowValue: string | undefined): Promise<Map<string, string>> {
  const saved = process.env.MALLOC_ARENA_MAX;
  if (windowValue === undefined) delete process.env.MALLOC_ARENA_MAX;
  else process.env.MALLOC_ARENA_MAX = windowValue;
  try {
    const d = await joinOrStart(spec(tempDir()), { timeoutMs: 10_000 });
    started.push(d.info.pid);
    d.socket.destroy();
    return environmentOf(d.info.pid);
  } finally {
    if (saved === undefined) delete process.env.MALLOC_ARENA_MAX;
    else process.env.MALLOC_ARENA_MAX = saved;
  }
}

const arenaMaxOfDaemonStartedWith = async (windowValue: string | undefined) =>
  (await environmentOfDaemonStartedWith(windowValue)).get('MALLOC_ARENA_MAX');

describe('the environment of a started daemon', { skip: !existsSync('/proc/self/environ') }, () => {
  it('holds glibc malloc to two arenas', async () => {
    assert.equal(await arenaMaxOfDaemonStartedWith(undefined), '2');
  });

  it("holds glibc malloc's mmap and trim thresholds at 128 KiB", async () => {
    const env = await environmentOfDaemonStartedWith(undefined);
    assert.equal(env.get('MALLOC_MMAP_THRESHOLD_'), '131072');
    assert.equal(env.get('MALLOC_TRIM_THRESHOLD_'), '131072');
  });

  it("keeps the window's own MALLOC_ARENA_MAX", async () => {
    assert.equal(await arenaMaxOfDaemonStartedWith('4'), '4');
  });
});
