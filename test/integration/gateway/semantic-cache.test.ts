// The semantic cache (opt-in) on a real daemon with its real learner and bundled USE encoder: a
// retyped question is answered from the cache (similarity in routing_decision.cache), a question
// with a different number or with tools never is, and an exact repeat still is an exact hit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RoutingDecision } from '../../../shared/openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;

before(async () => {
  d = await startTestDaemon({
    rpc: false,
    config: {
      routing: { strategies: ['learned', 'cost', 'fallback'], exploration_rate: 0 },
      cache: { exact: true, semantic: true },
    },
  });
});
after(async () => d.close());

async function ask(content: string, extra: Record<string, unknown> = {}): Promise<RoutingDecision> {
  const res = await fetch(`${d.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }], ...extra }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { routing_decision: RoutingDecision }).routing_decision;
}

test('a retyped question hits semantically; a changed number and a request with tools do not', async () => {
  const q = 'Janet has 16 eggs and eats 3 for breakfast. How many eggs are left?';
  assert.notEqual((await ask(q)).strategy, 'cache');
  const retyped = await ask('janet has 16 eggs and eats 3 for breakfast,  how many eggs are left?');
  assert.equal(retyped.strategy, 'cache', JSON.stringify(retyped));
  assert.equal(retyped.cache?.kind, 'semantic');
  assert.ok(retyped.cache.similarity >= 0.95 && retyped.cache.similarity < 1);
  assert.notEqual((await ask('Janet has 16 eggs and eats 4 for breakfast. How many eggs are left?')).strategy, 'cache');
  const tools = [{ type: 'function', function: { name: 'calc', parameters: { type: 'object' } } }];
  await ask(q, { tools });
  assert.notEqual((await ask(q.toLowerCase(), { tools })).strategy, 'cache');
  assert.equal((await ask(q)).cache?.kind, 'exact');
});
