// The exact response cache on a real daemon over real HTTP (official openai client), with loopback
// fake upstreams: hits as JSON and SSE marked in routing_decision, per-request control (headers and
// the body extension), the temperature rule, stats, LRU and TTL bounds, invalidation when a model's
// config changes, and entries that survive a restart of the daemon.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import type { UsageStats } from '../../../shared/api';
import type { FugusashiConfig } from '../../../shared/config';
import type { RoutingDecision } from '../../../shared/openai';
import { startDaemon, type RunningDaemon } from '../../../daemon/main';
import { startFakeOpenAI, type FakeUpstream } from '../../fakes';
import { makeTempDir } from '../../helpers/daemon';

let up: FakeUpstream;
let dir: string;
let configPath: string;
let daemon: RunningDaemon;
let client: OpenAI;
const log: string[] = [];

function config(cache: FugusashiConfig['cache'], upstreamModel = 'gpt-4o-mini'): FugusashiConfig {
  return {
    models: [
      {
        name: 'mini',
        provider: 'openai',
        model: upstreamModel,
        api_base: up.url,
        capabilities: ['chat'],
        cost_per_input_token: 1e-6,
        cost_per_output_token: 2e-6,
      },
    ],
    routing: { strategies: ['cost', 'fallback'], exploration_rate: 0 },
    server: { host: '127.0.0.1', port: 0, data_dir: dir },
    cache,
  };
}

async function start(): Promise<void> {
  daemon = await startDaemon({ configPath, env: {}, rpc: false, log: (l) => log.push(l) });
  client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: 'unused', maxRetries: 0 });
}

before(async () => {
  up = await startFakeOpenAI({ models: ['gpt-4o-mini', 'gpt-4o-mini-2'] });
  dir = makeTempDir('fugu-cache-');
  configPath = path.join(dir, 'config.yaml');
  writeFileSync(configPath, stringify(config({ exact: true, max_entries: 50 })));
  await start();
});
after(async () => {
  await daemon.close();
  await up.close();
  rmSync(dir, { recursive: true, force: true });
});

type Decided = { routing_decision: RoutingDecision };

async function ask(content: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const answer = await client.chat.completions.create(
    { model: 'auto', messages: [{ role: 'user', content }], ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming,
    { headers },
  );
  return {
    text: answer.choices[0]?.message.content,
    decision: (answer as unknown as Decided).routing_decision,
    usage: answer.usage,
  };
}

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the same request twice: the second is answered from the cache, marked, without an upstream call', async () => {
  up.reset();
  const first = await ask('What is the capital of France?');
  assert.equal(first.decision.strategy, 'cost');
  const second = await ask('What is the capital of France?');
  assert.equal(up.requests.length, 1);
  assert.equal(second.text, first.text);
  assert.equal(second.decision.strategy, 'cache');
  assert.equal(second.decision.model, 'mini');
  assert.equal(second.decision.cache?.kind, 'exact');
  assert.equal(second.decision.cache?.similarity, 1);
  assert.match(second.decision.cache.entry_id, /^cache-[0-9a-f]{16}$/);
  assert.ok(second.decision.cache.age_s >= 0);
  assert.ok(second.decision.cache.saved_usd > 0);
  assert.deepEqual(second.usage, first.usage);
  // Whitespace around a message and CRLF do not make a different request.
  const third = await ask('  What is the capital of France?\r\n');
  assert.equal(third.decision.strategy, 'cache');
});

