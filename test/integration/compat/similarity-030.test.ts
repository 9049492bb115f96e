// A 0.3.0 user keeps 0.3.0's routing order (`routing.strategies: [similarity, cost, fallback]`), seeds
// the router with 0.3.0's training rows (code prompts that gpt-4o answered well) and asks one of those
// prompts again. 0.3.0's SimilarityRouter "finds similar past prompts and routes to the model that
// worked best": gpt-4o. Before, the similarity strategy abstained with "confidence 0.00" because the
// pool's other models had no ratings, and the cost strategy sent the prompt to gpt-4o-mini.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DaemonHealth } from '../../../shared/api';
import type { RoutingDecision } from '../../../shared/openai';
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
      { name: 'llama3.2-local', kind: 'ollama', config: { capabilities: ['chat', 'reasoning'] } },
      {
        name: 'gpt-4o-mini',
        config: {
          cost_per_input_token: 0.00000015,
          cost_per_output_token: 0.0000006,
          capabilities: ['chat', 'reasoning', 'code', 'writing'],
        },
      },
      {
        name: 'gpt-4o',
        config: {
          cost_per_input_token: 0.0000025,
          cost_per_output_token: 0.00001,
          capabilities: ['chat', 'reasoning', 'code', 'writing'],
        },
      },
    ],
    config: {
      default_model: 'llama3.2-local',
      routing: { strategies: ['similarity', 'cost', 'fallback'], prefer_local: true },
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

// 0.3.0's seed rows for code prompts: gpt-4o did well on each.
const seeded = [
  { prompt: 'Write a Python function to sort a list', score: 0.95 },
  { prompt: 'Write a SQL query joining two tables', score: 0.9 },
  { prompt: 'Fix this bash script', score: 0.85 },
  { prompt: 'Write a JavaScript function to debounce calls', score: 0.9 },
  { prompt: 'Implement a binary search tree in Python', score: 0.95 },
  { prompt: 'Refactor this Java class to use interfaces', score: 0.85 },
  { prompt: 'Write a Python script to parse a CSV file', score: 0.9 },
  { prompt: 'Debug this TypeScript type error', score: 0.88 },
];

test("0.3.0's order: seeded code prompts route to the model that did well on them, the unrated models named", async () => {
  await post(
    '/v1/routing/training',
    seeded.map((r) => ({ ...r, model: 'gpt-4o' })),
  );
  const decision = await post<RoutingDecision>('/v1/routing/route', {
    messages: [{ role: 'user', content: 'Write a Python function to sort a list' }],
  });
  assert.equal(decision.strategy, 'similarity', JSON.stringify(decision.chain));
  assert.equal(decision.model, 'gpt-4o', decision.explanation);
  assert.match(
    decision.explanation,
    /gpt-4o does well here on its own record \(llama3\.2-local and gpt-4o-mini have no ratings on prompts like this\)$/,
  );
  // A seed rated below gpt-4o's average: the unrated models' stand-in figure (that average) is then
  // higher, and llama3.2-local, free, ranked first on it; gpt-4o's record on these prompts wins.
  const lower = await post<RoutingDecision>('/v1/routing/route', {
    messages: [{ role: 'user', content: 'Fix this bash script' }],
  });
  assert.equal(lower.strategy, 'similarity', JSON.stringify(lower.chain));
  assert.equal(lower.model, 'gpt-4o', lower.explanation);
});

test('low ratings of gpt-4o-mini on those prompts leave the choice with gpt-4o, the local model still unrated', async () => {
  await post(
    '/v1/routing/training',
    seeded.map((r) => ({ prompt: r.prompt, model: 'gpt-4o-mini', score: 0.3 })),
  );
  const decision = await post<RoutingDecision>('/v1/routing/route', {
    messages: [{ role: 'user', content: 'Write a Python function to sort a list' }],
  });
  assert.equal(decision.strategy, 'similarity', JSON.stringify(decision.chain));
  assert.equal(decision.model, 'gpt-4o', decision.explanation);
});
