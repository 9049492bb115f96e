// What a streaming client wakes up to first: the status line, the headers, the role chunk (with the
// routing decision) and the first piece of the answer, in one read, as soon as that piece arrived
// from the upstream; the later pieces follow as the upstream sends them. Read on a raw socket, so
// the test sees TCP reads, not an SDK's reassembled events.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;

before(async () => {
  d = await startTestDaemon({ models: [{ name: 'model-a' }] });
});
after(async () => d.close());

/** Sends a raw streaming request; resolves with every TCP read of the answer, in order. */
function readsOfStream(body: string): Promise<string[]> {
  const { port } = new URL(d.url);
  return new Promise((resolve, reject) => {
    const reads: string[] = [];
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(
        'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => reads.push(text));
    socket.on('end', () => resolve(reads));
    socket.on('error', reject);
  });
}

test('the first read holds the headers, the role chunk with the decision and the first piece; nothing later', async () => {
  // The upstream pauses between its frames, so each later piece can only come in a later read.
  d.fakes['model-a']!.set({ chunks: ['Alpha ', 'Beta ', 'Gamma'], chunkDelayMs: 60 });
  const reads = await readsOfStream(
    JSON.stringify({ model: 'model-a', stream: true, messages: [{ role: 'user', content: 'three words' }] }),
  );
  const first = reads[0] ?? '';
  assert.match(first, /^HTTP\/1\.1 200 /);
  assert.match(first, /x-fugusashi-routing: /i);
  // The client asked to close: the connection ends with the answer (a forced keep-alive held it 65 s).
  assert.match(first, /\r\nconnection: close\r\n/i);
  assert.match(first, /"role":"assistant"/);
  assert.match(first, /"routing_decision":/);
  assert.match(first, /"content":"Alpha "/);
  assert.doesNotMatch(first, /Beta/);
  const all = reads.join('');
  assert.ok(all.indexOf('Beta') > all.indexOf('Alpha') && all.indexOf('Gamma') > all.indexOf('Beta'));
  assert.match(all, /data: \[DONE\]/);
});
