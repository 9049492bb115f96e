// `npm run bench:team`: team mode's targets (issue 11), on loopback, with real processes: a throw-away
// PostgreSQL cluster, the fake upstream (test/fakes/serve.ts) and daemons (dist/cli.js serve; run
// `node esbuild.mjs` first). This process only generates load and measures. Sections (all by default,
// or pick with --only a,b): propagation, overhead, budget, chaos, million.
//   propagation  3 replicas with the learned strategy: training rows accepted by A → time until C's
//                decision for that prompt changes (p50/p95 over --trials).
//   overhead     one embedded daemon vs one team daemon, interleaved: p50 at concurrency 1 and
//                requests/s at concurrency 32.
//   budget       3 replicas, one key with a daily budget, concurrency 16 spread over them until every
//                request is refused: spend over the budget vs one request's cost.
//   chaos        3 replicas behind a client that retries on connection refused, concurrency 16, every
//                answer rated: kill -9 a replica --kills times (restarted on its data dir), restart
//                PostgreSQL once; then count acknowledged requests and ratings missing in PostgreSQL.
//   million      1,000,000 requests in PostgreSQL: GET /v1/stats and decisions pages (p50).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import type { FugusashiConfig } from '../../shared/config';
import { createDatabase, freePort, startPostgres, type TestPostgres } from '../helpers/postgres';
import { teamConfig } from '../helpers/team';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    trials: { type: 'string', default: '20' },
    kills: { type: 'string', default: '10' },
    sequential: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    rows: { type: 'string', default: '1000000' },
  },
});
const sections = new Set((values.only ?? 'propagation,overhead,budget,chaos,million').split(','));
const CLI = path.resolve('dist/cli.js');
const results: string[] = [];
const report = (line: string) => {
  results.push(line);
  console.log(line);
};

// ---------------------------------------------------------------- processes

interface Proc {
  child: ChildProcess;
  url: string;
  port: number;
  dataDir: string;
  configPath: string;
}

async function startUpstream(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fakes/serve.ts', '--port', '0', '--models', 'model-a-upstream,model-b-upstream'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
    });
  });
  return { url, child };
}

async function startDaemon(config: FugusashiConfig, port?: number, dataDir?: string): Promise<Proc> {
  const dir = dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'fugu-bench-team-'));
  const configPath = path.join(dir, 'config.yaml');
  writeFileSync(configPath, stringify({ ...config, server: { ...config.server, data_dir: dir } }));
  const p = port ?? (await freePort());
  const child = spawn(process.execPath, [CLI, 'serve', '--config', configPath, '--port', String(p)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start:\n${log}`)), 60_000);
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      if (/\bready: pid \d+/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`daemon exited ${code}:\n${log}`)));
  });
  child.stderr.resume();
  return { child, url: `http://127.0.0.1:${p}`, port: p, dataDir: dir, configPath };
}

async function stopDaemon(d: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return;
  const exited = new Promise((r) => d.child.once('exit', r));
  d.child.kill(signal);
  await exited;
}

// ---------------------------------------------------------------- helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}
const CHAT = (n: number) => ({ model: 'model-a', messages: [{ role: 'user', content: `bench question ${n}` }] });

async function withDb<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

async function routeOf(d: Proc, prompt: string): Promise<string> {
  const res = await post(`${d.url}/v1/routing/route`, { messages: [{ role: 'user', content: prompt }] });
  return ((await res.json()) as { model: string }).model;
}

// ---------------------------------------------------------------- sections

async function propagation(db: TestPostgres, upstream: string): Promise<void> {
  const url = await createDatabase(db, 'propagation');
  const config = teamConfig(upstream, url, {
    routing: { strategies: ['learned', 'cost', 'fallback'], exploration_rate: 0, min_confidence: 0 },
  });
  const replicas: Proc[] = [];
  for (let i = 0; i < 3; i++) replicas.push(await startDaemon(config));
  const [a, , c] = replicas as [Proc, Proc, Proc];
  try {
    await routeOf(c, 'warm up the embedder');
    const latencies: number[] = [];
    for (let t = 0; t < Number(values.trials); t++) {
      const prompt = `Trial ${t}: ${['sort a list in rust', 'capital of peru', 'integrate x squared', 'write a haiku'][t % 4]} #${t}`;
      const before = await routeOf(c, prompt);
      const better = before === 'model-a' ? 'model-b' : 'model-a';
      // Enough evidence for this prompt that the learned strategy must change its mind.
      const rows = [];
      for (let i = 0; i < 10; i++) rows.push({ prompt, model: better, score: 1 }, { prompt, model: before, score: 0 });
      const res = await post(`${a.url}/v1/routing/training`, rows);
      if (res.status !== 200) throw new Error(await res.text());
      const accepted = performance.now();
      let now = before;
      while (now !== better && performance.now() - accepted < 10_000) {
        now = await routeOf(c, prompt);
        if (now !== better) await sleep(5);
      }
      latencies.push(now === better ? performance.now() - accepted : Infinity);
    }
    const changed = latencies.filter(Number.isFinite).length;
    report(
      `propagation (3 replicas, ${latencies.length} trials): A accepts → C's decision changes: p50 ${pct(latencies, 50).toFixed(0)} ms, ` +
        `p95 ${pct(latencies, 95).toFixed(0)} ms, changed in ${changed}/${latencies.length} (target ≤ 1000 ms p95)`,
    );
  } finally {
    await Promise.all(replicas.map((r) => stopDaemon(r)));
  }
}

async function sequential(d: Proc, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await post(`${d.url}/v1/chat/completions`, CHAT(i));
    await res.arrayBuffer();
    times.push(performance.now() - t);
  }
  return times;
}

