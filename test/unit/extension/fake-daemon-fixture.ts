// The fake daemon (fake-daemon.js, which follows the daemon/main.ts contract) as a test file
// launches it: a launch spec per data directory, short temporary data directories (unix socket
// paths are limited to ~104 bytes), and the cleanup of both after the file's tests.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { isAlive, type LaunchSpec } from '../../../extension/daemon/discovery';

const script = path.join(__dirname, 'fake-daemon.js');

export function fakeDaemonFixture(dirPrefix: string): {
  spec: (dataDir: string, extra?: string[]) => LaunchSpec;
  tempDir: () => string;
  /** Pids of daemons the test started: stopped after the file's tests. */
  started: number[];
} {
  const started: number[] = [];
  const dirs: string[] = [];
  after(() => {
    for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGTERM');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return {
    spec: (dataDir, extra = []) => ({
      execPath: process.execPath,
      script,
      dataDir,
      args: ['--data-dir', dataDir, ...extra],
    }),
    tempDir: () => {
      const d = mkdtempSync(path.join(os.tmpdir(), dirPrefix));
      dirs.push(d);
      return d;
    },
    started,
  };
}
