// Repeating a prompt through `auto` is not a user's verdict on the answer. A real daemon (sql.js
// store, HTTP on loopback), fake upstreams, the official openai client as programs send requests.
// Before: 30 identical requests recorded 29 "implicit:regenerate" 2-star ratings (a health check, a
// batch job, clients sharing a prompt), which moved routing for unrelated prompts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { FeedbackStats } from '../../../shared/api';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;

before(async () => {
  d = await startTestDaemon({ rpc: false });
});
after(async () => d.close());

async function regenerates(): Promise<number> {
  const stats = (await (await fetch(`${d.url}/v1/feedback/stats`)).json()) as FeedbackStats;
  return stats.by_source['implicit:regenerate'] ?? 0;
}

test('a batch job sending "ping" 30 times, then 5 at once, records no implicit rating', async () => {
  const client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'batch-job', maxRetries: 0 });
  const ping = { model: 'auto', messages: [{ role: 'user' as const, content: 'ping' }] };
  for (let i = 0; i < 30; i++) await client.chat.completions.create(ping);
  await Promise.all(Array.from({ length: 5 }, () => client.chat.completions.create(ping)));
  assert.equal(await regenerates(), 0);
});

test('two clients (their own API keys) asking the same prompt record no implicit rating', async () => {
  const ask = (apiKey: string) =>
    new OpenAI({ baseURL: `${d.url}/v1`, apiKey, maxRetries: 0 }).chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
    });
  const before = await regenerates();
  await ask('alice');
  await ask('bob');
  assert.equal(await regenerates(), before);
});
