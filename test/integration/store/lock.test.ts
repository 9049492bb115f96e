// One daemon per data directory, across real processes: a second process fails with the clear
// message and exit code 3; after the first is killed with -9 its stale lock is taken over.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

const OPENER = path.join(__dirname, '../../fixtures/store/open-store.ts');
const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-lock-it-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function openOnce(): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', OPENER, dir, 'once'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test(
  'a second process on the same data directory stops with a clear message; a stale lock is taken over',
  { timeout: 60_000 },
  async () => {
    const holder = spawn(process.execPath, ['--import', 'tsx', OPENER, dir, 'hold'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const pid = await new Promise<number>((resolve, reject) => {
        let out = '';
        holder.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /ready (\d+)/.exec(out);
          if (match) resolve(Number(match[1]));
        });
        holder.on('exit', () => reject(new Error(`holder exited early: ${out}`)));
      });
      assert.equal(pid, holder.pid);

      const second = openOnce();
      assert.equal(second.status, 3, second.stderr);
      assert.equal(second.stdout, '');
      assert.match(second.stderr, new RegExp(`Another Fugusashi daemon \\(pid ${pid}\\) is using this data directory`));
      assert.match(second.stderr, new RegExp(`kill ${pid}`));

      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('close', resolve));
      const third = openOnce();
      assert.equal(third.status, 0, third.stderr);
      assert.equal(third.stdout, 'opened\n');
    } finally {
      holder.kill('SIGKILL');
    }
  },
);
