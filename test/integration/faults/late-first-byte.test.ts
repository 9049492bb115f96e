// Answers that legitimately start late. A non-streamed answer's first byte is the whole answer (a
// long answer, a slow local model), and a reasoning model thinks before its first content: both
// got a 502 at routing.first_byte_timeout_ms (60 s) and counted as the model's failure. Now they
// wait routing.answer_timeout_ms (600 s by default); a streamed answer of an ordinary model keeps
// the short wait, which finds a hung upstream quickly.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { chat, streamed } from './helpers';

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon({
    rpc: false,
    // Each upstream takes 800 ms before its first byte: over the first-byte wait (300 ms), under
    // the answer's (5 s).
    models: [
      { name: 'slow-chat', fake: { behaviour: { firstByteDelayMs: 800 } } },
      {
        name: 'slow-reasoner',
        config: { model: 'o3' },
        fake: { models: ['o3'], behaviour: { firstByteDelayMs: 800 } },
      },
    ],
    config: {
      default_model: 'slow-chat',
      routing: { prefer_local: false, first_byte_timeout_ms: 300, answer_timeout_ms: 5000 },
    },
  });
});
after(async () => d.close());

test('a non-streamed answer may take longer than the first-byte wait', async () => {
  const reply = await chat(d.url, { model: 'slow-chat' });
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.body.model, 'slow-chat');
});

test("a reasoning model's streamed answer may start later than the first-byte wait", async () => {
  const reply = await chat(d.url, { model: 'slow-reasoner', stream: true });
  assert.equal(reply.status, 200, reply.text);
  assert.equal(streamed(reply.body).error, null, reply.text);
});

test("an ordinary model's streamed answer still fails at the first-byte wait", async () => {
  const reply = await chat(d.url, { model: 'slow-chat', stream: true });
  assert.equal(reply.status, 502, reply.text);
  assert.match(reply.text, /no response within 300 ms/);
});