async function throughput(d: Proc, concurrency: number, seconds: number): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const res = await post(`${d.url}/v1/chat/completions`, CHAT(w * 100_000 + i));
        await res.arrayBuffer();
        if (res.status === 200) done++;
      }
    }),
  );
  return done / seconds;
}

async function overhead(db: TestPostgres, upstream: string): Promise<void> {
  const url = await createDatabase(db, 'overhead');
  const embedded = await startDaemon({ ...teamConfig(upstream, url), store: {} });
  const team = await startDaemon(teamConfig(upstream, url));
  try {
    const p50 = { embedded: [] as number[], team: [] as number[] };
    const rps = { embedded: [] as number[], team: [] as number[] };
    await sequential(embedded, 100);
    await sequential(team, 100);
    for (let r = 0; r < Number(values.rounds); r++) {
      for (const [name, d] of [
        ['embedded', embedded],
        ['team', team],
      ] as const) {
        p50[name].push(pct(await sequential(d, Number(values.sequential)), 50));
        rps[name].push(await throughput(d, 32, Number(values.seconds)));
      }
    }
    const median = (xs: number[]) => pct(xs, 50);
    report(
      `overhead (${values.rounds} interleaved rounds): p50 at c=1 embedded ${median(p50.embedded).toFixed(3)} ms, team ${median(p50.team).toFixed(3)} ms ` +
        `(+${(median(p50.team) - median(p50.embedded)).toFixed(3)} ms; target ≤ +0.2 ms); c=32 embedded ${median(rps.embedded).toFixed(0)} req/s, ` +
        `team ${median(rps.team).toFixed(0)} req/s (${((100 * median(rps.team)) / median(rps.embedded)).toFixed(1)} %; target ≥ 90 %)`,
    );
  } finally {
    await stopDaemon(embedded);
    await stopDaemon(team);
  }
}

async function createKey(url: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'keys', 'create', '--database', url, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`keys create: ${code}`))));
  });
}

