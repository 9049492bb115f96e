// gateway (issue 12): what a trivial routing plugin adds to a decision. The same RoutingService
// (cost → fallback chain, 4 models) plans the same requests with and without a plugin that
// returns the first candidate, interleaved so machine noise hits both sides alike.
//   npm run bench:plugins
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ModelConfig } from '../../shared/config';
import type { ChatCompletionRequest } from '../../shared/openai';
import { PluginHost } from '../../daemon/plugins/host';
import type { ServiceConfig } from '../../daemon/services/deps';
import { RoutingService } from '../../daemon/services/routing';

const N = Number(process.env['N'] ?? 20_000);

function model(name: string, price: number): ModelConfig {
  return {
    name,
    provider: 'openai',
    model: name,
    api_base: 'https://api.example.invalid/v1',
    capabilities: ['chat', 'code'],
    cost_per_input_token: price,
    cost_per_output_token: price * 3,
  };
}
const config: ServiceConfig = {
  pool: [model('a', 1e-7), model('b', 1e-6), model('c', 5e-6), model('d', 1e-5)],
  strategies: ['cost', 'fallback'],
  preferLocal: false,
  costWeight: 1,
  minConfidence: 0.35,
  explorationRate: 0,
  cooldownFailures: 3,
  cooldownSeconds: 30,
  connectTimeoutMs: 1000,
  firstByteTimeoutMs: 1000,
  answerTimeoutMs: 1000,
  feedback: { enabled: false, retrainEvery: 0, implicitSignals: false },
};

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-bench-plugins-'));
  const file = path.join(dir, 'trivial.mjs');
  writeFileSync(file, `export default { name: 'trivial', decide: (ctx) => ({ model: ctx.candidates[0].name }) };`);
  const host = new PluginHost();
  await host.load([file]);
  const plain = new RoutingService({ config: () => config });
  const withPlugin = new RoutingService({ config: () => config, plugins: host });
  const request: ChatCompletionRequest = {
    model: 'auto',
    messages: [{ role: 'user', content: 'Write a function that reverses a linked list in place, and explain it.' }],
  };
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 2000; i++) {
    await plain.plan(request);
    await withPlugin.plan(request);
  }
  for (let i = 0; i < N; i++) {
    let t = performance.now();
    await plain.plan(request);
    a.push(performance.now() - t);
    t = performance.now();
    const routed = await withPlugin.plan(request);
    b.push(performance.now() - t);
    if (routed.plan.decision.strategy !== 'plugin:trivial') throw new Error('plugin did not decide');
  }
  rmSync(dir, { recursive: true, force: true });
  const pa = p50(a);
  const pb = p50(b);
  console.log(`decisions: ${N} each side, interleaved`);
  console.log(`p50 decision without plugin: ${(pa * 1000).toFixed(1)} µs`);
  console.log(`p50 decision with trivial plugin: ${(pb * 1000).toFixed(1)} µs`);
  console.log(`plugin overhead per decision (p50 difference): ${((pb - pa) * 1000).toFixed(1)} µs (target ≤ 100 µs)`);
}

void main();
