// A daemon started by hand (`fugusashi serve`) on Linux runs with glibc malloc held to two arenas,
// as the one a VS Code window starts: MALLOC_ARENA_MAX=2 in the daemon's own environment (glibc
// reads it only when a process starts, so dist/cli.js runs the daemon in a child that has it).
// Real processes: the built CLI, signals sent to the process the user started, /proc.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DAEMON_FILE, EXIT_ALREADY_RUNNING, type DaemonFile } from '../../../shared/daemon';
import {
  CLI_BUNDLE,
  makeTempDir,
  requireCliBundle,
  spawnDaemon,
  writeConfigWithIdleModel,
  type SpawnedDaemon,
} from '../../helpers/daemon';
import { spawn } from 'node:child_process';

const linux = process.platform === 'linux';
let dir: string;
let configPath: string;

before(() => {
  requireCliBundle();
  dir = makeTempDir('fugu-arenas-');
  configPath = path.join(dir, 'config.yaml');
  writeConfigWithIdleModel(configPath, { server: { port: 0 } });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** This test process's environment without MALLOC_ARENA_MAX, or with the given value. */
function environment(arenaMax?: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['MALLOC_ARENA_MAX'];
  return arenaMax === undefined ? env : { ...env, MALLOC_ARENA_MAX: arenaMax };
}

let runs = 0;
/** `fugusashi serve` on a data dir of its own, and the daemon.json it wrote. */
async function serve(arenaMax?: string): Promise<{ launched: SpawnedDaemon; info: DaemonFile; dataDir: string }> {
  const dataDir = path.join(dir, `data-${runs++}`);
  const launched = await spawnDaemon(['--config', configPath, '--data-dir', dataDir], 20_000, environment(arenaMax));
  const info = JSON.parse(readFileSync(path.join(dataDir, DAEMON_FILE), 'utf8')) as DaemonFile;
  return { launched, info, dataDir };
}

/** The environment the kernel started a process with. */
function environmentOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

/** Parent pid of a live process, or undefined once it is gone (a zombie counts as gone). */
function parentOf(pid: number): number | undefined {
  try {
    const [state, ppid] = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return state === 'Z' ? undefined : Number(ppid);
  } catch {
    return undefined;
  }
}

/** Pids of the live processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((p) => parentOf(p) === pid);
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && parentOf(pid) !== undefined; i++) await new Promise((r) => setTimeout(r, 50));
  return parentOf(pid) === undefined;
}

describe('fugusashi serve and glibc malloc arenas', { skip: !linux }, () => {
  test('a daemon started without MALLOC_ARENA_MAX runs with 2, is the pid in daemon.json, and is started once; SIGTERM stops it, exit 0', async () => {
    const { launched, info } = await serve();
    const launcher = launched.child.pid!;
    try {
      assert.equal(environmentOf(info.pid).get('MALLOC_ARENA_MAX'), '2');
      // With glibc's mmap and trim thresholds held at 128 KiB (shared/daemon.ts).
      assert.equal(environmentOf(info.pid).get('MALLOC_MMAP_THRESHOLD_'), '131072');
      assert.equal(environmentOf(info.pid).get('MALLOC_TRIM_THRESHOLD_'), '131072');
      // The daemon is the child of the process the user started, and starts no daemon of its own.
      assert.notEqual(info.pid, launcher);
      assert.equal(parentOf(info.pid), launcher);
      assert.deepEqual(childrenOf(launcher), [info.pid]);
      assert.deepEqual(childrenOf(info.pid), []);
      // A second daemon on the same data dir: its exit code comes back through its launcher.
      const second = spawn(
        process.execPath,
        [CLI_BUNDLE, 'serve', '--config', configPath, '--data-dir', info.data_dir],
        {
          stdio: 'ignore',
          env: environment(),
        },
      );
      const code = await new Promise((resolve) => second.once('exit', resolve));
      assert.equal(code, EXIT_ALREADY_RUNNING);
    } finally {
      assert.equal(await launched.stop('SIGTERM'), 0, launched.stderr());
    }
    assert.match(launched.stderr(), /shutting down \(SIGTERM\)/);
    assert.ok(await gone(info.pid), 'the daemon has exited');
  });

  test('SIGHUP (the terminal closed) shuts the daemon down cleanly, and the process the user started exits with its code', async () => {
    const { launched, info, dataDir } = await serve();
    launched.child.kill('SIGHUP');
    assert.deepEqual(await launched.exited, { code: 0, signal: null }, launched.stderr());
    assert.match(launched.stderr(), /shutting down \(SIGHUP\)/);
    assert.ok(await gone(info.pid), 'the daemon has exited');
    assert.ok(!existsSync(path.join(dataDir, DAEMON_FILE)), 'daemon.json removed by the shutdown');
  });

  test('a killed `fugusashi serve` does not leave its daemon running', async () => {
    const { launched, info } = await serve();
    launched.child.kill('SIGKILL');
    await launched.exited;
    assert.ok(await gone(info.pid), 'the daemon stopped with its launcher');
    assert.match(launched.stderr(), /shutting down \(launcher exited\)/);
  });

  test('a supervisor that forks serve with an IPC channel of its own and disconnects does not stop the daemon', async () => {
    const dataDir = path.join(dir, `data-${runs++}`);
    const child = spawn(process.execPath, [CLI_BUNDLE, 'serve', '--config', configPath, '--data-dir', dataDir], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: environment('2'),
    });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      while (!/\bready: pid \d+/.test(log)) await new Promise((r) => setTimeout(r, 50));
      const info = JSON.parse(readFileSync(path.join(dataDir, DAEMON_FILE), 'utf8')) as DaemonFile;
      child.disconnect();
      // The disconnect reaches the daemon within a tick; it keeps answering all the while.
      for (let i = 0; i < 10; i++) {
        assert.equal((await fetch(`http://127.0.0.1:${info.port}/health`)).status, 200, log);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.doesNotMatch(log, /launcher exited/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  test('a MALLOC_ARENA_MAX the user set is kept, and the daemon is the process the user started; SIGINT stops it', async () => {
    const { launched, info } = await serve('4');
    try {
      assert.equal(info.pid, launched.child.pid);
      assert.equal(environmentOf(info.pid).get('MALLOC_ARENA_MAX'), '4');
      assert.deepEqual(childrenOf(info.pid), []);
    } finally {
      assert.equal(await launched.stop('SIGINT'), 0, launched.stderr());
    }
    assert.match(launched.stderr(), /shutting down \(SIGINT\)/);
  });
});
