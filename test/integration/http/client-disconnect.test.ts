// The HTTP doors' cancellation (ClientDisconnect) behaves as the AbortSignal it replaces, on real sockets:
// a client that leaves before its answer finished aborts it once, with each listener run once in
// the order added; a finished answer's connection closing aborts nothing.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ClientDisconnect } from '../../../daemon/http/client-disconnect';

async function serve(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

test('a client that leaves before the answer finished aborts it: each listener once, in order, late ones never', async () => {
  const calls: string[] = [];
  let signal: ClientDisconnect | undefined;
  const aborted = new Promise<void>((resolve) => {
    void serve((_req, res) => {
      signal = new ClientDisconnect(res);
      const first = (): void => void calls.push(`first aborted=${String(signal!.aborted)}`);
      const removed = (): void => void calls.push('removed');
      signal.addEventListener('abort', first, { once: true });
      signal.addEventListener('abort', first); // added twice: runs once, as on an EventTarget
      signal.addEventListener('abort', removed);
      signal.addEventListener('abort', () => {
        calls.push('second');
        resolve();
      });
      signal.removeEventListener('abort', removed);
      res.write('partial answer');
    }).then((s) => {
      const req = http.get(s.url, (res) => res.once('data', () => req.destroy()));
      req.on('error', () => undefined);
      void aborted.then(() => s.close());
    });
  });
  await aborted;
  assert.deepEqual(calls, ['first aborted=true', 'second']);
  assert.equal(signal!.aborted, true);
  assert.match(String(signal!.reason), /client disconnected/);
  signal!.addEventListener('abort', () => calls.push('late'));
  assert.deepEqual(calls, ['first aborted=true', 'second'], 'a listener added after the abort never runs');
});

test('a finished answer is not aborted when its connection closes afterwards', async () => {
  let signal: ClientDisconnect | undefined;
  let closed!: () => void;
  const connectionClosed = new Promise<void>((r) => (closed = r));
  const s = await serve((_req, res) => {
    signal = new ClientDisconnect(res);
    res.once('close', () => setImmediate(closed));
    res.end('whole answer');
  });
  try {
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get(s.url, { agent: false, headers: { connection: 'close' } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    assert.equal(body, 'whole answer');
    await connectionClosed;
    assert.equal(signal!.aborted, false);
  } finally {
    await s.close();
  }
});
