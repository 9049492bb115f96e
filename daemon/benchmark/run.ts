// The benchmark runner behind `fugusashi benchmark`, the VS Code task and the dashboard: it trains
// the same QualityModel the live router uses on score tables and reports RouteLLM's metrics
// (two-model) or quality and cost against the best single model and the oracle (multi-model).
import { randomUUID } from 'node:crypto';
import type { BenchmarkProgress, BenchmarkReport } from '../../shared/api';
import { promptFeatures, type PromptFeatures } from '../core/learned/features';
import { utilities } from '../core/learned/policy';
import { DEFAULT_QUALITY_MODEL, QualityModel, type QualityModelOptions } from '../core/learned/quality-model';
import type { Candidate } from '../core/ports';
import type { EmbedderConfig } from '../embeddings/index';
import { defaultCacheDir, openBenchmarkEmbedder } from './cache';
import { completeRows, loadTable, type EvalRow, type EvalTable } from './data';
import { foldOf, seededRandom } from './folds';
import { apgr, cpt, mean, qualityCurve } from './metrics';
import { PoolPrior } from '../core/learned/pool-prior';
import type { PriorArtifact } from '../core/learned/prior';
import { bundledPrior } from '../learning/bundled-prior';
import { trainPriorWithout } from './prior-bench';
import { MULTI_KNN, multiNestedReport, stackedFolds, type MultiNestedReport } from './multi-run';

export interface BenchmarkOptions {
  /** One file for --folds / --online / the sample. */
  file?: string;
  train?: string;
  test?: string;
  folds?: number;
  online?: boolean;
  strong?: string;
  weak?: string;
  /** Restrict multi-model runs to these columns. */
  models?: string[];
  cacheDir?: string;
  seed?: number;
  embeddings?: EmbedderConfig;
  model?: Partial<QualityModelOptions>;
  /** λ values (quality points per US cent) for the multi-model sweep. */
  lambdas?: number[];
  /** λ of the decisions written with --emit in multi-model runs. */
  emitLambda?: number;
  /** --online: numbers of revealed outcomes at which to measure. */
  checkpoints?: number[];
  /** Marks the report as the bundled sample. */
  sample?: boolean;
  /** Stops the run at its next step (each embedded chunk, each fold, each online checkpoint). */
  signal?: AbortSignal;
  /** --prior-only: score the file with the prior alone; nothing of the file is learned. */
  priorOnly?: boolean;
  /** --with-prior: --folds / --train / --online start from the prior and blend it in. */
  withPrior?: boolean;
  /**
   * --prior-data DIR: train the prior now from DIR's licence-compatible files, leaving out the
   * evaluated file (leave-one-dataset-out: its rows are never seen, not even for abilities).
   */
  priorData?: string;
  /** The prior to use instead of the bundled one (tests). */
  priorArtifact?: PriorArtifact;
  /** Outcomes at which a model's store estimate and the prior weigh the same (default 50). */
  priorWeight?: number;
  /**
   * Multi-model --folds: stack kNN, the heads and the prior's IRT structure with nested selection
   * (multi-run.ts; default). false: the live learned strategy's blend alone.
   */
  stack?: boolean;
}

export interface Variant {
  name: string;
  apgr?: number;
  quality?: number;
}

export interface BenchmarkResult {
  report: BenchmarkReport & {
    variants?: Variant[];
    cheapest_at_best_quality?: { lambda: number; quality: number; cost: number } | null;
    multi_nested?: MultiNestedReport;
  };
  /** One line per test row: uid and the strong-win score (two-model) or the chosen model. */
  decisions: { uid: string; value: string }[];
}

export type ProgressListener = (progress: BenchmarkProgress) => void;

/** The pair of the bundled MMLU sample (test/fixtures/benchmark/sample.csv). */
export const SAMPLE_PAIR = { strong: 'gpt-4-1106-preview', weak: 'mistralai/Mixtral-8x7B-Instruct-v0.1' };

