// npm run bench:router — decision latency and memory of the learning strategies with 100,000
// stored outcomes. Targets (issue 3): p50 ≤ 2 ms with the embedding cached, ≤ 15 ms for an uncached
// ≤ 500-character prompt (embedding included), memory ≤ 250 MB.
//
// The learned strategy decides with the bundled router prior loaded and blended in, as the daemon's
// does; the same decisions without the prior are timed next to it.
//
// The 100k outcomes use synthetic embeddings (unit vectors scattered around 400 topic centres,
// 10 models): embedding 100k real prompts with USE takes hours on a laptop CPU, and search cost
// depends on the count and dimension, not on where the vectors came from. The uncached case
// embeds real text with the bundled USE model (a ~130- and a 500-character prompt). The memory
// figure includes the embedding cache a daemon with that many outcomes holds (the on-disk cache of
// every stored prompt, whose keys stay in memory). Wall-clock figures suffer when the machine is
// shared, so CPU time per decision is reported next to them (with the load average).
// The npm script bundles this file with esbuild and runs it on plain node, as the daemon ships:
// under the tsx loader the same run measured ~25 MB more RSS and ~0.9 ms slower decisions.
// It runs in the daemon's malloc settings: on Linux every daemon starts with DAEMON_MALLOC_ENV
// (shared/daemon.ts: MALLOC_ARENA_MAX=2, mmap and trim thresholds; `serve` and a VS Code window set
// them), so this bench re-runs itself with them when MALLOC_ARENA_MAX is unset, as `serve` does
// (without them: ~20 MB more, in malloc arenas the daemon never has).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { shouldBoundArenas } from '../../daemon/app/malloc-arenas';
import { DAEMON_MALLOC_ENV, withDaemonMallocEnv } from '../../shared/daemon';
import { seededRandom } from '../../daemon/benchmark/folds';
import { textFeatures } from '../../daemon/core/learned/features';
import { QualityModel } from '../../daemon/core/learned/quality-model';
import { PoolPrior } from '../../daemon/core/learned/pool-prior';
import { DEFAULT_LEARNED_OPTIONS, LearnedStrategy, SimilarityStrategy } from '../../daemon/core/learned/strategies';
import type { Candidate, RouteInput } from '../../daemon/core/ports';
import { CachingEmbedder } from '../../daemon/embeddings/cached';
import { DiskEmbeddingCache } from '../../daemon/embeddings/disk-cache';
import { contentKey } from '../../daemon/embeddings/text';
import { createThreadedUseEmbedder } from '../../daemon/embeddings/threaded';
import { USE_ID } from '../../daemon/embeddings/use';
import { bundledPrior } from '../../daemon/assets/bundled-prior';
import { candidate as poolCandidate, routeInput } from '../helpers/learning';
import { rssByMapping } from './rss-by-mapping';

// A full collection on demand (as --expose-gc gives), for the memory figures measured after one.
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

const OUTCOMES = Number(process.env.BENCH_OUTCOMES ?? 100_000);
const DIMS = 512;
const MODELS = Array.from({ length: 10 }, (_, i) => `model-${i}`);

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** The bench's pool: each model a little dearer than the one before. */
function candidate(name: string, i: number): Candidate {
  return poolCandidate(name, 0.0005 * (i + 1));
}

function input(text: string, embedding: Float32Array | undefined): RouteInput {
  return routeInput(text, {
    embedding,
    costWeight: 1,
    estimatedInputTokens: 100,
    expectedOutputTokens: 300,
    random: Math.random,
  });
}

const PROMPTS = [
  'Explain the difference between a process and a thread, and when you would prefer one over the other in a web server.',
  'Write a TypeScript function that debounces another function and cancels pending calls when asked.',
  'What were the main causes of the French Revolution? Give three, each with one sentence of evidence.',
  'Solve for x: 3x^2 - 12x + 9 = 0, and show each step.',
  'Summarise the plot of Hamlet in five sentences for a 12-year-old.',
];

/**
 * Where the memory goes, stage by stage (MB): RSS and the V8 heap / external / ArrayBuffer parts,
 * as they are (no collection forced: garbage V8 has not collected yet counts, as in a daemon).
 */
const memoryStages: Record<
  string,
  {
    rss: number;
    heap_total: number;
    heap: number;
    external: number;
    array_buffers: number;
    malloc_main_arena?: number;
  }
> = {};
const mb = (x: number) => Math.round(x / 2 ** 20);
function recordMemory(stage: string): void {
  const m = process.memoryUsage();
  memoryStages[stage] = {
    rss: mb(m.rss),
    heap_total: mb(m.heapTotal),
    heap: mb(m.heapUsed),
    external: mb(m.external),
    array_buffers: mb(m.arrayBuffers),
    ...mallocMainArena(),
  };
}

