// The memory of a daemon started by hand, as a user does (`node dist/cli.js serve`, with this
// process's environment: no MALLOC_ARENA_MAX unless you set it), after traffic. Starts the daemon
// with the learned strategy (the bundled prior, the USE worker) against a loopback fake upstream,
// sends N unique prompts with model "auto" at concurrency C (each new prompt is embedded on the
// USE worker for learning), then reads the daemon's /proc/PID (pid from daemon.json): RSS and
// smaps_rollup right after the traffic (USE worker loaded; no collection forced, so V8 garbage
// counts), and again at rest, once the daemon's idle collections have run and the USE worker has
// ended (both ~60 s after the last request). Several builds alternate, round by round.
//   npm run bench:serve-memory -- [--cli A/cli.js,B/cli.js]
//     [--requests 600] [--concurrency 16] [--rounds 2] [--rest-seconds 75]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadTable } from '../../daemon/benchmark/data';
import { DAEMON_FILE, type DaemonFile } from '../../shared/daemon';
import { startFake } from '../fakes';
import { rssByMapping, threadArenas } from './rss-by-mapping';

const { values } = parseArgs({
  options: {
    cli: { type: 'string', default: 'dist/cli.js' },
    requests: { type: 'string', default: '600' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
    'rest-seconds': { type: 'string', default: '75' },
    prompts: { type: 'string', default: '../shared/eval-data/routellm_mmlu_responses.csv' },
  },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS, private and shared memory (MB) of a process, from smaps_rollup, and the RSS by mapping. */
function memoryOf(pid: number) {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
  const mb = (x: number) => Math.round(x / 1024);
  const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  return {
    rss: mb(kb('Rss')),
    private: mb(kb('Private_Dirty') + kb('Private_Clean')),
    shared: mb(kb('Shared_Clean') + kb('Shared_Dirty')),
    threads: Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]),
    malloc_arena_max: env.find((e) => e.startsWith('MALLOC_ARENA_MAX='))?.split('=')[1] ?? 'unset',
    by_mapping: rssByMapping(pid),
    thread_arenas: threadArenas(pid),
  };
}

async function run(cli: string, prompts: string[]) {
  const fake = await startFake('openai', { models: ['fake-model'], record: false });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-serve-memory-'));
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
      'server: {port: 0}',
    ].join('\n'),
  );
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'serve', '--config', path.join(dir, 'config.yaml'), '--data-dir', dir], {
    stdio: 'ignore',
  });
  try {
    const file = path.join(dir, DAEMON_FILE);
    while (!existsSync(file)) await sleep(50);
    const info = JSON.parse(readFileSync(file, 'utf8')) as DaemonFile;
    const url = `http://${info.host}:${info.port}`;
    for (;;) {
      const health = (await (await fetch(`${url}/health`)).json()) as { embeddings?: string };
      if (health.embeddings === 'ready') break;
      await sleep(100);
    }
    const readyMs = performance.now() - started;
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < prompts.length; i = next++) {
        const res = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: prompts[i] }], max_tokens: 16 }),
        });
        if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
    await sleep(3000); // the background embeddings of the last prompts
    const afterTraffic = memoryOf(info.pid);
    await sleep(Number(values['rest-seconds']) * 1000);
    const atRest = memoryOf(info.pid);
    const launcher = info.pid === child.pid ? undefined : memoryOf(child.pid!);
    return {
      cli,
      ready_ms: Math.round(readyMs),
      daemon_is_started_process: info.pid === child.pid,
      after_traffic: afterTraffic,
      at_rest: atRest,
      launcher: launcher && { rss: launcher.rss, private: launcher.private },
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const requests = Number(values.requests);
  const clis = values.cli.split(',');
  const rounds = Number(values.rounds);
  const pool = [...new Set(loadTable(values.prompts).rows.map((r) => r.prompt))];
  console.log(
    `${requests} unique prompts per daemon, concurrency ${values.concurrency}; MALLOC_ARENA_MAX here: ${process.env['MALLOC_ARENA_MAX'] ?? 'unset'}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  let offset = 0;
  for (let r = 0; r < rounds; r++)
    for (const cli of clis) {
      const result = await run(cli, pool.slice(offset, (offset += requests)));
      console.log(JSON.stringify({ round: r + 1, ...result, load_average_1m: +os.loadavg()[0]!.toFixed(1) }));
    }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