const DEFAULT_LAMBDAS = [0, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
/** --online: share of decisions drawn uniformly (the exploration budget of the replay). */
const ONLINE_UNIFORM_SHARE = 0.3;
const DEFAULT_CHECKPOINTS = [100, 250, 500, 1000, 2000, 3000, 5000, 8000];

export interface Prepared {
  row: EvalRow;
  key: string;
  vector: Float32Array;
  features: PromptFeatures;
  /** Scores mapped to 0..1 for learning (metrics use the raw scores). */
  learnScores: (number | null)[];
}

export async function runBenchmark(options: BenchmarkOptions, onProgress?: ProgressListener): Promise<BenchmarkReport> {
  return (await runBenchmarkDetailed(options, onProgress)).report;
}

export async function runBenchmarkDetailed(
  options: BenchmarkOptions,
  onProgress: ProgressListener = () => {},
): Promise<BenchmarkResult> {
  const started = Date.now();
  const runId = randomUUID();
  const progress = (phase: string, done: number, total: number) => {
    options.signal?.throwIfAborted();
    onProgress({ run_id: runId, phase, done, total });
  };
  if (options.sample && !options.strong && !options.weak) {
    // The bundled sample is a two-model file: default to its pair (as `fugusashi benchmark` does).
    options = { ...options, strong: SAMPLE_PAIR.strong, weak: SAMPLE_PAIR.weak };
  }
  const only = options.strong && options.weak ? [options.strong, options.weak] : options.models;

  const trainTable = options.train ? loadTable(options.train, only) : null;
  const testTable = options.test ? loadTable(options.test, only) : null;
  const table = options.file ? loadTable(options.file, only) : null;
  const main = testTable ?? table;
  if (!main) throw new Error('give a data file (or --train and --test)');
  if (trainTable && trainTable.models.join('\n') !== main.models.join('\n')) {
    throw new Error(`train and test files have different model columns`);
  }
  const models = main.models;
  const idx = models.map((_, i) => i);
  const range = {
    min: Math.min(main.min, trainTable?.min ?? Infinity),
    max: Math.max(main.max, trainTable?.max ?? -Infinity),
  };

  const { embedder, disk } = openBenchmarkEmbedder(options.cacheDir ?? defaultCacheDir(), options.embeddings);
  try {
    const usesPrior = options.priorOnly || options.withPrior || options.sample;
    let artifact: PriorArtifact | null = null;
    if (usesPrior) {
      artifact =
        options.priorArtifact ??
        (options.priorData
          ? trainPriorWithout(options.priorData, [main.name, trainTable?.name ?? ''])
          : bundledPrior());
    }
    // A words-only prior scoring a file needs no sentence embeddings (the slow part of a new file).
    const skipEmbedding = options.priorOnly && artifact?.input.embedding === 0;
    const prepare = async (t: EvalTable): Promise<Prepared[]> => {
      const rows = completeRows(t, idx);
      const vectors: Float32Array[] = [];
      const chunk = 64;
      if (skipEmbedding) rows.forEach(() => vectors.push(new Float32Array(0)));
      else
        for (let i = 0; i < rows.length; i += chunk) {
          vectors.push(...(await embedder.embed(rows.slice(i, i + chunk).map((r) => r.prompt))));
          progress(`embedding ${t.name}`, Math.min(i + chunk, rows.length), rows.length);
        }
      return rows.map((row, i) => ({
        row,
        key: embedder.keyOf(row.prompt),
        vector: vectors[i]!,
        features: promptFeatures(row.prompt),
        learnScores: row.scores.map((s) => (s === null ? null : normalise(s, range.min, range.max))),
      }));
    };

    const seed = options.seed ?? 1;
    const modelOptions = { ...DEFAULT_QUALITY_MODEL, ...options.model };
    const testRows = await prepare(main);
    const trainRows = trainTable ? await prepare(trainTable) : null;
    const dims = testRows[0]?.vector.length ?? embedder.dimensions;
    if (testRows.length === 0) throw new Error(`${main.name}: no complete rows`);

    const two = options.strong && options.weak ? { strong: 0, weak: 1 } : null;
    let mode: BenchmarkReport['mode'];
    let predictions: ModelQualities[];
    let evaluated: Prepared[];
    let learningCurve: { n: number; value: number }[] | undefined;
    /** --folds: each row's fold, so two-model scores are ranked within the router that made them. */
    let foldOfRow: number[] | null = null;
    const variants: Variant[] = [];
    let nested: MultiNestedReport | undefined;

    const priorWeight = options.priorWeight ?? 50;
    const freshPrior = () => (artifact ? { pool: new PoolPrior(artifact), weight: priorWeight } : undefined);
    if (options.priorOnly) {
      mode = 'prior';
      const pool = freshPrior()!.pool;
      predictions = testRows.map((r) => {
        const q = priorQualities(pool, r, models);
        return { blend: q, knn: q, linear: q, words: q };
      });
      evaluated = testRows;
    } else if (options.online) {
      mode = 'online';
      const result = await replayOnline(
        testRows,
        models,
        dims,
        modelOptions,
        seed,
        two,
        options.checkpoints,
        progress,
        options.withPrior ? freshPrior() : undefined,
      );
      predictions = result.predictions;
      evaluated = result.evaluated;
      learningCurve = result.curve;
      variants.push(...result.variants);
    } else if (trainRows) {
      mode = 'split';
      const model = await train(trainRows, models, dims, modelOptions, seed);
      progress('evaluating', 0, testRows.length);
      const prior = options.withPrior ? freshPrior() : undefined;
      predictions = testRows.map((r) => withPriorBlend(predictAll(model, r, models), model, r, models, prior));
      evaluated = testRows;
    } else {
      mode = options.sample ? 'sample' : 'folds';
      const k = options.folds ?? 5;
      if (k < 2) throw new Error('--folds needs at least 2');
      const byFold = testRows.map((r) => foldOf(r.row.prompt, k));
      foldOfRow = byFold;
      predictions = new Array<ModelQualities>(testRows.length);
      const stacked =
        !two && options.stack !== false && !options.withPrior
          ? await stackedFolds(
              testRows,
              models,
              dims,
              { ...modelOptions, ...MULTI_KNN, ...options.model },
              seed,
              k,
              progress,
            )
          : null;
      if (stacked) {
        stacked.stacked.forEach((blend, i) => {
          const p = stacked.parts[i]!;
          predictions[i] = { blend, knn: [...p.knn], linear: [...p.linear], words: [], irt: [...p.irt] };
        });
        nested = multiNestedReport(testRows, models, stacked);
      }
      for (let f = 0; f < (stacked ? 0 : k); f++) {
        progress('training folds', f, k);
        const model = await train(
          testRows.filter((_, i) => byFold[i] !== f),
          models,
          dims,
          modelOptions,
          seed + f,
        );
        const prior = options.withPrior ? freshPrior() : undefined;
        testRows.forEach((r, i) => {
          if (byFold[i] === f) predictions[i] = withPriorBlend(predictAll(model, r, models), model, r, models, prior);
        });
      }
      progress('training folds', k, k);
      evaluated = testRows;
    }

    const report: BenchmarkResult['report'] = {
      dataset: [trainTable?.name, main.name].filter(Boolean).join(' → '),
      mode,
      rows: evaluated.length,
      models,
      duration_ms: 0,
    };
    let decisions: BenchmarkResult['decisions'];
    if (two) {
      const strong = evaluated.map((r) => r.row.scores[two.strong]!);
      const weak = evaluated.map((r) => r.row.scores[two.weak]!);
      const raw = predictions.map((q) => 0.5 + (q.blend[two.strong]! - q.blend[two.weak]!) / 2);
      const scores = foldOfRow ? rankWithinFolds(raw, foldOfRow) : raw;
      const curve = qualityCurve(strong, weak, scores);
      Object.assign(report, {
        strong: options.strong,
        weak: options.weak,
        curve,
        apgr: apgr(curve),
        cpt50: cpt(curve, 0.5),
        cpt80: cpt(curve, 0.8),
      });
      for (const [name, pick] of (mode === 'prior'
        ? []
        : [
            ['kNN only', (q: ModelQualities) => q.knn],
            ['linear head only', (q: ModelQualities) => q.linear],
            ['words only (embedding not ready)', (q: ModelQualities) => q.words],
          ]) as [string, (q: ModelQualities) => number[]][]) {
        const variantRaw = predictions.map((q) => pick(q)[two.strong]! - pick(q)[two.weak]!);
        const c = qualityCurve(strong, weak, foldOfRow ? rankWithinFolds(variantRaw, foldOfRow) : variantRaw);
        variants.push({ name, apgr: apgr(c) });
      }
      decisions = evaluated.map((r, i) => ({ uid: r.row.uid, value: scores[i]!.toFixed(6) }));
    } else {
      const hasCosts = evaluated.every((r) => r.row.costs !== null);
      const lambdas = hasCosts ? (options.lambdas ?? DEFAULT_LAMBDAS) : [0];
      const choose = (i: number, lambda: number) => pick(evaluated[i]!, predictions[i]!.blend, lambda);
      const sweep = lambdas.map((lambda) => {
        const picks = evaluated.map((_, i) => choose(i, lambda));
        return {
          lambda,
          quality: mean(picks.map((m, i) => evaluated[i]!.row.scores[m]!)),
          cost: mean(picks.map((m, i) => evaluated[i]!.row.costs?.[m] ?? 0)),
        };
      });
      const singles = models.map((model, m) => ({
        model,
        quality: mean(evaluated.map((r) => r.row.scores[m]!)),
        cost: mean(evaluated.map((r) => r.row.costs?.[m] ?? 0)),
      }));
      const best = singles.reduce((a, b) => (b.quality > a.quality ? b : a));
      const reaching = sweep.filter((s) => s.quality >= best.quality).sort((a, b) => a.cost - b.cost);
      Object.assign(report, {
        lambda_sweep: sweep,
        best_single: best,
        oracle_quality: mean(evaluated.map((r) => Math.max(...r.row.scores.map((s) => s!)))),
        cheapest_at_best_quality: reaching[0] ?? null,
      });
      for (const [name, pickQ] of [
        ['kNN only', (q: ModelQualities) => q.knn],
        ['linear head only', (q: ModelQualities) => q.linear],
        ['words only (embedding not ready)', (q: ModelQualities) => q.words],
        ["IRT (the prior's structure, fitted on the pool) only", (q: ModelQualities) => q.irt ?? []],
      ] as const) {
        if (pickQ(predictions[0]!).length === 0) continue;
        const quality = mean(evaluated.map((r, i) => r.row.scores[pick(r, pickQ(predictions[i]!), 0)]!));
        variants.push({ name, quality });
      }
      const emitLambda = options.emitLambda ?? 0;
      decisions = evaluated.map((r, i) => ({ uid: r.row.uid, value: models[choose(i, emitLambda)]! }));
    }
    if (options.sample && two && artifact) {
      variants.push(...(await sampleStory(testRows, models, dims, modelOptions, seed, two, artifact, priorWeight)));
    }
    if (learningCurve) report.learning_curve = learningCurve;
    if (nested) report.multi_nested = nested;
    if (variants.length) report.variants = variants;
    report.duration_ms = Date.now() - started;
    return { report, decisions };
  } finally {
    disk.close();
  }
}

interface ModelQualities {
  blend: number[];
  knn: number[];
  linear: number[];
  /** As decided when the embedding is not ready in time (routing.embedding_wait_ms). */
  words: number[];
  /** Multi-model stacked runs: the IRT view alone. */
  irt?: number[];
}

/**
 * Each fold's scores as quantiles within that fold (0..1). Cross-validation trains one router per
 * fold, and their scores are not on one scale: a fold whose training rows happen to favour the strong
 * model more scores all its test rows higher, and because its own test rows then favour it less,
 * ranking the pooled raw scores penalises every router. Even a router that predicts nothing but the
 * training mean scored APGR .37 on MBPP that way. Ranking within folds is what deploying each
 * router would do: each sends its own top x % of prompts to the strong model.
 */
export function rankWithinFolds(scores: readonly number[], folds: readonly number[]): number[] {
  const out = new Array<number>(scores.length).fill(0);
  const members = new Map<number, number[]>();
  folds.forEach((f, i) => {
    const list = members.get(f);
    if (list) list.push(i);
    else members.set(f, [i]);
  });
  for (const rows of members.values()) {
    const order = [...rows].sort((a, b) => scores[a]! - scores[b]! || a - b);
    order.forEach((row, rank) => (out[row] = (rank + 0.5) / order.length));
  }
  return out;
}

function normalise(score: number, min: number, max: number): number {
  if (min >= 0 && max <= 1) return score;
  return max > min ? (score - min) / (max - min) : 0.5;
}

async function train(
  rows: readonly Prepared[],
  models: readonly string[],
  dims: number,
  options: QualityModelOptions,
  seed: number,
): Promise<QualityModel> {
  const model = new QualityModel(dims, options);
  for (const r of rows) {
    r.learnScores.forEach((s, m) => {
      if (s !== null) model.add(r.key, r.vector, r.features, models[m]!, s);
    });
  }
  await model.refit(seededRandom(seed), undefined, 'exact');
  return model;
}

function predictAll(model: QualityModel, r: Prepared, models: readonly string[]): ModelQualities {
  const p = model.predict(r.vector, r.features, models).models;
  const words = model.predict(null, r.features, models).models;
  return {
    blend: p.map((x) => x.quality),
    knn: p.map((x) => x.knn),
    linear: p.map((x) => x.linear ?? x.knn),
    words: words.map((x) => x.quality),
  };
}

/** The model index with the best utility for this row at λ (costs from the row, else free). */
function pick(r: Prepared, qualities: readonly number[], lambda: number): number {
  const candidates = qualities.map((_, m) => candidateOf(m, r.row.costs?.[m] ?? 0));
  const predictions = qualities.map((q, m) => ({
    model: String(m),
    quality: q,
    knn: q,
    linear: null,
    evidence: 0,
    neighbours: 0,
    outcomes: 0,
  }));
  const best = utilities(candidates, predictions, lambda)[0]!;
  return Number(best.candidate.config.name);
}

function candidateOf(m: number, cost: number): Candidate {
  return {
    config: {
      name: String(m),
      provider: 'openai',
      model: String(m),
      cost_per_input_token: 0,
      cost_per_output_token: 0,
      capabilities: [],
    },
    local: false,
    expectedCost: cost,
  };
}

/**
 * --online: hold out a fifth of the rows (by prompt hash) for measuring; stream the rest in a
 * seeded order; for each, the router picks a model (Thompson sampling, since nothing else would
 * ever reveal the other models) and only that model's score is fed back, as a live rating would be.
 */
export async function replayOnline(
  rows: readonly Prepared[],
  models: readonly string[],
  dims: number,
  options: QualityModelOptions,
  seed: number,
  two: { strong: number; weak: number } | null,
  checkpoints: readonly number[] = DEFAULT_CHECKPOINTS,
  progress: (phase: string, done: number, total: number) => void,
  prior?: { pool: PoolPrior; weight: number },
): Promise<{
  predictions: ModelQualities[];
  evaluated: Prepared[];
  curve: { n: number; value: number }[];
  variants: Variant[];
  model: QualityModel;
  stream: Prepared[];
}> {
  const random = seededRandom(seed);
  const evaluated = rows.filter((r) => foldOf(r.row.prompt, 5) === 0);
  const stream = rows.filter((r) => foldOf(r.row.prompt, 5) !== 0);
  for (let i = stream.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [stream[i], stream[j]] = [stream[j]!, stream[i]!];
  }
  const measure = (model: QualityModel): number => {
    const preds = evaluated.map((r) => withPriorBlend(predictAll(model, r, models), model, r, models, prior));
    if (two) {
      const c = qualityCurve(
        evaluated.map((r) => r.row.scores[two.strong]!),
        evaluated.map((r) => r.row.scores[two.weak]!),
        preds.map((q) => q.blend[two.strong]! - q.blend[two.weak]!),
      );
      return apgr(c);
    }
    return mean(evaluated.map((r, i) => r.row.scores[argmax(preds[i]!.blend)]!));
  };
  const model = new QualityModel(dims, options);
  const curve: { n: number; value: number }[] = [];
  const marks = [...checkpoints.filter((c) => c < stream.length), stream.length];
  if (prior) curve.push({ n: 0, value: measure(model) });
  let next = 0;
  for (let i = 0; i < stream.length; i++) {
    const r = stream[i]!;
    let chosen: number;
    if (model.size === 0 && !prior) chosen = Math.floor(random() * models.length);
    else if (model.size === 0 && prior) {
      const q = priorQualities(prior.pool, r, models);
      const p = q.map((quality) => ({ quality, evidence: 0, outcomes: 0 }));
      chosen = random() < ONLINE_UNIFORM_SHARE ? Math.floor(random() * models.length) : thompson(p, random);
    } else {
      const raw = model.predict(r.vector, r.features, models).models;
      const blended = prior ? withPriorBlend(predictAll(model, r, models), model, r, models, prior).blend : null;
      const p = raw.map((x, m) => (blended ? { ...x, quality: blended[m]! } : x));
      // A share of uniform draws on top of Thompson sampling: Thompson alone keeps picking the
      // stronger model, so the weak model's failures (what routing needs) would stay unseen.
      chosen = random() < ONLINE_UNIFORM_SHARE ? Math.floor(random() * models.length) : thompson(p, random);
    }
    const s = r.learnScores[chosen]!;
    model.add(r.key, r.vector, r.features, models[chosen]!, s);
    prior?.pool.observe(r.row.prompt, models[chosen]!, s);
    if (i + 1 === marks[next]) {
      await model.refit(seededRandom(seed + i), undefined, 'exact');
      curve.push({ n: i + 1, value: measure(model) });
      progress('online', i + 1, stream.length);
      next++;
    }
  }
  const supervised = await train(stream, models, dims, options, seed);
  const variants: Variant[] = [
    two
      ? { name: 'supervised on the same stream', apgr: measure(supervised) }
      : { name: 'supervised on the same stream', quality: measure(supervised) },
  ];
  return {
    predictions: evaluated.map((r) => withPriorBlend(predictAll(model, r, models), model, r, models, prior)),
    evaluated,
    curve,
    variants,
    model,
    stream,
  };
}

function thompson(p: readonly { quality: number; evidence: number; outcomes: number }[], random: () => number): number {
  let best = 0;
  let bestDraw = -Infinity;
  p.forEach((x, m) => {
    const n = x.evidence + x.outcomes / 50;
    const sd = Math.sqrt(Math.max(x.quality * (1 - x.quality), 0.05) / (n + 1));
    const u = Math.max(random(), 1e-12);
    const draw = x.quality + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    if (draw > bestDraw) {
      bestDraw = draw;
      best = m;
    }
  });
  return best;
}

function argmax(values: readonly number[]): number {
  let best = 0;
  values.forEach((v, i) => {
    if (v > values[best]!) best = i;
  });
  return best;
}

/** The prior's P(good) for each model column of a row (columns are pool names and model ids). */
export function priorQualities(pool: PoolPrior, r: Prepared, models: readonly string[]): number[] {
  const embeddingDims = pool.prior.embeddingDims;
  const vector = embeddingDims > 0 && r.vector.length === embeddingDims ? r.vector : null;
  const configs = models.map((m, i) => ({
    ...candidateOf(i, 0).config,
    name: m,
    model: m,
  }));
  return pool.predict(r.features, vector, configs).models.map((p) => p.quality);
}

/** Blends the store's estimates with the prior's as the live learned strategy does. */
function withPriorBlend(
  q: ModelQualities,
  model: QualityModel,
  r: Prepared,
  models: readonly string[],
  prior: { pool: PoolPrior; weight: number } | undefined,
): ModelQualities {
  if (!prior) return q;
  const p = priorQualities(prior.pool, r, models);
  const blend = q.blend.map((v, m) => {
    const n = model.outcomesOf(models[m]!);
    return (n * v + prior.weight * p[m]!) / (n + prior.weight);
  });
  return { ...q, blend };
}

/**
 * The bundled sample's story for a newcomer (MMLU rows the shipped prior never saw): the prior
 * alone; the prior after N ratings (only the chosen model's score revealed, 5 folds: ratings from
 * four, measured on the fifth); random; and the cost strategy (always the cheaper model).
 */
async function sampleStory(
  rows: readonly Prepared[],
  models: readonly string[],
  dims: number,
  options: QualityModelOptions,
  seed: number,
  two: { strong: number; weak: number },
  artifact: PriorArtifact,
  priorWeight: number,
): Promise<Variant[]> {
  const strong = rows.map((r) => r.row.scores[two.strong]!);
  const weak = rows.map((r) => r.row.scores[two.weak]!);
  const apgrOf = (score: number[], folds?: number[]) =>
    apgr(qualityCurve(strong, weak, folds ? rankWithinFolds(score, folds) : score));
  const alone = new PoolPrior(artifact);
  const priorScore = rows.map((r) => {
    const q = priorQualities(alone, r, models);
    return q[two.strong]! - q[two.weak]!;
  });
  const out: Variant[] = [{ name: 'prior alone (no ratings)', apgr: apgrOf(priorScore) }];
  const folds = rows.map((r) => foldOf(r.row.prompt, 5));
  for (const n of [50, 200]) {
    const score = new Array<number>(rows.length).fill(0);
    for (let f = 0; f < 5; f++) {
      const random = seededRandom(seed + 100 * f + n);
      const pool = new PoolPrior(artifact);
      const model = new QualityModel(dims, options);
      const stream = rows.filter((_, i) => folds[i] !== f).slice(0, n);
      for (const r of stream) {
        // Ratings arrive for whichever model the router sent the prompt to: a coin flip here, so
        // both models get rated as a live pool with exploration would.
        const chosen = random() < 0.5 ? two.strong : two.weak;
        const s = r.learnScores[chosen]!;
        model.add(r.key, r.vector, r.features, models[chosen]!, s);
        pool.observe(r.row.prompt, models[chosen]!, s);
      }
      await model.refit(seededRandom(seed + f), undefined, 'exact');
      rows.forEach((r, i) => {
        if (folds[i] !== f) return;
        const q = withPriorBlend(predictAll(model, r, models), model, r, models, { pool, weight: priorWeight }).blend;
        score[i] = q[two.strong]! - q[two.weak]!;
      });
    }
    out.push({ name: `prior + ${n} ratings`, apgr: apgrOf(score, folds) });
  }
  out.push({ name: 'random routing', apgr: 0.5 });
  out.push({ name: 'cost strategy: always the cheaper model (0 % strong calls)', quality: mean(weak) });
  return out;
}
