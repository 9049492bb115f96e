// Connect timeout against a real listener that never completes handshakes: a stopped child process
// whose accept queue is full, so the kernel drops further SYNs and connect() hangs, as with a
// black-holed host. (Linux semantics; the test skips itself where the queue does not fill.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { OpenAICompatibleProvider } from '../../../daemon/providers/openai-compatible';
import { callOptions, modelFor, rejectsWith, request } from './helpers';

function connects(port: number, withinMs: number, keep: net.Socket[]): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    keep.push(socket);
    socket.on('error', () => resolve(false));
    const timer = setTimeout(() => resolve(false), withinMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

test('a connect that never completes fails with a retryable connect error on time', async (t) => {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},function(){console.log(this.address().port)})",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const fillers: net.Socket[] = [];
  try {
    const port = Number(
      await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
    );
    child.kill('SIGSTOP');
    let full = false;
    for (let i = 0; i < 16 && !full; i++) full = !(await connects(port, 150, fillers));
    if (!full) return t.skip('the accept queue never filled on this system');

    const started = Date.now();
    await rejectsWith(
      new OpenAICompatibleProvider().chat(
        modelFor('openai', `http://127.0.0.1:${port}/v1`),
        request('x'),
        callOptions({ connectTimeoutMs: 200, firstByteTimeoutMs: 5_000 }),
      ),
      { phase: 'connect', retryable: true },
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 190 && elapsed < 2_000, `connect timeout after ${elapsed} ms`);
  } finally {
    for (const s of fillers) s.destroy();
    child.kill('SIGKILL');
  }
});