async function budget(db: TestPostgres, upstream: string): Promise<void> {
  const url = await createDatabase(db, 'budget');
  const replicas: Proc[] = [];
  for (let i = 0; i < 3; i++) replicas.push(await startDaemon(teamConfig(upstream, url)));
  try {
    const limit = 0.01;
    const secret = await createKey(url, ['--name', 'bench', '--budget-day', String(limit)]);
    await sleep(1500);
    let refused = 0;
    let answered = 0;
    let maxCost = 0;
    const costs: number[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; refused < 200; i++) {
          const d = replicas[(w + i) % 3]!;
          const res = await post(`${d.url}/v1/chat/completions`, CHAT(i), { authorization: `Bearer ${secret}` });
          const body = (await res.json()) as { routing_decision?: { estimated_cost?: number } };
          if (res.status === 429) refused++;
          else if (res.status === 200) {
            answered++;
            const cost = body.routing_decision?.estimated_cost ?? 0;
            costs.push(cost);
            maxCost = Math.max(maxCost, cost);
          }
        }
      }),
    );
    await sleep(500);
    const spent = await withDb(url, async (c) => {
      const { rows } = await c.query<{ cost: number; n: string }>(
        'SELECT COALESCE(SUM(cost_usd), 0) AS cost, COUNT(*) AS n FROM requests WHERE api_key_id IS NOT NULL',
      );
      return { cost: Number(rows[0]?.cost), n: Number(rows[0]?.n) };
    });
    const perRequest = spent.cost / Math.max(1, spent.n);
    report(
      `budget (3 replicas, c=16, $${limit}/day): ${answered} answered, spent $${spent.cost.toFixed(6)}; overshoot ` +
        `$${(spent.cost - limit).toFixed(6)} = ${((spent.cost - limit) / perRequest).toFixed(2)} requests' cost ` +
        `(${((spent.cost - limit) / perRequest / 3).toFixed(2)} per replica; target ≤ 1 per replica)`,
    );
  } finally {
    await Promise.all(replicas.map((r) => stopDaemon(r)));
  }
}

async function chaos(db: TestPostgres, upstream: string): Promise<void> {
  const url = await createDatabase(db, 'chaos');
  const config = teamConfig(upstream, url);
  const replicas: Proc[] = [];
  for (let i = 0; i < 3; i++) replicas.push(await startDaemon(config));
  const acknowledged = new Set<string>();
  const ratings = new Set<string>();
  let unanswered = 0;
  let retries = 0;
  let stop = false;
  /** A client behind which replicas come and go: on a refused or cut connection, the next replica. */
  const call = async (pathname: string, body: unknown): Promise<Response | undefined> => {
    for (let attempt = 0; attempt < 60; attempt++) {
      const d = replicas[Math.floor(Math.random() * replicas.length)]!;
      try {
        return await post(`${d.url}${pathname}`, body);
      } catch {
        retries++;
        await sleep(50);
      }
    }
    return undefined;
  };
  const workers = Array.from({ length: 16 }, async (_, w) => {
    for (let i = 0; !stop; i++) {
      const res = await call('/v1/chat/completions', CHAT(w * 1_000_000 + i));
      if (!res || res.status !== 200) {
        unanswered++;
        continue;
      }
      const id = ((await res.json()) as { id: string }).id;
      acknowledged.add(id);
      const rated = await call('/v1/feedback/rate', { request_id: id, rating: 1 + (i % 5) });
      if (rated?.status === 200) ratings.add(id);
      else if (rated) await rated.arrayBuffer();
    }
  });
  const kills = Number(values.kills);
  try {
    await sleep(2000);
    for (let k = 0; k < kills; k++) {
      const index = k % replicas.length;
      const victim = replicas[index]!;
      await stopDaemon(victim, 'SIGKILL');
      await sleep(500);
      replicas[index] = await startDaemon(config, victim.port, victim.dataDir);
      await sleep(1000);
    }
    db.stop('fast');
    await sleep(2000);
    db.start();
    await sleep(3000);
    stop = true;
    await Promise.all(workers);
    await sleep(3000);
    const stored = await withDb(url, async (c) => {
      const requests = new Set(
        (await c.query<{ id: string }>('SELECT request_id AS id FROM requests')).rows.map((r) => r.id),
      );
      const rated = new Set(
        (
          await c.query<{ id: string }>("SELECT DISTINCT request_id AS id FROM feedback WHERE source = 'explicit'")
        ).rows.map((r) => r.id),
      );
      return { requests, rated };
    });
    const lostRequests = [...acknowledged].filter((id) => !stored.requests.has(id)).length;
    const lostRatings = [...ratings].filter((id) => !stored.rated.has(id)).length;
    report(
      `chaos (3 replicas, c=16, ${kills} × kill -9 + 1 PostgreSQL restart): ${acknowledged.size} requests and ${ratings.size} ratings acknowledged; ` +
        `lost ${lostRequests} requests, ${lostRatings} ratings; unanswered ${unanswered}; client retries ${retries} (target: 0 lost, 0 unanswered)`,
    );
  } finally {
    stop = true;
    await Promise.all(replicas.map((r) => stopDaemon(r)));
  }
}

