// gateway (issue 12): what answering from the exact response cache costs, over the daemon's own
// overhead. A real daemon (HTTP on loopback, keep-alive fetch) answers, interleaved so machine
// noise hits every side alike:
//   baseline   POST /v1/routing/route with the same body (parse, validate, route, serialise)
//   hit        POST /v1/chat/completions answered from the cache (JSON)
//   hit (SSE)  the same with stream: true, read to [DONE]
//   miss       the same request with Cache-Control: no-store (routed to an instant fake upstream)
//   npm run bench:cache
import { startTestDaemon } from '../helpers/daemon';

const N = Number(process.env['N'] ?? 2000);

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const d = await startTestDaemon({ rpc: false, config: { cache: { exact: true } } });
  d.fakes['model-a']!.behaviour = {};
  const messages = [{ role: 'user', content: 'What is the capital of France? Answer in one word.' }];
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${d.url}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const sides = {
    baseline: async () => (await post('/v1/routing/route', { model: 'auto', messages })).text(),
    hit: async () => (await post('/v1/chat/completions', { model: 'auto', messages })).text(),
    'hit (SSE)': async () => (await post('/v1/chat/completions', { model: 'auto', messages, stream: true })).text(),
    miss: async () =>
      (await post('/v1/chat/completions', { model: 'auto', messages }, { 'cache-control': 'no-store' })).text(),
  };
  const first = JSON.parse(await sides.hit()) as { routing_decision: { strategy: string } };
  const second = JSON.parse(await sides.hit()) as { routing_decision: { strategy: string } };
  if (first.routing_decision.strategy === 'cache' || second.routing_decision.strategy !== 'cache')
    throw new Error('expected a miss then a hit');
  for (const f of Object.values(d.fakes)) f.behaviour = {};
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  for (let i = 0; i < 300; i++) for (const fn of Object.values(sides)) await fn();
  for (let i = 0; i < N; i++) {
    for (const [name, fn] of Object.entries(sides)) {
      const t = performance.now();
      await fn();
      times[name]!.push(performance.now() - t);
    }
  }
  await d.close();
  const base = p50(times['baseline']!);
  console.log(`requests: ${N} per side, interleaved, keep-alive, loopback`);
  for (const [name, xs] of Object.entries(times)) {
    const p = p50(xs);
    console.log(
      `${name.padEnd(10)} p50 ${p.toFixed(3)} ms${name === 'baseline' ? '' : `  (+${(p - base).toFixed(3)} ms over the baseline)`}`,
    );
  }
}

void main();