test('a hit streams back as SSE when stream: true; a streamed miss is stored too', async () => {
  up.reset();
  await ask('Name three primes.');
  const stream = await client.chat.completions.create({
    model: 'auto',
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Name three primes.' }],
  });
  let text = '';
  let decision: RoutingDecision | undefined;
  let usage: unknown = null;
  for await (const chunk of stream) {
    decision ??= (chunk as unknown as Partial<Decided>).routing_decision;
    text += chunk.choices[0]?.delta.content ?? '';
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(up.requests.length, 1);
  assert.equal(decision?.strategy, 'cache');
  assert.equal(text, 'fake answer from gpt-4o-mini to: Name three primes.');
  assert.ok(usage);

  const live = await client.chat.completions.create({
    model: 'auto',
    stream: true,
    messages: [{ role: 'user', content: 'Stream me first' }],
  });
  for await (const chunk of live) void chunk;
  const after = await ask('Stream me first');
  assert.equal(up.requests.length, 2);
  assert.equal(after.decision.strategy, 'cache');
  assert.equal(after.text, 'fake answer from gpt-4o-mini to: Stream me first');
});

test('Cache-Control: no-cache skips the read but stores; no-store and the body extension neither read nor store', async () => {
  up.reset();
  await ask('control me');
  const fresh = await ask('control me', {}, { 'cache-control': 'no-cache' });
  assert.equal(fresh.decision.strategy, 'cost');
  assert.equal(up.requests.length, 2);
  assert.equal((await ask('control me', {}, { 'cache-control': 'no-store' })).decision.strategy, 'cost');
  assert.equal((await ask('never stored', { cache: 'no-store' })).decision.strategy, 'cost');
  assert.equal((await ask('never stored')).decision.strategy, 'cost');
  assert.equal(up.requests.length, 5);
  // The extension is not sent upstream.
  assert.equal((up.requests[3]!.body as Record<string, unknown>)['cache'], undefined);
});

test('temperature > 0 is not cached unless the request opts in with "cache": "force"', async () => {
  up.reset();
  await ask('be creative', { temperature: 0.8 });
  assert.equal((await ask('be creative', { temperature: 0.8 })).decision.strategy, 'cost');
  await ask('be creative twice', { temperature: 0.8, cache: 'force' });
  assert.equal((await ask('be creative twice', { temperature: 0.8, cache: 'force' })).decision.strategy, 'cache');
  // Different sampling parameters are a different request.
  assert.equal((await ask('be creative twice', { temperature: 0.9, cache: 'force' })).decision.strategy, 'cost');
});

test('/v1/stats counts hits with the money and time they saved; the trace shows the hit', async () => {
  const stats = (await (await fetch(`${daemon.url}/v1/stats`)).json()) as UsageStats;
  assert.ok(stats.cache, 'stats.cache present');
  assert.ok(stats.cache.hits >= 5, JSON.stringify(stats.cache));
  assert.ok(stats.cache.saved_usd > 0 && stats.cache.saved_ms > 0);
  assert.ok(stats.per_strategy.some((s) => s.strategy === 'cache'));
});

test('entries survive a restart of the daemon', async () => {
  await ask('remember me across restarts');
  await daemon.close();
  up.reset();
  await start();
  const again = await ask('remember me across restarts');
  assert.equal(again.decision.strategy, 'cache');
  assert.equal(up.requests.length, 0);
});

test("a model's entries are invalidated when its config changes", async () => {
  await ask('invalidate me');
  assert.equal((await ask('invalidate me')).decision.strategy, 'cache');
  writeFileSync(configPath, stringify(config({ exact: true, max_entries: 50 }, 'gpt-4o-mini-2')));
  await until(() => log.some((l) => l.startsWith('config reloaded')));
  up.reset();
  const after = await ask('invalidate me');
  assert.equal(after.decision.strategy, 'cost');
  assert.equal(up.requests.length, 1);
});

test('the size bound evicts the least recently used entry; the TTL expires entries', async () => {
  const reloads = log.filter((l) => l.startsWith('config reloaded')).length;
  writeFileSync(configPath, stringify(config({ exact: true, max_entries: 2, ttl_s: 1.5 }, 'gpt-4o-mini-2')));
  await until(() => log.filter((l) => l.startsWith('config reloaded')).length > reloads);
  await ask('lru one');
  await ask('lru two');
  assert.equal((await ask('lru one')).decision.strategy, 'cache'); // one is now the most recently used
  await ask('lru three'); // evicts two
  assert.equal((await ask('lru one')).decision.strategy, 'cache');
  assert.equal((await ask('lru two')).decision.strategy, 'cost');
  await new Promise((r) => setTimeout(r, 1600));
  assert.equal((await ask('lru one')).decision.strategy, 'cost');
});
