// Claude Code marks its system prompt and latest turn with `cache_control` so Anthropic reads the
// long, repeated prefix from its prompt cache (a tenth of the input price). Through the daemon those
// marks were dropped, so every turn paid the whole conversation in full. Now a marked request reaches
// an Anthropic upstream with cache breakpoints (last tool, system, last block), an unmarked one without,
// and an OpenAI-compatible upstream never sees either.
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

const EPHEMERAL = { type: 'ephemeral' as const };
const tools: Anthropic.Tool[] = [
  { name: 'Read', description: 'read a file', input_schema: { type: 'object', properties: {} } },
  { name: 'Bash', description: 'run a command', input_schema: { type: 'object', properties: {} } },
];

/** A Claude Code turn: system blocks and the newest user block marked for caching. */
const claudeCodeTurn = (model: string, marked = true): Anthropic.MessageStreamParams => ({
  model,
  max_tokens: 1024,
  tools,
  system: [
    { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
    { type: 'text', text: 'Long instructions…', ...(marked ? { cache_control: EPHEMERAL } : {}) },
  ],
  messages: [
    { role: 'user', content: 'List the files' },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } }] },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: 'a.txt\nb.txt' },
        { type: 'text', text: 'Now read a.txt', ...(marked ? { cache_control: EPHEMERAL } : {}) },
      ],
    },
  ],
});

test('a marked request reaches an Anthropic upstream with breakpoints on the last tool, the system prompt and the last block', async () => {
  await client.messages.stream(claudeCodeTurn('claude')).finalMessage();
  const body = d.fakes['claude']!.requests.at(-1)!.body as {
    tools: { cache_control?: unknown }[];
    system: unknown;
    messages: { content: { type: string; cache_control?: unknown }[] }[];
  };
  assert.deepEqual(body.tools.at(-1)!.cache_control, EPHEMERAL);
  assert.equal(body.tools[0]!.cache_control, undefined);
  assert.ok(Array.isArray(body.system), 'system as blocks');
  const system = body.system as { text: string; cache_control?: unknown }[];
  assert.match(system[0]!.text, /You are Claude Code[\s\S]*Long instructions/);
  assert.deepEqual(system.at(-1)!.cache_control, EPHEMERAL);
  const last = body.messages.at(-1)!.content.at(-1)!;
  assert.equal(last.type, 'text');
  assert.deepEqual(last.cache_control, EPHEMERAL);
});

test('an unmarked request gets no breakpoints; an OpenAI-compatible upstream never sees cache fields', async () => {
  await client.messages.stream(claudeCodeTurn('claude', false)).finalMessage();
  const plain = JSON.stringify(d.fakes['claude']!.requests.at(-1)!.body);
  assert.doesNotMatch(plain, /cache_control/);

  await client.messages.stream(claudeCodeTurn('gpt')).finalMessage();
  const openai = JSON.stringify(d.fakes['gpt']!.requests.at(-1)!.body);
  assert.doesNotMatch(openai, /cache_control|prompt_cache/);
});
