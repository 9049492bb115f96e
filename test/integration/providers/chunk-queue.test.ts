// The transport's body reader (providers/transport/chunks.ts, fed by the undici handler) over real
// sockets: every chunk in order for a reader slower than the upstream (the connection is paused, not
// buffered without bound), the end, and a body cut off by the upstream as an error rather than a
// clean end.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { sendRequest } from '../../../daemon/providers/transport/http';
import { ProviderError } from '../../../daemon/providers/types';

const servers: http.Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function get(url: string): Promise<AsyncIterator<Buffer>> {
  const options = { signal: new AbortController().signal, connectTimeoutMs: 5000, firstByteTimeoutMs: 5000 };
  const res = await sendRequest({ provider: 'test', method: 'GET', url, headers: {}, options });
  return res.body;
}

test('a slow reader gets every chunk in order, then the end', async () => {
  const pieces = Array.from({ length: 400 }, (_, i) => `piece ${i};`);
  const url = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let i = 0;
    const next = (): void => {
      // Many separate writes so the client sees many chunks, more than the queue's high-water mark.
      while (i < pieces.length && res.write(pieces[i++]!)) if (i % 7 === 0) return void setImmediate(next);
      if (i < pieces.length) res.once('drain', next);
      else res.end();
    };
    next();
  });
  const queue = await get(url);
  let text = '';
  let chunks = 0;
  for (;;) {
    const next = await queue.next();
    if (next.done) break;
    chunks++;
    text += next.value.toString('utf8');
    // A reader slower than the socket: turns of the event loop between reads.
    if (chunks % 3 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  assert.equal(text, pieces.join(''));
  assert.ok(chunks > 1, `expected several chunks, got ${chunks}`);
  assert.deepEqual(await queue.next(), { done: true, value: undefined });
});

test('a body the upstream cuts off rejects instead of ending cleanly', async () => {
  const url = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
    res.write('only part of it');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  const queue = await get(url);
  const first = await queue.next();
  assert.equal(first.done, false);
  assert.equal(first.value?.toString('utf8'), 'only part of it');
  await assert.rejects(queue.next(), (err: unknown) => err instanceof ProviderError && err.phase === 'stream');
});
