// Prompt-cache hits are what make Claude Code affordable: most of each turn's input is read from the
// upstream's cache at a tenth of the price. The daemon dropped those counts: the Messages door always said
// `cache_read_input_tokens: 0`, the OpenAI and Responses doors `cached_tokens` 0 / nothing, and every
// cached token was priced as a fresh one. Now the upstream's counts (Anthropic's cache_read /
// cache_creation_input_tokens, OpenAI's prompt_tokens_details.cached_tokens) reach every door, and cache
// reads cost the model's cached-input price (the full input price when it has none). Anthropic bills cache
// writes above fresh input (1.25× with the 5-minute lifetime, 2× with the 1-hour one): they were priced as
// fresh input, so a Claude Code session that writes its growing prefix every turn was under-counted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { DecisionRow } from '../../../shared/api';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

const IN = 1e-6;
const CACHED_IN = 1e-7;
const OUT = 2e-6;

let d: TestDaemon;
let claude: Anthropic;
let openai: OpenAI;
before(async () => {
  const prices = { cost_per_input_token: IN, cost_per_output_token: OUT, capabilities: ['chat'] };
  d = await startTestDaemon({
    rpc: false,
    models: [
      { name: 'claude', kind: 'anthropic', config: { ...prices, cost_per_cached_input_token: CACHED_IN } },
      { name: 'gpt', config: { ...prices, cost_per_cached_input_token: CACHED_IN } },
      { name: 'gpt-no-cache-price', config: prices },
    ],
  });
  claude = new Anthropic({ baseURL: d.url, apiKey: 'unused', maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => d.close());

/** The stored record of a request (records are written just after the answer leaves). */
async function recorded(id: string): Promise<DecisionRow> {
  for (let i = 0; i < 100; i++) {
    const list = (await (await fetch(`${d.url}/v1/routing/decisions?limit=20`)).json()) as { data: DecisionRow[] };
    const row = list.data.find((r) => r.request_id === id);
    if (row) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no record of ${id}`);
}

const near = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `cost ${actual} should be ${expected}`);

// 1000 input tokens: 800 read from the cache, 100 written to it, 100 fresh; 10 output tokens.
const usage = { prompt: 1000, completion: 10, cacheRead: 800, cacheCreation: 100 };
const ask = (model: string): Anthropic.MessageCreateParamsNonStreaming => ({
  model,
  max_tokens: 100,
  messages: [{ role: 'user', content: 'hello again' }],
});

test('Anthropic upstream → Messages door: cache reads and writes reported apart, reads priced as cached, writes at 1.25×', async () => {
  d.fakes['claude']!.enqueue({ text: 'hi', usage });
  const message = await claude.messages.create(ask('claude'));
  assert.equal(message.usage.input_tokens, 100);
  assert.equal(message.usage.cache_read_input_tokens, 800);
  assert.equal(message.usage.cache_creation_input_tokens, 100);
  assert.equal(message.usage.output_tokens, 10);
  const row = await recorded(message.id);
  near(row.cost_usd, 100 * IN + 100 * 1.25 * IN + 800 * CACHED_IN + 10 * OUT);
  // The stored record keeps the split its cost was computed from (before: prompt/completion only).
  const split = { cached_tokens: 800, cache_creation_tokens: 100 };
  assert.deepEqual(row.usage?.prompt_tokens_details, split);
  const trace = (await (await fetch(`${d.url}/v1/trace/${message.id}`)).json()) as DecisionRow;
  assert.deepEqual(trace.usage?.prompt_tokens_details, split);

  d.fakes['claude']!.enqueue({ text: 'hi there', usage });
  const streamed = await claude.messages.stream(ask('claude')).finalMessage();
  assert.equal(streamed.usage.input_tokens, 100);
  assert.equal(streamed.usage.cache_read_input_tokens, 800);
  assert.equal(streamed.usage.cache_creation_input_tokens, 100);
  const streamedRow = await recorded(streamed.id);
  near(streamedRow.cost_usd, 100 * IN + 100 * 1.25 * IN + 800 * CACHED_IN + 10 * OUT);
  assert.deepEqual(streamedRow.usage?.prompt_tokens_details, split);
});

test("1-hour cache writes: Anthropic's split reaches the Messages door and they cost 2× input", async () => {
  const withHour = { ...usage, cacheCreation1h: 60 };
  d.fakes['claude']!.enqueue({ text: 'hi', usage: withHour });
  const message = await claude.messages.create(ask('claude'));
  assert.equal(message.usage.cache_creation_input_tokens, 100);
  assert.deepEqual(message.usage.cache_creation, { ephemeral_5m_input_tokens: 40, ephemeral_1h_input_tokens: 60 });
  const cost = 100 * IN + 40 * 1.25 * IN + 60 * 2 * IN + 800 * CACHED_IN + 10 * OUT;
  near((await recorded(message.id)).cost_usd, cost);

  // A stream reports the split in message_delta (the SDK's finalMessage keeps only the totals from it).
  d.fakes['claude']!.enqueue({ text: 'hi there', usage: withHour });
  const stream = claude.messages.stream(ask('claude'));
  let split: unknown;
  for await (const event of stream) {
    if (event.type === 'message_delta') split = (event.usage as { cache_creation?: unknown }).cache_creation;
  }
  assert.deepEqual(split, { ephemeral_5m_input_tokens: 40, ephemeral_1h_input_tokens: 60 });
  near((await recorded((await stream.finalMessage()).id)).cost_usd, cost);
});

test('/v1/models shows the cache-write prices of an Anthropic model', async () => {
  const list = (await (await fetch(`${d.url}/v1/models`)).json()) as {
    data: { id: string; cost_per_cache_write_token?: number; cost_per_cache_write_1h_token?: number }[];
  };
  const entry = list.data.find((m) => m.id === 'claude');
  assert.ok(entry);
  near(entry.cost_per_cache_write_token!, 1.25 * IN);
  near(entry.cost_per_cache_write_1h_token!, 2 * IN);
  assert.equal(list.data.find((m) => m.id === 'gpt')?.cost_per_cache_write_token, undefined);
});

test('OpenAI upstream → Messages door: cached_tokens become cache_read_input_tokens', async () => {
  d.fakes['gpt']!.enqueue({ text: 'hi', usage: { prompt: 1000, completion: 10, cacheRead: 600 } });
  const message = await claude.messages.create(ask('gpt'));
  assert.equal(message.usage.input_tokens, 400);
  assert.equal(message.usage.cache_read_input_tokens, 600);
  assert.equal(message.usage.cache_creation_input_tokens, 0);
  near((await recorded(message.id)).cost_usd, 400 * IN + 600 * CACHED_IN + 10 * OUT);
});

test('OpenAI door: prompt_tokens_details.cached_tokens passes through, streamed and not', async () => {
  d.fakes['gpt']!.enqueue({ text: 'hi', usage: { prompt: 1000, completion: 10, cacheRead: 600 } });
  const completion = await openai.chat.completions.create({
    model: 'gpt',
    messages: [{ role: 'user', content: 'hello again' }],
  });
  assert.equal(completion.usage?.prompt_tokens, 1000);
  assert.equal(completion.usage?.prompt_tokens_details?.cached_tokens, 600);

  d.fakes['claude']!.enqueue({ text: 'hi', usage });
  const stream = await openai.chat.completions.create({
    model: 'claude',
    messages: [{ role: 'user', content: 'hello again' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let last: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) if (chunk.usage) last = chunk.usage;
  assert.equal(last?.prompt_tokens, 1000);
  assert.equal(last?.prompt_tokens_details?.cached_tokens, 800);
});

test('Responses door: input_tokens_details.cached_tokens is the upstream count', async () => {
  d.fakes['claude']!.enqueue({ text: 'hi', usage });
  const response = await openai.responses.create({ model: 'claude', input: 'hello again' });
  assert.equal(response.usage?.input_tokens, 1000);
  assert.equal(response.usage?.input_tokens_details.cached_tokens, 800);
});

test('a model with no cached-input price pays its input price for cached tokens', async () => {
  d.fakes['gpt-no-cache-price']!.enqueue({ text: 'hi', usage: { prompt: 1000, completion: 10, cacheRead: 600 } });
  const message = await claude.messages.create(ask('gpt-no-cache-price'));
  assert.equal(message.usage.cache_read_input_tokens, 600);
  near((await recorded(message.id)).cost_usd, 1000 * IN + 10 * OUT);
});
