// Join-or-start against real processes, files and unix sockets (a fake daemon that follows the
// daemon/main.ts contract; the real daemon is exercised in test/vscode).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseDaemonFlags } from '../../../daemon/main';
import { daemonArgs, isAlive, isZombie, joinOrStart, readDaemonFile } from '../../../extension/daemon/discovery';
import { fakeDaemonFixture } from './fake-daemon-fixture';

const { spec, tempDir, started } = fakeDaemonFixture('fgd-');

describe('joinOrStart', () => {
  it('starts a detached daemon, then a second window joins the same one', async () => {
    const dataDir = tempDir();
    const first = await joinOrStart(spec(dataDir), { timeoutMs: 10_000 });
    started.push(first.info.pid);
    assert.equal(first.started, true);
    assert.ok(isAlive(first.info.pid));
    const second = await joinOrStart(spec(dataDir), { timeoutMs: 10_000 });
    assert.equal(second.started, false);
    assert.equal(second.info.pid, first.info.pid);
    first.socket.destroy();
    second.socket.destroy();
    // Closing the first window's connection does not end the daemon.
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(isAlive(first.info.pid));
  });

  it('two windows racing end up on one daemon (the loser exits with code 3)', async () => {
    const dataDir = tempDir();
    const [a, b] = await Promise.all([
      joinOrStart(spec(dataDir, ['--delay-ms', '300']), { timeoutMs: 10_000 }),
      joinOrStart(spec(dataDir, ['--delay-ms', '300']), { timeoutMs: 10_000 }),
    ]);
    started.push(a.info.pid);
    assert.equal(a.info.pid, b.info.pid);
    assert.equal([a.started, b.started].filter(Boolean).length, 1, 'exactly one window started it');
    a.socket.destroy();
    b.socket.destroy();
  });

  it('replaces a stale daemon.json whose pid is gone (crashed daemon)', async () => {
    const dataDir = tempDir();
    const first = await joinOrStart(spec(dataDir), { timeoutMs: 10_000 });
    first.socket.destroy();
    process.kill(first.info.pid, 'SIGKILL'); // a crash: daemon.json and the lock stay behind
    while (isAlive(first.info.pid)) await new Promise((r) => setTimeout(r, 20));
    assert.ok(await readDaemonFile(dataDir), 'stale file still there');
    const second = await joinOrStart(spec(dataDir), { timeoutMs: 10_000 });
    started.push(second.info.pid);
    assert.equal(second.started, true);
    assert.notEqual(second.info.pid, first.info.pid);
    second.socket.destroy();
  });

  it('starts a daemon when the pid it was waiting for dies during the wait', async () => {
    const dataDir = tempDir();
    // daemon.json names a live process whose socket refuses: a daemon "still starting". It dies
    // while joinOrStart waits for it, as a crashed daemon's pid does just after its socket closed.
    const dying = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((resolve) => dying.once('spawn', resolve));
    writeFileSync(
      path.join(dataDir, 'daemon.json'),
      JSON.stringify({ pid: dying.pid, rpc: { transport: 'unix', path: path.join(dataDir, 'daemon.sock') } }),
    );
    const lines: string[] = [];
    const joining = joinOrStart(spec(dataDir), { timeoutMs: 10_000, log: (l) => lines.push(l) });
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(lines.some((l) => l.includes(`pid ${dying.pid} is running but not accepting yet`)));
    dying.kill('SIGKILL');
    const joined = await joining;
    started.push(joined.info.pid);
    assert.equal(joined.started, true);
    assert.notEqual(joined.info.pid, dying.pid);
    joined.socket.destroy();
  });

  it('restarts the daemon after each of 10 crashes, reconnecting from the socket close as a window does', async () => {
    const dataDir = tempDir();
    let current = await joinOrStart(spec(dataDir), { timeoutMs: 10_000 });
    try {
      for (let crash = 0; crash < 10; crash++) {
        const crashed = current;
        // No waiting for the pid to vanish: a window learns of the crash from the close, and at
        // that moment the killed daemon's pid is often still alive (not yet a zombie).
        const next = new Promise<Awaited<ReturnType<typeof joinOrStart>>>((resolve, reject) => {
          crashed.socket.on('error', () => {});
          crashed.socket.once('close', () => {
            // A bound for a broken build, as the first start's: a busy 2-core machine took over 5 s.
            joinOrStart(spec(dataDir), { timeoutMs: 10_000 }).then(resolve, reject);
          });
        });
        process.kill(crashed.info.pid, 'SIGKILL');
        current = await next;
        assert.equal(current.started, true, `crash ${crash + 1}: a new daemon was started`);
        assert.notEqual(current.info.pid, crashed.info.pid);
      }
    } finally {
      started.push(current.info.pid);
      current.socket.destroy();
    }
  });

  it('fails fast, naming the log, when the daemon exits during start', async () => {
    const dataDir = tempDir();
    const t0 = Date.now();
    await assert.rejects(
      joinOrStart(spec(dataDir, ['--fail']), { timeoutMs: 10_000 }),
      /exited during start \(code 1.*daemon\.log/,
    );
    assert.ok(Date.now() - t0 < 5000);
  });

  it('says why the daemon did not start: the reason it logged (port in use), not only where the log is', async () => {
    const dataDir = tempDir();
    const log = path.join(dataDir, 'daemon.log');
    writeFileSync(log, '2020-01-01T00:00:00.000Z fugusashi: an old start that failed for another reason\n');
    await assert.rejects(
      joinOrStart(spec(dataDir, ['--fail', '--log-file', log]), { timeoutMs: 10_000 }),
      /exited during start \(code 1, signal null\): Port 6060 on 127\.0\.0\.1 is already in use; see .*daemon\.log/,
    );
  });

  it('gives up after the timeout when nothing answers', async () => {
    const dataDir = tempDir();
    // A live pid (this test process) with a socket nobody listens on: "starting", never ready.
    writeFileSync(
      path.join(dataDir, 'daemon.json'),
      JSON.stringify({ pid: process.pid, rpc: { transport: 'unix', path: path.join(dataDir, 'nobody.sock') } }),
    );
    await assert.rejects(joinOrStart(spec(dataDir), { timeoutMs: 600 }), /no daemon answered/);
  });
});

describe('isAlive', () => {
  it('counts an unreaped (zombie) process as dead', { skip: process.platform !== 'linux' }, async () => {
    // The shell starts a short sleep in the background, prints its pid, then becomes a long sleep,
    // which never reaps: the short one exits after the exec and stays a zombie, like a killed daemon
    // under a PID 1 that never reaps.
    const parent = spawn('/bin/sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 20'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(String(d)))));
      let zombie = false;
      for (let i = 0; i < 500 && !zombie; i++) {
        zombie = isZombie(pid);
        if (!zombie) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(zombie, 'the background child became a zombie');
      assert.doesNotThrow(() => process.kill(pid, 0), 'kill(pid, 0) alone would call it alive');
      assert.equal(isAlive(pid), false);
      assert.equal(isAlive(process.pid), true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe('daemonArgs', () => {
  it('passes the CLI flags of daemon/main.ts, routing overrides only when set', () => {
    const args = daemonArgs({ dataDir: '/d', port: 6060, idleShutdownSeconds: 300, configFile: undefined });
    assert.deepEqual(args, [
      '--data-dir',
      '/d',
      '--port',
      '6060',
      '--idle-shutdown-seconds',
      '300',
      '--log-file',
      path.join('/d', 'daemon.log'),
    ]);
    const more = daemonArgs({
      dataDir: '/d',
      port: 0,
      idleShutdownSeconds: 0,
      configFile: '/c.yaml',
      costWeight: 2,
      exploration: 0,
    });
    assert.ok(more.join(' ').includes('--config /c.yaml --cost-weight 2 --exploration-rate 0'));
  });
  it('produces only flags the real daemon accepts (daemon/main.ts parseDaemonFlags)', () => {
    const flags = parseDaemonFlags(
      daemonArgs({
        dataDir: '/d',
        port: 0,
        idleShutdownSeconds: 300,
        configFile: '/c.yaml',
        costWeight: 2.5,
        exploration: 0.1,
      }),
    );
    assert.deepEqual(flags, {
      dataDir: '/d',
      port: 0,
      configPath: '/c.yaml',
      costWeight: 2.5,
      explorationRate: 0.1,
      idleShutdownSeconds: 300,
      logFile: path.join('/d', 'daemon.log'),
    });
  });
});
