// Routing plugins end to end: a real daemon loads examples/cheap-for-short.mjs from config.yaml,
// the official openai client sees the plugin's decision in routing_decision; a config reload
// swaps in a plugin that throws (path relative to the config file) and requests still succeed.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { RoutingDecision } from '../../../shared/openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

const EXAMPLE = path.resolve('examples/cheap-for-short.mjs');
let d: TestDaemon;
let client: OpenAI;

before(async () => {
  d = await startTestDaemon({
    rpc: false,
    // The dearer model first, so the built-in chain's pick (fallback → default) differs from the plugin's.
    // A budget no busy machine overruns: these tests are about what the plugin decides, and with the
    // default 5 ms a first call on a loaded CI machine was skipped as too slow (8.3 ms). Overruns have
    // their own test (test/unit/gateway/plugins.test.ts).
    config: {
      default_model: 'model-b',
      routing: { strategies: ['fallback'], plugins: [EXAMPLE], plugin_budget_ms: 5_000 },
    },
  });
  client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => d.close());

async function ask(content: string): Promise<{ text: string; decision: RoutingDecision }> {
  const answer = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content }] });
  return {
    text: answer.choices[0]?.message.content ?? '',
    decision: (answer as unknown as { routing_decision: RoutingDecision }).routing_decision,
  };
}

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the example plugin routes a short prompt to the cheapest model, with its explanation', async () => {
  assert.ok(d.logLines.includes('routing plugins: plugin:cheap-for-short'), d.logLines.join('\n'));
  const { text, decision } = await ask('Say hi');
  assert.equal(decision.strategy, 'plugin:cheap-for-short');
  assert.equal(decision.model, 'model-a');
  assert.match(text, /^fake answer from model-a-upstream/);
  assert.match(decision.explanation, /Short prompt \(6 characters, no code or math\): the cheapest model, model-a\./);
  assert.match(decision.chain!.at(-1)!.reason, /would have picked model-b/);
});

test('the example plugin passes on code; the built-in chain decides and the pass is in the chain', async () => {
  const { decision } = await ask('Fix this: ```js\nconst x = ;\n```');
  assert.equal(decision.strategy, 'fallback');
  assert.equal(decision.model, 'model-b');
  assert.deepEqual(decision.chain![0], { strategy: 'plugin:cheap-for-short', abstained: true, reason: 'passed' });
});

test('on reload a throwing plugin (relative path) is skipped with its reason; the request still succeeds', async () => {
  writeFileSync(
    path.join(d.dataDir, 'broken.mjs'),
    `export default { name: 'broken', decide() { throw new Error('plugin bug'); } };`,
  );
  d.writeConfig({
    ...d.baseConfig,
    routing: { ...d.baseConfig.routing, plugins: ['./broken.mjs', EXAMPLE] },
  });
  await until(async () => d.logLines.includes('routing plugins: plugin:broken, plugin:cheap-for-short'));
  const { decision } = await ask('Say hi again');
  assert.equal(decision.strategy, 'plugin:cheap-for-short');
  assert.deepEqual(decision.chain![0], {
    strategy: 'plugin:broken',
    abstained: true,
    reason: 'skipped: threw Error: plugin bug',
  });
});

test('a streamed request carries the plugin decision too', async () => {
  const stream = await client.chat.completions.create({
    model: 'auto',
    stream: true,
    messages: [{ role: 'user', content: 'Say hi' }],
  });
  let first: RoutingDecision | undefined;
  let text = '';
  for await (const chunk of stream) {
    first ??= (chunk as unknown as { routing_decision?: RoutingDecision }).routing_decision;
    text += chunk.choices[0]?.delta.content ?? '';
  }
  assert.equal(first?.strategy, 'plugin:cheap-for-short');
  assert.match(text, /model-a-upstream/);
});
