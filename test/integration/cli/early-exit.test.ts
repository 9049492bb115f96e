// The daemon as a real process (`node dist/cli.js serve`), stopped before it got going: Ctrl-C
// right after start, and a start on a port that is already taken. Both must end with the right
// message and a clean exit code — not a crash of the learner reading a store that the shutdown
// had already closed ("Error: out of memory" from sql.js, issue 13).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DAEMON_FILE } from '../../../shared/daemon';
import { CLI_BUNDLE, makeTempDir, requireCliBundle, writeConfigWithIdleModel } from '../../helpers/daemon';

/** Text that only a crash prints: an uncaught error's name line or a stack frame. */
const CRASH = /out of memory|Uncaught|^\s+at .+:\d+:\d+\)?$|^\w*Error: /m;

let dir: string;
let configPath: string;

before(() => {
  requireCliBundle();
  dir = makeTempDir('fugu-early-');
  configPath = path.join(dir, 'config.yaml');
  writeConfigWithIdleModel(configPath, {
    // The learned strategy loads the embedder and then the stored outcomes: the step that
    // used to run after the store was closed.
    routing: { strategies: ['learned', 'cost', 'fallback'] },
    server: { port: 0, data_dir: path.join(dir, 'data') },
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs `fugusashi serve ARGS`; `onOutput` sees the output as it grows (to send a signal). */
function serve(args: string[], onOutput?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Exit> {
  const child = spawn(process.execPath, [CLI_BUNDLE, 'serve', '--config', configPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const grow = (d: Buffer): void => {
    output += d.toString();
    onOutput?.(output, child);
  };
  child.stdout.on('data', grow);
  child.stderr.on('data', grow);
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, output });
    }),
  );
}

describe('stopping the daemon early', () => {
  test('a port in use: the message, exit code 1, no crash', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const exit = await serve(['--port', String(port)]);
      assert.match(exit.output, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.doesNotMatch(exit.output, CRASH, exit.output);
      assert.equal(exit.signal, null, exit.output);
      assert.equal(exit.code, 1, exit.output);
      assert.equal(existsSync(path.join(dir, 'data', DAEMON_FILE)), false);
    } finally {
      busy.close();
    }
  });

  test('Ctrl-C right after start: a clean shutdown, exit code 0, no crash', async () => {
    let sent = false;
    const exit = await serve([], (text, child) => {
      // The first log line: the process runs our code, the store and the learner are not up yet.
      if (!sent && /Loaded config/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    assert.ok(sent, exit.output);
    assert.doesNotMatch(exit.output, CRASH, exit.output);
    assert.match(exit.output, /shutting down \(SIGINT\)/);
    assert.equal(exit.signal, null, exit.output);
    assert.equal(exit.code, 0, exit.output);
    assert.equal(existsSync(path.join(dir, 'data', DAEMON_FILE)), false, 'daemon.json removed');
  });

  test('Ctrl-C once it listens, while the learner still loads: exit code 0, no crash', async () => {
    let sent = false;
    const exit = await serve([], (text, child) => {
      if (!sent && /\bready: pid \d+/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    assert.ok(sent, exit.output);
    assert.doesNotMatch(exit.output, CRASH, exit.output);
    assert.equal(exit.code, 0, exit.output);
  });
});