/**
 * The RSS of glibc malloc's main arena (the `[heap]` mapping): where the main thread's
 * ArrayBuffers and native allocations live, with the holes freeing leaves (Linux only).
 */
function mallocMainArena(): { malloc_main_arena?: number } {
  if (!existsSync('/proc/self/smaps')) return {};
  const text = readFileSync('/proc/self/smaps', 'utf8');
  const at = text.indexOf('[heap]');
  if (at < 0) return {};
  const rss = /\nRss:\s+(\d+) kB/.exec(text.slice(at));
  return rss ? { malloc_main_arena: Math.round(Number(rss[1]) / 1024) } : {};
}

/** The main thread's V8 heap by space (MB committed / used), after a full collection. */
function heapSpaces(): Record<string, string> {
  return Object.fromEntries(
    getHeapSpaceStatistics()
      .filter((s) => s.space_size > 2 ** 20)
      .map((s) => [s.space_name, `${mb(s.space_size)} / ${mb(s.space_used_size)}`]),
  );
}

async function main() {
  // What the process holds before the router exists: node plus, when run from source, tsx's
  // loader (about 50 MB of the total; the daemon runs as an esbuild bundle without it).
  const rssAtStart = process.memoryUsage().rss / 2 ** 20;
  recordMemory('start');
  const random = seededRandom(42);
  const started = performance.now();
  const centres = Array.from({ length: 400 }, () => unit(Float32Array.from({ length: DIMS }, () => gaussian(random))));
  const model = new QualityModel(DIMS);
  // The daemon keeps every stored prompt's embedding in the on-disk cache (and the newest 5,000 in
  // its LRU), so the memory figure includes both, filled as the learner fills them at start-up.
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-bench-'));
  const disk = new DiskEmbeddingCache(cacheDir, USE_ID, DIMS);
  const syntheticText = (p: number) => `synthetic prompt ${p}`;
  const prompts = Math.ceil(OUTCOMES / 2);
  let added = 0;
  // Vectors are made in batches of the learner's size (its drain embeds 256 prompts at a time and
  // the cache writes them together); the model keys a prompt by its content key, as the learner does.
  const DRAIN_BATCH = 256;
  // The fixture's vectors are made in one reused batch buffer: in a daemon they were written by
  // earlier runs, so a fresh array per prompt here would be garbage (and malloc holes) the daemon
  // never makes (the model copies each vector into its index; the cache writes it to the file).
  const fixtureVectors = new Float32Array(DRAIN_BATCH * DIMS);
  let batch: { key: string; vector: Float32Array }[] = [];
  for (let p = 0; p < prompts && added < OUTCOMES; p++) {
    const centre = centres[Math.floor(random() * centres.length)]!;
    const v = fixtureVectors.subarray(batch.length * DIMS, (batch.length + 1) * DIMS);
    let norm = 0;
    for (let i = 0; i < DIMS; i++) {
      v[i] = centre[i]! + 0.04 * gaussian(random);
      norm += v[i]! * v[i]!;
    }
    for (let i = 0; i < DIMS; i++) v[i] = v[i]! / Math.sqrt(norm);
    const features = textFeatures(syntheticText(p));
    batch.push({ key: contentKey(USE_ID, syntheticText(p)), vector: v });
    if (batch.length === DRAIN_BATCH) {
      disk.putMany(batch);
      batch = [];
    }
    for (let j = 0; j < 2 && added < OUTCOMES; j++, added++) {
      const m = MODELS[Math.floor(random() * MODELS.length)]!;
      model.add(contentKey(USE_ID, syntheticText(p)), v, features, m, random() < 0.7 ? 1 : 0);
    }
  }
  disk.putMany(batch);
  const loadMs = performance.now() - started;
  recordMemory('outcomes_added');
  const refitStart = performance.now();
  await model.refit(random, () => new Promise((r) => setImmediate(r)));
  const refitMs = performance.now() - refitStart;
  recordMemory('refitted');
  global.gc?.();
  const heapAfterLoad = (process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers) / 2 ** 20;
  const rssAfterLoad = process.memoryUsage().rss / 2 ** 20;

  const pool = MODELS.map(candidate);
  // As the daemon builds it (learner.ts): the bundled prior loaded and blended into every decision.
  const prior = new PoolPrior(bundledPrior());
  const learned = new LearnedStrategy(model, DEFAULT_LEARNED_OPTIONS, prior);
  const learnedWithoutPrior = new LearnedStrategy(model);
  const similarity = new SimilarityStrategy(model);
  const queries = Array.from({ length: 300 }, () => {
    const c = centres[Math.floor(random() * centres.length)]!;
    return unit(c.map((x) => x + 0.04 * gaussian(random)));
  });
  const cached: number[] = [];
  const cachedCpu: number[] = [];
  const cachedSimilarity: number[] = [];
  const cachedWithoutPrior: number[] = [];
  queries.forEach((q, i) => {
    const text = PROMPTS[i % PROMPTS.length]!;
    const cpu = process.cpuUsage();
    let t = performance.now();
    learned.decide(input(text, q), pool);
    cached.push(performance.now() - t);
    const used = process.cpuUsage(cpu);
    cachedCpu.push((used.user + used.system) / 1000);
    t = performance.now();
    similarity.decide(input(text, q), pool);
    cachedSimilarity.push(performance.now() - t);
    t = performance.now();
    learnedWithoutPrior.decide(input(text, q), pool);
    cachedWithoutPrior.push(performance.now() - t);
  });

  // Uncached: a real ≤ 500-char prompt through USE (model already loaded, as in a running daemon).
  recordMemory('prior_loaded_300_decisions');
  // The daemon's embedder: USE on a worker thread.
  const threaded = createThreadedUseEmbedder();
  const embedder = new CachingEmbedder(threaded, { disk });
  recordMemory('worker_started');
  const cacheFillStart = performance.now();
  // As the learner's drain reads them back at start-up: a batch at a time into one reused buffer.
  const drainVectors = new Float32Array(DRAIN_BATCH * DIMS);
  for (let p = 0; p < prompts; p += DRAIN_BATCH) {
    await embedder.embed(
      Array.from({ length: Math.min(DRAIN_BATCH, prompts - p) }, (_, i) => syntheticText(p + i)),
      drainVectors,
    );
  }
  const cacheFillMs = performance.now() - cacheFillStart;
  recordMemory('cache_keys_loaded');
  // A cached embedding as a decision finds it: in the LRU, or on disk.
  const lookups: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    await embedder.embed([syntheticText(Math.floor(random() * prompts))]);
    lookups.push(performance.now() - t);
  }
  await embedder.embed(['warm up']);
  recordMemory('use_loaded');
  const useModel = new QualityModel(DIMS);
  const seedTexts = PROMPTS.map((p, i) => `${p} (variant ${i})`);
  const seedVectors = await embedder.embed(seedTexts);
  seedVectors.forEach((v, i) =>
    MODELS.forEach((m) => useModel.add(`s${i}`, v, textFeatures(seedTexts[i]!), m, random())),
  );
  const useLearned = new LearnedStrategy(useModel);
  const uncachedEmbedOnly: number[] = [];
  const uncached: number[] = [];
  const uncachedCpu: number[] = [];
  // Two lengths: the ~130-character prompts above and 500-character ones (the target's bound);
  // USE's work grows with the token count.
  const uncachedLong: number[] = [];
  for (let i = 0; i < 80; i++) {
    const long = i >= 40;
    const text = long
      ? `Request ${i}: ${[...PROMPTS, ...PROMPTS].map((_, j) => PROMPTS[(i + j) % PROMPTS.length]).join(' ')}`.slice(
          0,
          500,
        )
      : `${PROMPTS[i % PROMPTS.length]!} Request ${i}: keep it short.`.slice(0, 500);
    const cpu = process.cpuUsage();
    const t = performance.now();
    const [v] = await embedder.embed([text]);
    const embedded = performance.now();
    // Decision cost at 100k outcomes is measured above; add it to the embedding time.
    learned.decide(input(text, v), pool);
    if (long) {
      uncachedLong.push(performance.now() - t);
      continue;
    }
    uncached.push(performance.now() - t);
    const used = process.cpuUsage(cpu);
    uncachedCpu.push((used.user + used.system) / 1000);
    uncachedEmbedOnly.push(embedded - t);
    useLearned.decide(input(text, v), pool);
  }
  // routing.embeddings.wait_ms = 10: a new 500-character prompt is decided from its words when its
  // embedding (on the worker thread) is not back within 10 ms; the embedding still completes.
  const WAIT_MS = 10;
  const withWait: number[] = [];
  let decidedFromWords = 0;
  const background: Promise<unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    const text =
      `Budgeted request ${i}: ${[...PROMPTS, ...PROMPTS].map((_, j) => PROMPTS[(i + j) % PROMPTS.length]).join(' ')}`.slice(
        0,
        500,
      );
    const t = performance.now();
    const embedding = embedder.embed([text]).then(([v]) => v);
    background.push(embedding);
    const v = await Promise.race([embedding, new Promise<undefined>((r) => setTimeout(r, WAIT_MS, undefined))]);
    const verdict = learned.decide(input(text, v), pool);
    withWait.push(performance.now() - t);
    if (!v && !verdict.abstain) decidedFromWords++;
  }
  await Promise.all(background);
  recordMemory('end');
  const rss = process.memoryUsage().rss / 2 ** 20;
  // The raw figure swings by ±30 MB with when V8 last collected (runs of the same build measured
  // 217–281 MB, lower when the machine was busy): what the daemon holds is measured after a full
  // collection, while the USE worker is loaded and again at rest, once its idle time has ended it.
  fullGc();
  const rssAfterGc = process.memoryUsage().rss / 2 ** 20;
  recordMemory('end_after_full_gc');
  const mainHeapSpaces = heapSpaces();
  const worker = await threaded.memory();
  const byMapping = rssByMapping('self', worker?.wasm ?? 0);
  const idleStart = performance.now();
  while (threaded.running) await new Promise((r) => setTimeout(r, 1000));
  const workerEndedAfterS = (performance.now() - idleStart) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  fullGc();
  const rssAtRest = process.memoryUsage().rss / 2 ** 20;
  disk.close();
  rmSync(cacheDir, { recursive: true, force: true });
  const report = {
    outcomes: model.size,
    prompts: model.index.size,
    load_ms: Math.round(loadMs),
    refit_ms: Math.round(refitMs),
    learned_cached_p50_ms: +percentile(cached, 50).toFixed(3),
    learned_cached_p95_ms: +percentile(cached, 95).toFixed(3),
    learned_cached_cpu_p50_ms: +percentile(cachedCpu, 50).toFixed(3),
    similarity_cached_p50_ms: +percentile(cachedSimilarity, 50).toFixed(3),
    learned_without_prior_cached_p50_ms: +percentile(cachedWithoutPrior, 50).toFixed(3),
    uncached_p50_ms: +percentile(uncached, 50).toFixed(2),
    uncached_cpu_p50_ms: +percentile(uncachedCpu, 50).toFixed(2),
    uncached_500_chars_p50_ms: +percentile(uncachedLong, 50).toFixed(2),
    uncached_500_chars_wait_10ms_p50_ms: +percentile(withWait, 50).toFixed(2),
    uncached_500_chars_wait_10ms_decided_from_words: `${decidedFromWords}/40`,
    load_average_1m: +os.loadavg()[0]!.toFixed(1),
    cpus: os.cpus().length,
    malloc_env: Object.keys(DAEMON_MALLOC_ENV)
      .map((k) => `${k}=${process.env[k] ?? 'unset'}`)
      .join(' '),
    uncached_embedding_only_p50_ms: +percentile(uncachedEmbedOnly, 50).toFixed(2),
    embedding_cache_lookup_p50_ms: +percentile(lookups, 50).toFixed(3),
    embedding_cache_fill_ms: Math.round(cacheFillMs),
    embedding_cache_entries: disk.size,
    rss_at_start_mb: Math.round(rssAtStart),
    rss_after_load_mb: Math.round(rssAfterLoad),
    heap_and_buffers_after_load_mb: Math.round(heapAfterLoad),
    rss_mb: Math.round(rss),
    rss_after_full_gc_mb: Math.round(rssAfterGc),
    rss_at_rest_mb: Math.round(rssAtRest),
    use_worker_ended_after_idle_s: Math.round(workerEndedAfterS),
    // Where the RSS after the full collection goes: the main thread's V8 heap by space
    // (committed / used), and the USE worker's own V8 heap and tfjs WASM memory.
    main_heap_spaces_mb: mainHeapSpaces,
    use_worker_mb: worker && { heap_total: mb(worker.heapTotal), heap: mb(worker.heapUsed), wasm: mb(worker.wasm) },
    rss_by_mapping_mb: byMapping,
    memory_stages_mb: memoryStages,
    targets: { cached_p50_ms: 2, uncached_p50_ms: 15, rss_after_full_gc_mb: 250 },
  };
  console.log(JSON.stringify(report, null, 2));
  const ok = report.learned_cached_p50_ms <= 2 && report.uncached_p50_ms <= 15 && report.rss_after_full_gc_mb <= 250;
  console.log(ok ? 'all targets met' : 'some targets missed (see above)');
}

if (shouldBoundArenas()) {
  const run = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: withDaemonMallocEnv(process.env),
  });
  process.exit(run.status ?? 1);
} else void main();
