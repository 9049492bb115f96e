// `node --import tsx test/bench/daemon-cpu-ab.ts --a <dist> --b <dist>`: the daemon's CPU per chat
// request, two builds side by side, for deciding whether a hot-path change pays. bench:gateway
// measures much more (latency, the proxy and Portkey, the doors) and takes minutes; its CPU/req is
// a median of four phases per target, and one background snapshot or major GC in a phase moves it
// by 2x on a busy machine. Here two daemons (each on a fresh data directory, the same loopback
// upstream as bench:gateway) take turns serving blocks of --requests chat requests at
// --concurrency; each pair of blocks runs in alternating order (A then B, B then A, …), and the
// report gives every pair's ratio B/A of CPU per request (utime + stime of the daemon process from
// /proc, all its threads), their median, and the ratio of the totals. Options: --pairs N (default
// 10), --requests N per block (default 4000), --concurrency C (default 32; 1 = sequential),
// --stream (streaming requests), --profile DIR (daemon B runs under node --cpu-prof; summarise the
// profile with cpuprofile-summary.mjs). Linux only (/proc).
// Read it against an A/A run (--a and --b the same dist) made on the same machine at the same time,
// and run a change in both slots: on a 2-core machine shared with four busy agents (load 9-10),
// 10 pairs of 5,000 requests at concurrency 32 read A/A 0.92 (median) / 0.83 (totals), and a
// change measured 0.95 / 0.96 in one slot and the inverse of 0.97 / 0.94 in the other, i.e. no
// effect: only differences well beyond that spread mean anything there.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    pairs: { type: 'string', default: '10' },
    requests: { type: 'string', default: '4000' },
    concurrency: { type: 'string', default: '32' },
    stream: { type: 'boolean', default: false },
    /** Run daemon B under node --cpu-prof, its profile written into this directory at exit. */
    profile: { type: 'string' },
  },
});

interface Running {
  child: ChildProcess;
  url: string;
}

function start(args: string[], ready: RegExp): Promise<Running> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url && ready.test(out)) {
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        resolve({ child, url });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}`)));
  });
}

function startDaemon(dist: string, upstream: string, dir: string, nodeArgs: string[] = []): Promise<Running> {
  const config = [
    'models:',
    '  - name: bench',
    '    provider: openai',
    '    model: bench-upstream',
    `    api_base: ${upstream}/v1`,
    '    cost_per_input_token: 0.000001',
    '    cost_per_output_token: 0.000002',
    '    capabilities: [chat]',
    'routing:',
    '  strategies: [cost, fallback]',
    'server:',
    '  port: 0',
    `  data_dir: ${dir}`,
  ].join('\n');
  writeFileSync(path.join(dir, 'config.yaml'), config);
  return start([...nodeArgs, path.resolve(dist, 'daemon.js'), '--config', path.join(dir, 'config.yaml')], /ready: pid/);
}

/** utime + stime of a process in milliseconds (/proc/<pid>/stat fields 14 and 15, 100 Hz ticks). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(base: string, body: string): Promise<void> {
  const url = new URL('/v1/chat/completions', base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU milliseconds per request the daemon spent on `n` requests at `concurrency`. */
async function block(daemon: Running, n: number, concurrency: number, body: string): Promise<number> {
  const pid = daemon.child.pid!;
  const before = cpuMs(pid);
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < n) {
      started++;
      await post(daemon.url, body);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (cpuMs(pid) - before) / n;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function main(): Promise<void> {
  if (!values.a || !values.b) throw new Error("usage: --a <dist dir> --b <dist dir> (e.g. main's dist and yours)");
  const pairs = Number(values.pairs);
  const n = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const body = JSON.stringify({
    model: 'bench',
    stream: values.stream,
    messages: [{ role: 'user', content: 'Say something about foxes.' }],
  });
  const gateway = path.join(__dirname, 'gateway.ts');
  const upstream = await start(['--import', 'tsx', gateway, '--role', 'upstream'], /http:\/\//);
  const dirs = [0, 1].map(() => mkdtempSync(path.join(os.tmpdir(), 'fugu-cpu-ab-')));
  const daemons: Running[] = [];
  try {
    daemons.push(await startDaemon(values.a, upstream.url, dirs[0]!));
    const profile = values.profile ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(values.profile)] : [];
    daemons.push(await startDaemon(values.b, upstream.url, dirs[1]!, profile));
    const [a, b] = daemons as [Running, Running];
    // Warm-up: JIT, sockets, the first store writes.
    for (const d of daemons) await block(d, Math.min(n, 2000), concurrency, body);
    const perA: number[] = [];
    const perB: number[] = [];
    for (let i = 0; i < pairs; i++) {
      if (i % 2 === 0) {
        perA.push(await block(a, n, concurrency, body));
        perB.push(await block(b, n, concurrency, body));
      } else {
        perB.push(await block(b, n, concurrency, body));
        perA.push(await block(a, n, concurrency, body));
      }
      const ratio = perB[i]! / perA[i]!;
      console.log(
        `pair ${i + 1}: A ${(perA[i]! * 1000).toFixed(0)} µs, B ${(perB[i]! * 1000).toFixed(0)} µs per request, B/A ${ratio.toFixed(3)}`,
      );
    }
    const ratios = perA.map((x, i) => perB[i]! / x);
    const total = perB.reduce((s, x) => s + x, 0) / perA.reduce((s, x) => s + x, 0);
    console.log(
      `\nB/A CPU per request: median of ${pairs} pairs ${median(ratios).toFixed(3)}, ratio of totals ${total.toFixed(3)} ` +
        `(A ${values.a}, B ${values.b}; ${n} ${values.stream ? 'streaming ' : ''}requests per block at concurrency ` +
        `${concurrency}; ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)} at the end)`,
    );
  } finally {
    agent.destroy();
    const children = [...daemons.map((d) => d.child), upstream.child];
    const exited = children.map((c) =>
      c.exitCode === null && c.signalCode === null
        ? new Promise<void>((r) => c.once('exit', () => r()))
        : Promise.resolve(),
    );
    for (const c of children) c.kill('SIGTERM');
    // The daemons write a final snapshot on SIGTERM: wait before removing their data directories.
    await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 10_000))]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
