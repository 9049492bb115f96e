// Extended thinking through the Messages door: the client's `thinking` used to be dropped on the way to
// an Anthropic upstream (so no thinking happened), thinking blocks in the answer were dropped, and the
// signed thinking blocks of the history were dropped too, which Anthropic refuses once thinking and
// tools are combined (Claude Code's normal turn). Now all three go through to Anthropic pool models;
// other providers never see them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Anthropic from '@anthropic-ai/sdk';
import { startClaudeAndGpt } from '../../helpers/claude-and-gpt';
import type { TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
let client: Anthropic;
before(async () => {
  ({ d, client } = await startClaudeAndGpt({ tools: true }));
});
after(async () => d.close());

const THINKING = { type: 'enabled' as const, budget_tokens: 1024 };
const ask = (model: string): Anthropic.MessageCreateParamsNonStreaming => ({
  model,
  max_tokens: 2048,
  thinking: THINKING,
  messages: [{ role: 'user', content: 'Is 1 + 1 = 2?' }],
});

test('`thinking` reaches an Anthropic upstream and its signed thinking block reaches the client', async () => {
  d.fakes['claude']!.enqueue({ thinking: 'Adding one and one gives two.', text: 'Yes.' });
  const message = await client.messages.create(ask('claude'));
  const upstream = d.fakes['claude']!.requests.at(-1)!.body as { thinking?: unknown };
  assert.deepEqual(upstream.thinking, THINKING);
  assert.equal(message.content.length, 2);
  const [thought, answer] = message.content;
  assert.equal(thought?.type, 'thinking');
  assert.equal(thought.thinking, 'Adding one and one gives two.');
  assert.match(thought.signature, /^sig_fake_/);
  assert.deepEqual(answer, { type: 'text', text: 'Yes.' });
});

test('streamed: thinking_delta and signature_delta events build the thinking block before the text', async () => {
  d.fakes['claude']!.enqueue({ thinking: 'Adding one and one gives two.', text: 'Yes, it is.' });
  const stream = client.messages.stream({ ...ask('claude'), stream: true });
  const deltas: string[] = [];
  stream.on('streamEvent', (event) => {
    if (event.type === 'content_block_delta') deltas.push(event.delta.type);
  });
  const message = await stream.finalMessage();
  assert.ok(deltas.includes('thinking_delta') && deltas.includes('signature_delta'), deltas.join());
  assert.equal(message.content[0]?.type, 'thinking');
  const thought = message.content[0];
  assert.equal(thought.thinking, 'Adding one and one gives two.');
  assert.match(thought.signature, /^sig_fake_/);
  assert.deepEqual(message.content[1], { type: 'text', text: 'Yes, it is.' });
});

/** A thinking + tool-use turn, as Claude Code sends the next request after running the tool. */
const toolTurn = (model: string): Anthropic.MessageCreateParamsNonStreaming => ({
  model,
  max_tokens: 2048,
  thinking: THINKING,
  tools: [{ name: 'Bash', description: 'run a command', input_schema: { type: 'object', properties: {} } }],
  messages: [
    { role: 'user', content: 'List the files' },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'I should run ls.', signature: 'sig_from_anthropic' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } },
      ],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a.txt' }] },
  ],
});

test("the history's signed thinking blocks go back to Anthropic ahead of the tool_use", async () => {
  await client.messages.create(toolTurn('claude'));
  const body = d.fakes['claude']!.requests.at(-1)!.body as { messages: { role: string; content: unknown[] }[] };
  assert.deepEqual(body.messages[1]!.content, [
    { type: 'thinking', thinking: 'I should run ls.', signature: 'sig_from_anthropic' },
    { type: 'redacted_thinking', data: 'opaque' },
    { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } },
  ]);
});

test('an OpenAI-compatible upstream sees neither `thinking` nor thinking blocks', async () => {
  const message = await client.messages.create(toolTurn('gpt'));
  assert.equal(message.content[0]?.type, 'text');
  const raw = d.fakes['gpt']!.requests.at(-1)!.raw;
  assert.doesNotMatch(raw, /thinking|sig_from_anthropic/);
});

test('a tool turn another pool model answered (no thinking block to send back) goes to Anthropic without `thinking`, not as a 400', async () => {
  // Turn 1 was answered by the OpenAI model: its tool call came back without a thinking block.
  // Anthropic refuses thinking with such a history ("Expected `thinking` … but found `tool_use`").
  const turn = toolTurn('claude');
  const history = turn.messages.map((m) =>
    m.role === 'assistant' && Array.isArray(m.content)
      ? { ...m, content: m.content.filter((b) => b.type === 'tool_use') }
      : m,
  );
  const message = await client.messages.create({ ...turn, messages: history });
  assert.equal(message.content.at(-1)?.type, 'text');
  const body = d.fakes['claude']!.requests.at(-1)!.body as { thinking?: unknown };
  assert.equal(body.thinking, undefined);
  // With the thinking block there, thinking stays on (the test above sends it back).
  await client.messages.create(turn);
  assert.deepEqual((d.fakes['claude']!.requests.at(-1)!.body as { thinking?: unknown }).thinking, THINKING);
});

test("a thinking budget that does not fit under the routed model's max_tokens is lowered to fit", async () => {
  await client.messages.create({
    ...ask('claude'),
    max_tokens: 1500,
    thinking: { type: 'enabled', budget_tokens: 4000 },
  });
  const body = d.fakes['claude']!.requests.at(-1)!.body as { thinking?: { budget_tokens: number }; max_tokens: number };
  assert.equal(body.max_tokens, 1500);
  assert.equal(body.thinking?.budget_tokens, 1499);
});
