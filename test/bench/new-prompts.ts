// Throughput of `auto` on prompts the router has never seen, against a forced model, side by side
// in one run. Starts the built daemon (dist/cli.js serve) with the learned strategy and a store of
// outcomes (imported through POST /v1/routing/training from an eval file, their USE vectors
// pre-seeded into the daemon's embedding cache from the benchmark cache so the import is quick),
// against a loopback fake upstream; then sends N unique prompts at concurrency C with model "auto",
// and N with a forced pool model, alternating rounds. Once with the fast first view (the default)
// and once with routing.embeddings.fast_view: false (every new prompt waits for USE).
//   node esbuild.mjs && node --import tsx test/bench/new-prompts.ts [--requests 2000] [--concurrency 64]
//     [--store FILE] [--prompts FILE] [--rounds 1] [--modes fast,wait] [--cli A/cli.js,B/cli.js]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultCacheDir } from '../../daemon/benchmark/cache';
import { completeRows, loadTable } from '../../daemon/benchmark/data';
import { DiskEmbeddingCache, readCacheFile } from '../../daemon/embeddings/disk-cache';
import { contentKey } from '../../daemon/embeddings/text';
import { textFor } from '../../daemon/embeddings/fast-view';
import { USE_ID } from '../../daemon/embeddings/use';
import { DAEMON_FILE, type DaemonFile } from '../../shared/daemon';
import { startFake } from '../fakes';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '1' },
    data: { type: 'string', default: '../shared/eval-data' },
    store: { type: 'string', default: 'routellm_gsm8k_responses.csv' },
    prompts: { type: 'string', default: 'routellm_mmlu_responses.csv' },
    modes: { type: 'string', default: 'fast,wait' },
    // Builds to compare side by side in one run (comma-separated paths to cli.js), each round
    // alternating between them: e.g. --cli .bench/dist-base/cli.js,dist/cli.js.
    cli: { type: 'string', default: 'dist/cli.js' },
  },
});
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const STRONG = 'gpt-4-1106-preview';
const WEAK = 'mistralai/Mixtral-8x7B-Instruct-v0.1';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface Round {
  rps: number;
  strategies: Map<string, number>;
  fastView: number;
  p50: number;
  /** routing_decision.latency_ms, p50: the time spent deciding. */
  decideP50: number;
}

