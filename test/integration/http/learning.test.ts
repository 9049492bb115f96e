// The feedback loop end to end through the HTTP door, with the real learner (bundled offline
// embeddings): seed rows make the similarity strategy pick the cheap model; one bad rating of its
// answer changes the next decision for that prompt, with no retrain.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DaemonHealth } from '../../../shared/api';
import type { ChatCompletion, RoutingDecision } from '../../../shared/openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${d.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as T;
}

before(async () => {
  d = await startTestDaemon({
    models: [
      {
        name: 'cheap',
        config: { cost_per_input_token: 0.0000001, cost_per_output_token: 0.0000001, capabilities: ['chat', 'code'] },
      },
      {
        name: 'dear',
        config: { cost_per_input_token: 0.000005, cost_per_output_token: 0.00005, capabilities: ['chat', 'code'] },
      },
    ],
    config: {
      default_model: 'cheap',
      routing: { strategies: ['similarity', 'cost', 'fallback'], prefer_local: false },
    },
    rpc: false,
  });
  // The learner loads its embedding model in the background; wait until it is ready.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const health = (await (await fetch(`${d.url}/health`)).json()) as DaemonHealth;
    if (health.embeddings === 'ready') break;
    if (health.embeddings === 'failed' || Date.now() > deadline) throw new Error(`embeddings: ${health.embeddings}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});
after(async () => d.close());

test('a rating changes the next decision for that prompt', async () => {
  const prompts = [
    'Write a Python function that reverses a linked list.',
    'Implement binary search in Python and explain its complexity.',
    'Fix this Python code: def add(a, b): return a - b',
    'Write a Python class for a stack with push and pop.',
    'How do I read a CSV file in Python with the csv module?',
    'Write a Python generator that yields Fibonacci numbers.',
  ];
  const rows = prompts.flatMap((prompt) => [
    { prompt, model: 'cheap', score: 0.9 },
    { prompt, model: 'dear', score: 0.92 },
  ]);
  assert.deepEqual(await post('/v1/routing/training', rows), {
    added: rows.length,
    already_imported: 0,
    status: 'ok',
    indexed: rows.length,
  });

  const prompt = 'Write a Python function that merges two sorted lists.';
  const messages = [{ role: 'user', content: prompt }];
  const first = await post<RoutingDecision>('/v1/routing/route', { messages });
  assert.equal(first.strategy, 'similarity', first.explanation);
  assert.equal(first.model, 'cheap', first.explanation);

  const answer = await post<ChatCompletion>('/v1/chat/completions', { model: 'auto', messages });
  assert.equal(answer.model, 'cheap');
  await post('/v1/feedback/rate', { request_id: answer.id, rating: 1 });

  const next = await post<RoutingDecision>('/v1/routing/route', { messages });
  assert.equal(next.model, 'dear', next.explanation);
});
