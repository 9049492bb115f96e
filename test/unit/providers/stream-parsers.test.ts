// SSE and NDJSON parsing across arbitrary chunk boundaries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNdjsonLines } from '../../../daemon/providers/transport/ndjson';
import { parseSse, type SseEvent } from '../../../daemon/providers/transport/sse';
import { extractUpstreamMessage } from '../../../daemon/providers/transport/errors';

async function* chunksOf(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const sseText =
  ': keep-alive comment\n' +
  'event: message_start\ndata: {"a":1}\n\n' +
  'data: line one\ndata: line two\n\n' +
  'event: ping\r\ndata: {}\r\n\r\n' +
  'data: {"text":"héllo 🐡"}\n\n' +
  'data: [DONE]';

test('SSE: events, multi-line data, CRLF, comments, UTF-8 split across chunks, no final blank line', async () => {
  const expected: SseEvent[] = [
    { event: 'message_start', data: '{"a":1}' },
    { event: undefined, data: 'line one\nline two' },
    { event: 'ping', data: '{}' },
    { event: undefined, data: '{"text":"héllo 🐡"}' },
    { event: undefined, data: '[DONE]' },
  ];
  for (const size of [1, 2, 3, 7, 64, 10_000]) {
    assert.deepEqual(await all(parseSse(chunksOf(sseText, size))), expected, `chunk size ${size}`);
  }
});

test('SSE: a leading byte order mark is dropped, at any chunk size, and only at the start', async () => {
  // The SSE rules drop one leading U+FEFF; without that the first line's field would read as
  // "\uFEFFdata" and its event would be lost. A U+FEFF later in the stream is data.
  const text = '\uFEFFdata: {"a":1}\n\ndata: \uFEFFkept\n\n';
  const expected: SseEvent[] = [
    { event: undefined, data: '{"a":1}' },
    { event: undefined, data: '\uFEFFkept' },
  ];
  for (const size of [1, 2, 3, 4, 64]) {
    assert.deepEqual(await all(parseSse(chunksOf(text, size))), expected, `chunk size ${size}`);
  }
});

test('NDJSON: lines across chunk boundaries, blank lines skipped, last line without newline', async () => {
  const text = '{"a":1}\n\n{"b":"ü"}\r\n{"c":3}';
  for (const size of [1, 5, 100]) {
    assert.deepEqual(await all(parseNdjsonLines(chunksOf(text, size))), ['{"a":1}', '{"b":"ü"}', '{"c":3}']);
  }
});

test('upstream messages are read from each provider error body', () => {
  assert.equal(extractUpstreamMessage('{"error":{"message":"m1","type":"x"}}'), 'm1');
  assert.equal(extractUpstreamMessage('{"type":"error","error":{"type":"x","message":"m2"}}'), 'm2');
  assert.equal(extractUpstreamMessage('{"error":"m3"}'), 'm3');
  assert.equal(extractUpstreamMessage('{"object":"error","message":"m4"}'), 'm4');
  assert.equal(extractUpstreamMessage('{"detail":"m5"}'), 'm5');
  assert.equal(extractUpstreamMessage('Bad Gateway'), 'Bad Gateway');
  assert.equal(extractUpstreamMessage(''), undefined);
});