async function load(url: string, model: string, prompts: readonly string[]): Promise<Round> {
  let next = 0;
  const strategies = new Map<string, number>();
  let fastView = 0;
  const latencies: number[] = [];
  const deciding: number[] = [];
  const worker = async () => {
    for (let i = next++; i < prompts.length; i = next++) {
      const t0 = performance.now();
      const body = await post(`${url}/v1/chat/completions`, {
        model,
        messages: [{ role: 'user', content: prompts[i]! }],
        max_tokens: 16,
      });
      latencies.push(performance.now() - t0);
      const d = body.routing_decision as { strategy: string; explanation: string; latency_ms: number } | undefined;
      if (d) {
        deciding.push(d.latency_ms);
        strategies.set(d.strategy, (strategies.get(d.strategy) ?? 0) + 1);
        if (d.explanation.includes('fast first view')) fastView++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  deciding.sort((a, b) => a - b);
  const decideP50 = deciding[deciding.length >> 1] ?? 0;
  return { rps: prompts.length / seconds, strategies, fastView, p50: latencies[latencies.length >> 1]!, decideP50 };
}

/**
 * CPU time the daemon process has used (all its threads: the USE worker too), in ms, from
 * /proc (Linux); undefined elsewhere. Per request it is steadier than req/s on a shared machine.
 */
function daemonCpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the command name), in ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** sysconf(_SC_CLK_TCK): 100 on Linux. */
const CLOCK_TICKS = 100;

function perRequest(before: number | undefined, after: number | undefined, requests: number): string {
  return before === undefined || after === undefined ? '?' : ((after - before) / requests).toFixed(2);
}

async function runMode(
  cli: string,
  mode: 'fast' | 'wait',
  storeRows: { prompt: string; model: string; score: number }[],
  prompts: string[][],
) {
  const fake = await startFake('openai', { models: ['fake-model'], record: false });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-new-prompts-'));
  // Pre-seed the daemon's embedding cache with the stored prompts' USE vectors (same keys).
  const shared = readCacheFile(path.join(defaultCacheDir(), 'embeddings', `${USE_ID}.512.emb`), 512);
  const disk = new DiskEmbeddingCache(path.join(dir, 'embeddings'), USE_ID, 512);
  disk.putMany(
    [...new Set(storeRows.map((r) => contentKey(USE_ID, textFor(r.prompt))))].flatMap((key) => {
      const vector = shared.get(key);
      return vector ? [{ key, vector }] : [];
    }),
  );
  disk.close();
  const port = await freePort();
  const model = (name: string, price: number) =>
    `  - {name: ${name}, provider: openai, model: fake-model, api_base: '${fake.url}', cost_per_input_token: ${price}, cost_per_output_token: ${price}, capabilities: [chat]}`;
  writeFileSync(
    path.join(dir, 'config.yaml'),
    [
      'models:',
      model('cheap', 1e-7),
      model('dear', 1e-6),
      'routing:',
      '  strategies: [learned, cost, fallback]',
      '  exploration_rate: 0',
      `  embeddings: {fast_view: ${mode === 'fast'}}`,
    ].join('\n'),
  );
  const child = spawn(
    process.execPath,
    [
      // FUGU_BENCH_CPU_PROF=DIR: a V8 CPU profile of the daemon per mode, to see where the time goes.
      ...(process.env.FUGU_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FUGU_BENCH_CPU_PROF}`] : []),
      cli,
      'serve',
      '--config',
      path.join(dir, 'config.yaml'),
      '--data-dir',
      dir,
      '--port',
      String(port),
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    for (;;) {
      try {
        const health = (await (await fetch(`${url}/health`)).json()) as { embeddings?: string };
        if (health.embeddings === 'ready') break;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // The daemon's own pid (on Linux `serve` runs it in a child with MALLOC_ARENA_MAX=2).
    const daemonPid = (JSON.parse(readFileSync(path.join(dir, DAEMON_FILE), 'utf8')) as DaemonFile).pid;
    await post(`${url}/v1/routing/training`, storeRows);
    // Wait until the learner holds every imported outcome.
    for (;;) {
      const d = await post(`${url}/v1/routing/route`, { messages: [{ role: 'user', content: storeRows[0]!.prompt }] });
      if (String(d.explanation).includes(` ${storeRows.length} past outcomes`)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // The import's refit runs on the event loop once the outcomes are in (~2 s of CPU here): wait
    // for it, or the first auto round measures deciding during a refit (it did until now).
    for (const since = Date.now(); Date.now() - since < 60_000;) {
      const stats = (await (await fetch(`${url}/v1/feedback/stats`)).json()) as {
        retraining: boolean;
        last_retrain_at: number | null;
      };
      if (!stats.retraining && stats.last_retrain_at !== null) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const results: { auto: Round[]; forced: Round[] } = { auto: [], forced: [] };
    for (const [r, batch] of prompts.entries()) {
      const half = batch.length >> 1;
      // Each round: auto on one half of its prompts, forced on the other (all unique).
      let cpu = daemonCpuMs(daemonPid);
      results.auto.push(await load(url, 'auto', batch.slice(0, half)));
      const autoCpu = perRequest(cpu, (cpu = daemonCpuMs(daemonPid)), half);
      results.forced.push(await load(url, 'cheap', batch.slice(half)));
      const forcedCpu = perRequest(cpu, daemonCpuMs(daemonPid), batch.length - half);
      const a = results.auto.at(-1)!;
      const f = results.forced.at(-1)!;
      console.log(
        `${mode} round ${r + 1}: auto ${a.rps.toFixed(0)} req/s (p50 ${a.p50.toFixed(0)} ms, deciding p50 ${a.decideP50.toFixed(2)} ms; ${[
          ...a.strategies,
        ]
          .map(([s, n]) => `${s} ${n}`)
          .join(
            ', ',
          )}; fast view decided ${a.fastView}), forced ${f.rps.toFixed(0)} req/s (p50 ${f.p50.toFixed(0)} ms): ratio ${(a.rps / f.rps).toFixed(2)}; daemon CPU per request (all its threads) auto ${autoCpu} ms, forced ${forcedCpu} ms`,
      );
    }
    return results;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const storeTable = loadTable(path.join(values.data, values.store), [STRONG, WEAK]);
  const storeRows = completeRows(storeTable, [0, 1]).flatMap((r) => [
    { prompt: r.prompt, model: 'dear', score: r.scores[0]! },
    { prompt: r.prompt, model: 'cheap', score: r.scores[1]! },
  ]);
  const stored = new Set(storeRows.map((r) => r.prompt));
  const pool = [...new Set(loadTable(path.join(values.data, values.prompts)).rows.map((r) => r.prompt))].filter(
    (p) => !stored.has(p),
  );
  const rounds = Number(values.rounds);
  const modes = values.modes.split(',') as ('fast' | 'wait')[];
  if (pool.length < REQUESTS * 2 * rounds * modes.length) throw new Error(`only ${pool.length} unique prompts`);
  console.log(
    `store: ${storeRows.length} outcomes (${values.store}); ${REQUESTS} unique prompts per round to auto and as many to a forced model, concurrency ${CONCURRENCY}, prompts from ${values.prompts}, all unique; ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  let offset = 0;
  const clis = values.cli.split(',');
  for (const mode of modes) {
    const prompts = Array.from({ length: rounds }, () => pool.slice(offset, (offset += REQUESTS * 2)));
    if (clis.length === 1) await runMode(clis[0]!, mode, storeRows, prompts);
    // Several builds: each round runs each build on the same prompts (each daemon starts with a
    // fresh data dir, so they are new to every one), builds in turn, so load drifts hit them alike.
    else
      for (const [r, batch] of prompts.entries())
        for (const cli of clis) {
          console.log(`${cli}, round ${r + 1}:`);
          await runMode(cli, mode, storeRows, [batch]);
        }
  }
  console.log(
    `load average after: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
