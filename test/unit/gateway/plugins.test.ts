// The plugin host over real module files: loading (default export, bad exports, syntax errors),
// passing, deciding, and the failures that must never fail a request (throw, hang, overrun,
// unknown model). The Strategy type is imported the way a plugin author would: 'fugusashi/plugin'.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { Strategy } from 'fugusashi/plugin';
import { PluginHost } from '../../../daemon/plugins/host';
import { routingInput } from '../../../daemon/core/features';
import type { Candidate, RoutePlan } from '../../../daemon/core/ports';
import type { ModelConfig } from '../../../shared/config';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-plugins-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function plugin(name: string, body: string): string {
  const file = path.join(dir, `${name}.mjs`);
  writeFileSync(file, body);
  return file;
}

function model(name: string, input: number, output: number): ModelConfig {
  return {
    name,
    provider: 'openai',
    model: `${name}-up`,
    api_base: 'https://api.example.invalid/v1',
    capabilities: ['chat'],
    cost_per_input_token: input,
    cost_per_output_token: output,
    price_source: 'config',
  };
}
const candidates: Candidate[] = [
  { config: model('cheap', 1e-7, 2e-7), local: false, expectedCost: 0.0001 },
  { config: model('dear', 1e-5, 3e-5), local: false, expectedCost: 0.01 },
];
const input = routingInput(
  { model: 'auto', messages: [{ role: 'user', content: 'hi there' }] },
  { costWeight: 1, explore: false, random: () => 0.5 },
);
function builtIn(): RoutePlan {
  return {
    decision: {
      model: 'dear',
      confidence: 0.6,
      strategy: 'cost',
      latency_ms: 0,
      explanation: 'built-in pick',
      alternatives: [],
      estimated_cost: 0.01,
      chain: [],
    },
    order: ['dear', 'cheap'],
  };
}

test('a plugin typed with fugusashi/plugin decides: strategy, explanation, order and the overridden pick', async () => {
  const typed: Strategy = { name: 'typed', decide: () => ({ model: 'cheap' }) };
  assert.equal(typed.name, 'typed');
  const host = new PluginHost();
  const errors = await host.load([
    plugin(
      'cheapest',
      `export default { name: 'cheapest', decide(ctx) { return { model: ctx.candidates[0].name, explanation: 'cheapest: ' + ctx.candidates.map(c => c.name + '@' + c.price.input).join(',') + ' default ' + ctx.default.model }; } };`,
    ),
  ]);
  assert.deepEqual(errors, []);
  const plan = await host.apply(input, candidates, builtIn(), 'auto');
  assert.equal(plan.decision.model, 'cheap');
  assert.equal(plan.decision.strategy, 'plugin:cheapest');
  assert.equal(plan.decision.explanation, 'cheapest: cheap@1e-7,dear@0.00001 default dear');
  assert.deepEqual(plan.order, ['cheap', 'dear']);
  assert.match(plan.decision.chain!.at(-1)!.reason, /would have picked dear; overridden by plugin:cheapest/);
});

test('passing, throwing, hanging, overrunning and unknown-model plugins are skipped with the reason', async () => {
  const host = new PluginHost();
  await host.load(
    [
      plugin('passes', `export default { name: 'passes', decide: () => null };`),
      plugin('throws', `export default { name: 'throws', decide() { throw new Error('kaboom'); } };`),
      plugin('hangs', `export default { name: 'hangs', decide: () => new Promise(() => {}) };`),
      plugin(
        'busy',
        `export default { name: 'busy', decide() { const t = performance.now(); while (performance.now() - t < 40); return { model: 'cheap' }; } };`,
      ),
      plugin('rejects', `export default { name: 'rejects', decide: async () => { throw new TypeError('nope'); } };`),
      plugin('unknown', `export default { name: 'unknown', decide: () => ({ model: 'gpt-9' }) };`),
    ],
    20,
  );
  const started = performance.now();
  const plan = await host.apply(input, candidates, builtIn(), 'auto');
  assert.ok(performance.now() - started < 5000);
  assert.equal(plan.decision.model, 'dear');
  assert.equal(plan.decision.strategy, 'cost');
  const reasons = Object.fromEntries(plan.decision.chain!.map((c) => [c.strategy, c.reason]));
  assert.equal(reasons['plugin:passes'], 'passed');
  assert.equal(reasons['plugin:throws'], 'skipped: threw Error: kaboom');
  assert.equal(reasons['plugin:hangs'], 'skipped: no answer within its 20 ms budget');
  assert.match(reasons['plugin:busy']!, /^skipped: took \d+\.\d ms, over its 20 ms budget$/);
  assert.equal(reasons['plugin:rejects'], 'skipped: threw TypeError: nope');
  assert.equal(reasons['plugin:unknown'], 'skipped: returned "gpt-9", which is not a candidate');
});

test('modules that fail to load are reported and left out; the others load', async () => {
  const logged: string[] = [];
  const host = new PluginHost((l) => logged.push(l));
  const errors = await host.load([
    plugin('syntax', `export default { name: 'syntax', decide( };`),
    plugin('noexport', `export const x = 1;`),
    path.join(dir, 'missing.mjs'),
    plugin('fine', `export default { name: 'fine', budgetMs: 50, decide: () => null };`),
  ]);
  assert.equal(errors.length, 3);
  assert.match(errors[1]!, /not a Strategy/);
  assert.deepEqual(host.names, ['plugin:fine']);
  assert.ok(logged.some((l) => l === 'routing plugins: plugin:fine'));
});

test('a reload picks up an edited module file', async () => {
  const host = new PluginHost();
  const file = plugin('edited', `export default { name: 'v1', decide: () => null };`);
  await host.load([file]);
  assert.deepEqual(host.names, ['plugin:v1']);
  await new Promise((r) => setTimeout(r, 20)); // a different mtime
  writeFileSync(file, `export default { name: 'v2', decide: () => null };`);
  await host.load([file]);
  assert.deepEqual(host.names, ['plugin:v2']);
});
