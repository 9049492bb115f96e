// The OpenAI-compatible adapter reads the SSE body in one loop (chunk queue → synchronous parser →
// JSON), with no generator per event. Over a real socket, an upstream whose bytes arrive split at
// awkward places (inside `data:`, inside a multi-byte character, between CR and LF, several events
// in one write, no blank line after the last event) must still give every chunk, in order, once.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { OpenAICompatibleProvider } from '../../../daemon/providers/openai-compatible';
import { callOptions, collect, modelFor, rejectsWith, request, textOf } from './helpers';

const servers: http.Server[] = [];
after(() => servers.forEach((s) => s.close()));

/** An upstream that sends `pieces` as separate writes, a few milliseconds apart (separate TCP reads). */
async function upstream(pieces: readonly Buffer[]): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const next = (): void => {
        if (i === pieces.length) return void res.end();
        res.write(pieces[i++]);
        setTimeout(next, 3);
      };
      next();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

function event(content: string | null, finish: string | null = null): string {
  const delta = content === null ? {} : { content };
  return `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta, finish_reason: finish }] })}`;
}

/** Cuts `text`'s UTF-8 bytes at the given byte offsets. */
function cut(text: string, at: number[]): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const bounds = [0, ...at, bytes.length];
  return bounds.slice(1).map((end, i) => bytes.subarray(bounds[i], end));
}

const provider = new OpenAICompatibleProvider();

test('SSE split inside fields, inside a multi-byte character and between CR and LF: every chunk once, in order', async () => {
  const words = ['Grüße ', 'aus ', '東京 ', 'und ', '🦊.'];
  const text = [
    ': a comment line\r\n\r\n',
    ...words.map((w) => `${event(w)}\r\n\r\n`),
    `${event(null, 'stop')}\n\n`,
    'data: [DONE]\n\n',
  ].join('');
  const bytes = Buffer.from(text, 'utf8');
  // Every 7th byte, which lands inside `data:`, inside the JSON, inside ü, 東 and 🦊, and between \r and \n.
  const offsets = Array.from({ length: Math.floor(bytes.length / 7) }, (_, i) => (i + 1) * 7).filter(
    (o) => o < bytes.length,
  );
  const url = await upstream(cut(text, offsets));
  const chunks = await collect(
    provider.chatStream(modelFor('openai', url), request('hi', { stream: true }), callOptions()),
  );
  assert.equal(textOf(chunks), words.join(''));
  assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'stop');
  assert.equal(chunks.length, words.length + 1);
});

test('several events in one write and no blank line after the last: nothing lost, nothing doubled', async () => {
  const url = await upstream([
    Buffer.from(`${event('one ')}\n\n${event('two ')}\n\n${event('three')}\n\n`),
    Buffer.from(`${event(null, 'stop')}\n`),
  ]);
  const chunks = await collect(
    provider.chatStream(modelFor('openai', url), request('hi', { stream: true }), callOptions()),
  );
  assert.equal(textOf(chunks), 'one two three');
  assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'stop');
});

test('an event that is not JSON, split across reads, is a stream error (not a crash, not a clean end)', async () => {
  const url = await upstream(cut(`${event('fine ')}\n\ndata: {"choices": [ oops\n\n`, [30, 70]));
  const got: string[] = [];
  await rejectsWith(
    (async () => {
      for await (const c of provider.chatStream(
        modelFor('openai', url),
        request('hi', { stream: true }),
        callOptions(),
      ))
        got.push(c.choices[0]?.delta.content ?? '');
    })(),
    { phase: 'stream', retryable: false },
  );
  assert.deepEqual(got, ['fine ']);
});
