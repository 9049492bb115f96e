// Does the first request after start wait for the embedding model? Starts the built daemon
// (dist/cli.js serve) with the learned strategy against a loopback fake, polls /health until it
// answers, then times request 1 (right away) and requests 2..4 (new prompts of the same length).
//   node esbuild.mjs && node --import tsx test/bench/first-request.ts [--runs 3]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startFake } from '../fakes';

// --after-ready: wait until /health reports the embeddings ready (isolates the rest of the cold path).
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, 'after-ready': { type: 'boolean', default: false } },
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function timeChat(url: string, prompt: string): Promise<{ ms: number; routingMs: number }> {
  const started = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: prompt }] }),
  });
  const body = (await res.json()) as { routing_decision?: { latency_ms: number } };
  if (!res.ok) throw new Error(JSON.stringify(body));
  return { ms: performance.now() - started, routingMs: body.routing_decision?.latency_ms ?? NaN };
}

async function once(run: number): Promise<number[]> {
  const fake = await startFake('openai', { models: ['fake-model'], record: false });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-first-'));
  const port = await freePort();
  const model = (name: string, price: number) =>
    `  - {name: ${name}, provider: openai, model: fake-model, api_base: '${fake.url}', cost_per_input_token: ${price}, cost_per_output_token: ${price}, capabilities: [chat]}`;
  writeFileSync(
    path.join(dir, 'config.yaml'),
    ['models:', model('cheap', 1e-7), model('dear', 1e-5), 'routing:', '  strategies: [learned, cost, fallback]'].join(
      '\n',
    ),
  );
  const child = spawn(
    process.execPath,
    ['dist/cli.js', 'serve', '--config', path.join(dir, 'config.yaml'), '--data-dir', dir, '--port', String(port)],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      const health = (await res.json()) as { embeddings?: string };
      if (res.ok && (!values['after-ready'] || health.embeddings === 'ready')) break;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const healthMs = performance.now() - started;
  // Same length, different words: none is in the embedding cache.
  const prompts = [1, 2, 3, 4].map((i) => `Question ${i}: explain how a hash map handles collision number ${i * 7}.`);
  const times: number[] = [];
  const routing: number[] = [];
  for (const p of prompts) {
    const t = await timeChat(url, p);
    times.push(t.ms);
    routing.push(t.routingMs);
  }
  console.log(
    `run ${run}: /health after ${healthMs.toFixed(0)} ms; request 1 ${times[0]!.toFixed(1)} ms, then ${times
      .slice(1)
      .map((t) => t.toFixed(1))
      .join(', ')} ms (deciding: ${routing.map((t) => t.toFixed(1)).join(', ')} ms)`,
  );
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
  return times;
}

async function main(): Promise<void> {
  const gaps: number[] = [];
  for (let i = 1; i <= Number(values.runs); i++) {
    const t = await once(i);
    gaps.push(t[0]! - Math.max(...t.slice(1)));
  }
  gaps.sort((a, b) => a - b);
  console.log(`first request minus the slowest later one: median ${gaps[Math.floor(gaps.length / 2)]!.toFixed(1)} ms`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
