// Research bench (not shipped): the live multi-model stack at 100,000 stored outcomes — the cost
// of looking for a pool to stack at every learner refit, the stack's background fit, a stacked
// decision's p50 against the learned strategy's on the same store in the same run, and RSS.
// Synthetic embeddings as in test/bench/router.ts (400 topic centres, 10 models); 4,000 prompts
// are scored for every model (an imported table), the rest of the outcomes rate one model each.
//   node --expose-gc --import tsx scripts/research/bench-multi-stack.ts
import { performance } from 'node:perf_hooks';
import { seededRandom } from '../../daemon/benchmark/folds';
import { textFeatures } from '../../daemon/core/learned/features';
import { completeSet, DEFAULT_LIVE_STACK, LiveMultiStack } from '../../daemon/core/learned/multi-stack-live';
import { QualityModel } from '../../daemon/core/learned/quality-model';
import { DEFAULT_LEARNED_OPTIONS, LearnedStrategy } from '../../daemon/core/learned/strategies';
import type { Candidate, RouteInput } from '../../daemon/core/ports';
import { candidate as poolCandidate, routeInput } from '../../test/helpers/learning';

const OUTCOMES = Number(process.env.BENCH_OUTCOMES ?? 100_000);
const COMPLETE_PROMPTS = 4_000;
const STACK_MAX = Number(process.env.STACK_MAX ?? DEFAULT_LIVE_STACK.maxPrompts);
const DIMS = 512;
const MODELS = Array.from({ length: 10 }, (_, i) => `model-${i}`);

const unit = (v: Float32Array) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const gaussian = (random: () => number) =>
  Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function candidate(name: string, i: number): Candidate {
  return poolCandidate(name, 0.0005 * (i + 1));
}

function input(text: string, embedding: Float32Array): RouteInput {
  return routeInput(text, {
    embedding,
    costWeight: 1,
    estimatedInputTokens: 100,
    expectedOutputTokens: 300,
    random: Math.random,
  });
}

async function main(): Promise<void> {
  const random = seededRandom(42);
  const centres = Array.from({ length: 400 }, () => unit(Float32Array.from({ length: DIMS }, () => gaussian(random))));
  // Each topic has a best model, so the stack has something to learn.
  const bestOf = centres.map((_, t) => t % MODELS.length);
  const model = new QualityModel(DIMS);
  const texts = new Map<string, string>();
  let added = 0;
  for (let p = 0; added < OUTCOMES; p++) {
    const topic = Math.floor(random() * centres.length);
    const v = unit(centres[topic]!.map((x) => x + 0.04 * gaussian(random)));
    const text = `synthetic prompt ${p} on topic ${topic}`;
    const features = textFeatures(text);
    texts.set(`p${p}`, text);
    const scoredModels = p < COMPLETE_PROMPTS ? MODELS.map((_, m) => m) : [Math.floor(random() * MODELS.length)];
    for (const m of scoredModels) {
      model.add(`p${p}`, v, features, MODELS[m]!, random() < (m === bestOf[topic] ? 0.9 : 0.5) ? 1 : 0);
      added++;
    }
  }
  const yieldNow = () => new Promise<void>((r) => setImmediate(r));
  await model.refit(random, yieldNow);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss / 2 ** 20;
  const heap = () => (process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers) / 2 ** 20;
  const heapBefore = heap();

  let t = performance.now();
  const set = await completeSet(model.index);
  const scanMs = performance.now() - t;
  const live = new LiveMultiStack({ ...DEFAULT_LIVE_STACK, maxPrompts: STACK_MAX });
  t = performance.now();
  const line = await live.refit(model, () => texts, random, yieldNow);
  const fitMs = performance.now() - t;
  global.gc?.();
  const rssAfter = process.memoryUsage().rss / 2 ** 20;
  const heapAfter = heap();

  const pool = MODELS.map(candidate);
  const learned = new LearnedStrategy(model, DEFAULT_LEARNED_OPTIONS);
  const stacked: number[] = [];
  const blended: number[] = [];
  let stackDecided = 0;
  for (let i = 0; i < 500; i++) {
    const q = unit(centres[Math.floor(random() * centres.length)]!.map((x) => x + 0.04 * gaussian(random)));
    const text = `a new prompt ${i}`;
    t = performance.now();
    if (live.decide(input(text, q), pool)) stackDecided++;
    stacked.push(performance.now() - t);
    t = performance.now();
    learned.decide(input(text, q), pool);
    blended.push(performance.now() - t);
  }
  const loadAvg = (await import('node:os')).loadavg()[0]!;
  console.log(
    JSON.stringify(
      {
        outcomes: model.size,
        complete_set: set ? `${set.models.length} models, ${set.points.length} prompts` : null,
        scan_for_pool_ms: Math.round(scanMs * 10) / 10,
        stack_fit_ms: Math.round(fitMs),
        fitted: line,
        stacked_decisions: stackDecided,
        stacked_p50_ms: Math.round(p50(stacked) * 100) / 100,
        learned_p50_ms: Math.round(p50(blended) * 100) / 100,
        rss_mb_before_stack: Math.round(rssBefore),
        rss_mb_with_stack: Math.round(rssAfter),
        heap_mb_before_stack: Math.round(heapBefore),
        heap_mb_with_stack: Math.round(heapAfter),
        stack_max_prompts: STACK_MAX,
        load_average: Math.round(loadAvg * 10) / 10,
      },
      null,
      1,
    ),
  );
}
void main();