async function million(db: TestPostgres, upstream: string): Promise<void> {
  const url = await createDatabase(db, 'million');
  const rows = Number(values.rows);
  const team = await startDaemon(teamConfig(upstream, url));
  try {
    const started = performance.now();
    await withDb(url, async (c) => {
      // Loaded in bulk (the per-row rollup trigger off, the rollup rebuilt once), as `store copy` of a big history would.
      await c.query('ALTER TABLE requests DISABLE TRIGGER requests_usage');
      const T0 = Date.UTC(2026, 0, 1);
      await c.query(
        `INSERT INTO requests (request_id, created_at, source, requested_model, prompt_preview, decision_json, model,
           strategy, confidence, routing_latency_ms, status, answered_by, prompt_tokens, completion_tokens, total_tokens,
           cost_usd, latency_ms, record_json)
         SELECT 'fugu-bulk-' || g, $1::bigint + g * 2000, 'http', 'auto', 'prompt ' || g,
           '{"model":"model-a","confidence":0.8,"strategy":"cost","latency_ms":1,"explanation":"bulk","alternatives":[],"estimated_cost":0}',
           CASE WHEN g % 3 = 0 THEN 'model-b' ELSE 'model-a' END, CASE WHEN g % 2 = 0 THEN 'cost' ELSE 'learned' END,
           0.8, 1, 'ok', CASE WHEN g % 3 = 0 THEN 'model-b' ELSE 'model-a' END, 100, 50, 150, 0.0002, 300, '{}'
         FROM generate_series(1, $2::bigint) AS g`,
        [T0, rows],
      );
      await c.query(`INSERT INTO usage_hourly
        SELECT (created_at / 3600000) * 3600000, COALESCE(answered_by, model), strategy, COUNT(*),
          SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0),
          SUM(cost_usd), SUM(latency_ms), SUM(routing_latency_ms)
        FROM requests GROUP BY 1, 2, 3
        ON CONFLICT (hour, model, strategy) DO UPDATE SET requests = excluded.requests`);
      await c.query('ALTER TABLE requests ENABLE TRIGGER requests_usage');
      await c.query('ANALYZE');
    });
    console.log(`loaded ${rows} requests in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    const time = async (path: string, n = 30): Promise<number> => {
      const xs: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        const res = await fetch(`${team.url}${path}`);
        if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        xs.push(performance.now() - t);
      }
      return pct(xs, 50);
    };
    const middle = Date.UTC(2026, 0, 1) + (rows / 2) * 2000;
    const since = Date.UTC(2026, 0, 1) + rows * 2000 - 7 * 86_400_000 + 123_456;
    report(
      `million (${rows} requests): /v1/stats p50 ${(await time('/v1/stats')).toFixed(1)} ms, ` +
        `/v1/stats?since=7 days mid-hour p50 ${(await time(`/v1/stats?since=${since}`)).toFixed(1)} ms, ` +
        `decisions newest page p50 ${(await time('/v1/routing/decisions?limit=50')).toFixed(1)} ms, ` +
        `a page in the middle p50 ${(await time(`/v1/routing/decisions?limit=50&before=${middle}`)).toFixed(1)} ms (target ≤ 50 ms); ` +
        `rankings p50 ${(await time('/v1/feedback/rankings', 5)).toFixed(0)} ms (no target)`,
    );
  } finally {
    await stopDaemon(team);
  }
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `node esbuild.mjs` first');
  console.log(
    `bench:team on ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)} (figures are noisy on a busy machine)`,
  );
  const db = await startPostgres();
  const upstream = await startUpstream();
  try {
    if (sections.has('propagation')) await propagation(db, upstream.url);
    if (sections.has('overhead')) await overhead(db, upstream.url);
    if (sections.has('budget')) await budget(db, upstream.url);
    if (sections.has('million')) await million(db, upstream.url);
    if (sections.has('chaos')) await chaos(db, upstream.url);
  } finally {
    upstream.child.kill();
    db.destroy();
  }
  console.log(`\nsummary\n${results.join('\n')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
