// The exact response cache in front of Claude Code's extended thinking (official Anthropic SDK, an
// Anthropic fake upstream that thinks when asked to): a request with `thinking` is another request
// than the same one without, and an answer with signed thinking blocks is not replayed without them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
let client: Anthropic;

before(async () => {
  d = await startTestDaemon({
    rpc: false,
    models: [{ name: 'claude', kind: 'anthropic', config: { capabilities: ['chat'] } }],
    config: { routing: { prefer_local: false }, cache: { exact: true } },
  });
  d.fakes['claude']!.hook = (req) =>
    req.body.thinking ? { thinking: 'Two and two make four.', text: 'Four.' } : { text: 'Four (plain).' };
  client = new Anthropic({ baseURL: d.url, apiKey: 'unused', maxRetries: 0 });
});
after(async () => d.close());

const THINKING = { type: 'enabled' as const, budget_tokens: 1024 };
const ask = (content: string, thinking?: typeof THINKING): Anthropic.MessageCreateParamsNonStreaming => ({
  model: 'claude',
  max_tokens: 2048,
  ...(thinking ? { thinking } : {}),
  messages: [{ role: 'user', content }],
});

test('a request with thinking is not answered from the cached answer of the same request without', async () => {
  const plain = await client.messages.create(ask('What is 2+2?'));
  assert.deepEqual(plain.content, [{ type: 'text', text: 'Four (plain).' }]);
  const calls = d.fakes['claude']!.requests.length;
  const thought = await client.messages.create(ask('What is 2+2?', THINKING));
  assert.equal(d.fakes['claude']!.requests.length, calls + 1, 'went upstream');
  assert.deepEqual(
    thought.content.map((b) => b.type),
    ['thinking', 'text'],
  );
});

test('an answer with thinking blocks is not replayed without them (JSON and streamed)', async () => {
  for (const stream of [false, true]) {
    const question = `What is 3+3? (${stream ? 'streamed' : 'JSON'})`;
    const read = () =>
      stream
        ? client.messages.stream({ ...ask(question, THINKING), stream: true }).finalMessage()
        : client.messages.create(ask(question, THINKING));
    await read();
    const again = await read();
    assert.deepEqual(
      again.content.map((b) => b.type),
      ['thinking', 'text'],
      stream ? 'streamed' : 'JSON',
    );
  }
});
