// The benchmark runner behind `fugusashi benchmark`, the VS Code task and the dashboard: it trains
// the same QualityModel the live router uses on score tables and reports RouteLLM's metrics
// (two-model) or quality and cost against the best single model and the oracle (multi-model).
import { randomUUID } from 'node:crypto';
import type { BenchmarkProgress, BenchmarkReport } from '../../shared/api';
import { textFeatures, type TextFeatures } from '../core/learned/features';
import { utilities } from '../core/learned/policy';
import { DEFAULT_QUALITY_MODEL, QualityModel, type QualityModelOptions } from '../core/learned/quality-model';
import type { Candidate } from '../core/ports';
import type { EmbedderConfig } from '../embeddings/index';
import { addBundledVectors, defaultCacheDir, openBenchmarkEmbedder } from './cache';
import { completeRows, loadTable, type EvalRow, type EvalTable } from './data';
import { loadTurnTable } from './turns';
import { foldOf, seededRandom } from './folds';
import { apgr, cpt, mean, qualityCurve } from './metrics';
import { PoolPrior } from '../core/learned/pool-prior';
import type { PriorArtifact } from '../core/learned/prior';
import { bundledPrior } from '../assets/bundled-prior';
import { loadInDomainData, trainPriorOutsideFold, trainPriorWithout } from './prior-bench';
import { staticPriorLogits } from '../core/learned/prior-offsets';
import { loadFastView } from '../embeddings/fast-view';
import { MULTI_KNN, multiNestedReport, stackedFolds, type MultiNestedReport } from './multi-run';
import { liveStackFolds, type LiveStackFold } from './live-stack-run';
import { sampleVectorsDir } from './sample';

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
  /**
   * --explore X: --online's share of decisions drawn uniformly (the replay's exploration; the
   * rest is Thompson sampling). Default ONLINE_UNIFORM_SHARE.
   */
  onlineExplore?: number;
  /** --online: stop the stream after this many outcomes (tuning runs; no supervised comparison). */
  onlineLimit?: number;
  /** Marks the report as the bundled sample. */
  sample?: boolean;
  /** Stops the run at its next step (each embedded chunk, each fold, each online checkpoint). */
  signal?: AbortSignal;
  /** --per-turn: a multi-turn file (MT-Bench) routed per request, each turn a row (turns.ts). */
  perTurn?: boolean;
  /** --prior-only: score the file with the prior alone; nothing of the file is learned. */
  priorOnly?: boolean;
  /** --with-prior: --folds / --train / --online start from the prior and blend it in. */
  withPrior?: boolean;
  /**
   * --prior-data DIR: train the prior now from DIR's licence-compatible files, leaving out the
   * evaluated file (leave-one-dataset-out: its rows are never seen, not even for abilities).
   */
  priorData?: string;
  /**
   * --prior-in-domain (with --folds and --prior-data): each test fold gets its own prior, trained
   * from DIR's other files plus this file's rows outside that fold; the store then learns the same
   * rows. Nothing of the test fold reaches the prior or the store.
   */
  priorInDomain?: boolean;
  /**
   * With --prior-in-domain (default true): the store's training rows get their prior logits from
   * priors that did not see them either (one more prior per training fold, trained without it and
   * the test fold), as a user's own outcomes are prompts the shipped prior never saw. false: the
   * test fold's prior, which was trained on those rows, gives them; its fit on them understates
   * what it gets wrong, so the store learns too small corrections (hash fold 0: GSM8K .537 against
   * .645 cross-fitted, Winogrande .419 against .581, MMLU .683 / .682).
   */
  priorCrossFit?: boolean;
  /** Fits averaged into each prior trained now (default: as the shipped prior, 5). */
  priorMembers?: number;
  /** The prior to use instead of the bundled one (tests). */
  priorArtifact?: PriorArtifact;
  /**
   * --prior-weight N: how many neighbour outcomes the prior's estimate for a prompt counts as in
   * the kNN half (QualityModelOptions.priorPseudoCount).
   */
  priorWeight?: number;
  /** --eval-folds: with --folds, score only these folds (each still trained on all the others). */
  evalFolds?: number[];
  /** --holdout-fold F: --online measures on hash fold F of 5 and streams the rest (default 0). */
  holdoutFold?: number;
  /**
   * Multi-model --folds: stack kNN, the heads and the prior's IRT structure with nested selection
   * (multi-run.ts). Off by default: the live router stacks kNN and the heads only (the IRT view's
   * fit would block the event loop), in core/learned/multi-stack-live.ts.
   */
  stack?: boolean;
  /**
   * --live-stack: multi-model --folds decided by the live router's own multi-model stack, fitted per
   * fold as a daemon fits it (live-stack-run.ts): the figure of what `auto` does for such a pool.
   */
  liveStack?: boolean;
  /**
   * --fast-view: also score each test row with the router deciding on the prompt's fast first view
   * (daemon/embeddings/fast-view.ts, as a daemon decides a new prompt) while the store keeps
   * learning USE vectors; reported as the variant FAST_VIEW_VARIANT next to the USE figure.
   */
  fastView?: boolean;
  /**
   * Research: return every scored row's views (the blend, kNN, heads, words, its fold's prior alone,
   * the kNN evidence) with its fold, so blends of them can be tried offline (scripts/research).
   */
  keepViews?: boolean;
}

/** One scored row's views (keepViews). */
export interface RowViews {
  uid: string;
  fold: number | null;
  scores: (number | null)[];
  blend: number[];
  knn: number[];
  linear: number[];
  words: number[];
  evidence: number[];
  prior: number[] | null;
}

/** The report's variant of --fast-view. */
export const FAST_VIEW_VARIANT = 'fast first view decides (store learned with USE)';

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
    /** --live-stack: per scored fold, what its stack was fitted on and its weights. */
    live_stack?: LiveStackFold[];
    /** --online: at each checkpoint, how the router combined the prior and the learned corrections. */
    online_corrections?: OnlineCorrection[];
    /** --prior-in-domain: what each test fold's prior was trained on (rows per file). */
    prior_training?: { fold: number; trained_on: PriorArtifact['trained_on'] }[];
  };
  /** One line per test row: uid and the strong-win score (two-model) or the chosen model. */
  decisions: { uid: string; value: string }[];
  /** keepViews: each scored row's views. */
  views?: RowViews[];
}

export interface OnlineCorrection {
  n: number;
  /** Share of the learned correction applied to the prior's estimate. */
  alpha: number;
  knn_share: number;
  store_alone: boolean;
}

export type ProgressListener = (progress: BenchmarkProgress) => void;

/** Prompts embedded between two progress reports (each report is also where a cancelled run stops). */
export const EMBEDDING_CHUNK = 64;

/** The first line of the bundled sample's story for a newcomer (the report's variants). */
export const SAMPLE_STORY_START = 'prior alone (no ratings)';

/** The pair of the bundled MMLU sample (test/fixtures/benchmark/sample.csv). */
export const SAMPLE_PAIR = { strong: 'gpt-4-1106-preview', weak: 'mistralai/Mixtral-8x7B-Instruct-v0.1' };

const DEFAULT_LAMBDAS = [0, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
/** --online: share of decisions drawn uniformly (the exploration budget of the replay). */
const ONLINE_UNIFORM_SHARE = 0.3;
const DEFAULT_CHECKPOINTS = [100, 300, 500, 1000, 2000, 3000, 5000, 8000];
/** Ratings the bundled sample's story learns from (out of the ~240 rows of four folds). */
const SAMPLE_RATINGS = [50, 200];
/** Seeded draws of which prompts are rated (and for which model) averaged per figure. */
const SAMPLE_DRAWS = 5;

export interface Prepared {
  row: EvalRow;
  key: string;
  vector: Float32Array;
  features: TextFeatures;
  /** Scores mapped to 0..1 for learning (metrics use the raw scores). */
  learnScores: (number | null)[];
  /** The router prior's logit per model column (shipped values, no online change), when in use. */
  priorLogits: number[] | null;
  /** --fast-view: the prompt's fast first view, and the prior's logits read with it. */
  fast?: { vector: Float32Array; priorLogits: number[] | null };
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
  const table = options.file
    ? options.perTurn
      ? loadTurnTable(options.file, only)
      : loadTable(options.file, only)
    : null;
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
    if (options.priorInDomain) {
      if (!options.priorData) throw new Error('--prior-in-domain needs --prior-data DIR');
      if (!options.file || options.priorOnly || trainTable || options.sample)
        throw new Error('--prior-in-domain works with FILE --folds K or FILE --online only');
    }
    const usesPrior = (options.priorOnly || options.withPrior || options.sample) && !options.priorInDomain;
    let artifact: PriorArtifact | null = null;
    if (usesPrior) {
      artifact =
        options.priorArtifact ??
        (options.priorData
          ? trainPriorWithout(options.priorData, [main.name, trainTable?.name ?? ''])
          : bundledPrior());
    }
    if (options.fastView && (options.online || options.sample))
      throw new Error('--fast-view works with FILE --folds K, --train/--test and --prior-only');
    const fastView = options.fastView ? loadFastView() : null;
    // A words-only prior scoring a file needs no sentence embeddings (the slow part of a new file).
    const skipEmbedding = options.priorOnly && artifact?.input.embedding === 0;
    // Once, before anything is embedded: the vectors the package ships (a run that embeds nothing,
    // such as --prior-only with a words-only prior, leaves the cache alone).
    if (!skipEmbedding) addBundledVectors(disk, sampleVectorsDir());
    const prepare = async (t: EvalTable): Promise<Prepared[]> => {
      const rows = completeRows(t, idx);
      const vectors: Float32Array[] = [];
      const chunk = EMBEDDING_CHUNK;
      if (skipEmbedding) rows.forEach(() => vectors.push(new Float32Array(0)));
      else {
        // The bar shows before the first chunk (seconds of USE on a new file), and a cancelled run
        // stops after that chunk rather than the next one.
        progress(`embedding ${t.name}`, 0, rows.length);
        for (let i = 0; i < rows.length; i += chunk) {
          vectors.push(...(await embedder.embed(rows.slice(i, i + chunk).map((r) => r.prompt))));
          progress(`embedding ${t.name}`, Math.min(i + chunk, rows.length), rows.length);
        }
      }
      const pool = artifact && !options.priorOnly ? new PoolPrior(artifact) : null;
      return rows.map((row, i) => {
        const features = textFeatures(row.prompt);
        const fast = fastView?.embed(row.prompt);
        return {
          row,
          key: embedder.keyOf(row.prompt),
          vector: vectors[i]!,
          features,
          learnScores: row.scores.map((s) => (s === null ? null : normalise(s, range.min, range.max))),
          priorLogits: pool ? staticPriorLogits(pool, features, vectors[i]!, configs) : null,
          ...(fast && {
            fast: { vector: fast, priorLogits: pool ? staticPriorLogits(pool, features, fast, configs) : null },
          }),
        };
      });
    };

    const configs = main.models.map((m) => ({ name: m, model: m, cost_per_output_token: 0 }));
    const seed = options.seed ?? 1;
    const modelOptions = { ...DEFAULT_QUALITY_MODEL, ...options.model };
    if (options.priorWeight !== undefined) modelOptions.priorPseudoCount = options.priorWeight;
    const testRows = await prepare(main);
    const trainRows = trainTable ? await prepare(trainTable) : null;
    const dims = testRows[0]?.vector.length ?? embedder.dimensions;
    if (testRows.length === 0) throw new Error(`${main.name}: no complete rows`);

    const two = options.strong && options.weak ? { strong: 0, weak: 1 } : null;
    let mode: BenchmarkReport['mode'];
    let predictions: ModelQualities[];
    let evaluated: Prepared[];
    let learningCurve: { n: number; value: number }[] | undefined;
    let onlineCorrections: OnlineCorrection[] | undefined;
    /** --folds: each row's fold, so two-model scores are ranked within the router that made them. */
    let foldOfRow: number[] | null = null;
    let liveFolds: LiveStackFold[] | undefined;
    const variants: Variant[] = [];
    let nested: MultiNestedReport | undefined;
    let priorTraining: BenchmarkResult['report']['prior_training'];
    /** --prior-in-domain: each scored row's P(good) per model from its fold's prior alone. */
    let scoredPriors: (number[] | undefined)[] | null = null;

    if (options.priorOnly) {
      mode = 'prior';
      const pool = new PoolPrior(artifact!);
      predictions = testRows.map((r) => {
        const q = priorQualities(pool, r, models);
        const fast = r.fast && priorQualities(pool, { ...r, vector: r.fast.vector }, models);
        return { blend: q, knn: q, linear: q, words: q, ...(fast && { fast }) };
      });
      evaluated = testRows;
    } else if (options.online) {
      mode = 'online';
      const holdout = options.holdoutFold ?? 0;
      let onlineRows: readonly Prepared[] = testRows;
      let streamFolds: number[] | undefined;
      if (options.priorInDomain) {
        // The shipped prior's situation on a user's own prompts: it learned this file's kind of
        // rows, but neither the prompts rated later nor the prompts scored. Of the four folds
        // outside the holdout, the next two are the ratings' stream and the other two train the
        // prior (with the other files); nothing of the stream or the holdout reaches the prior.
        streamFolds = [(holdout + 1) % 5, (holdout + 2) % 5];
        const unseen = new Set([holdout, ...streamFolds]);
        progress('training the in-domain prior', 0, 1);
        const prior = trainPriorOutsideFold(
          loadInDomainData(options.priorData!, options.file!),
          (r) => unseen.has(foldOf(r.prompt, 5)),
          { seed, members: options.priorMembers },
        );
        priorTraining = [{ fold: holdout, trained_on: prior.trained_on }];
        const pool = new PoolPrior(prior);
        onlineRows = testRows.map((r) => ({
          ...r,
          priorLogits: staticPriorLogits(pool, r.features, r.vector, configs),
        }));
      }
      const result = await replayOnline(
        onlineRows,
        models,
        dims,
        modelOptions,
        seed,
        two,
        options.checkpoints,
        progress,
        holdout,
        options.onlineLimit,
        options.onlineExplore,
        streamFolds,
      );
      predictions = result.predictions;
      evaluated = result.evaluated;
      learningCurve = result.curve;
      if (result.corrections.length) onlineCorrections = result.corrections;
      variants.push(...result.variants);
    } else if (trainRows) {
      mode = 'split';
      const model = await train(trainRows, models, dims, modelOptions, seed);
      progress('evaluating', 0, testRows.length);
      predictions = testRows.map((r) => predictAll(model, r, models));
      evaluated = testRows;
    } else {
      mode = options.sample ? 'sample' : 'folds';
      const k = options.folds ?? 5;
      if (k < 2) throw new Error('--folds needs at least 2');
      const byFold = testRows.map((r) => foldOf(r.row.prompt, k));
      const scored = options.evalFolds ?? Array.from({ length: k }, (_, f) => f);
      predictions = new Array<ModelQualities>(testRows.length);
      const stacked =
        !two && options.stack === true && !options.withPrior && !options.priorInDomain
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
      const inDomain = options.priorInDomain ? loadInDomainData(options.priorData!, options.file!) : null;
      const live =
        !two && options.liveStack === true && !stacked && !inDomain
          ? await liveStackFolds(testRows, models, dims, seed, k, scored, progress)
          : null;
      if (live) liveFolds = live.folds;
      /** --prior-in-domain: each test row's P(good) per model from its fold's prior alone. */
      const priorAlone: number[][] = [];
      if (inDomain) priorTraining = [];
      for (let f = 0; f < (stacked ? 0 : k); f++) {
        if (!scored.includes(f)) continue;
        if (live?.folds.find((x) => x.fold === f)?.prompts) {
          // The daemon's stack decides this fold's rows (a fold with too few prompts falls through).
          live.predictions.forEach((p, i) => {
            if (p && byFold[i] === f)
              predictions[i] = { blend: p.quality, costBlend: p.costQuality, knn: p.knn, linear: p.linear, words: [] };
          });
          continue;
        }
        progress('training folds', f, k);
        let rows: readonly Prepared[] = testRows;
        if (inDomain) {
          progress(`training the prior without fold ${f}`, f, k);
          const foldPrior = trainPriorOutsideFold(inDomain, (r) => foldOf(r.prompt, k) === f, {
            seed,
            members: options.priorMembers,
          });
          priorTraining!.push({ fold: f, trained_on: foldPrior.trained_on });
          const pool = new PoolPrior(foldPrior);
          // Per training fold j, a prior that saw neither j nor f (cross-fitted offsets), if asked.
          const innerPools = new Map<number, PoolPrior>();
          if (options.priorCrossFit !== false)
            for (let j = 0; j < k; j++) {
              if (j === f) continue;
              progress(`training the prior without folds ${f} and ${j}`, j, k);
              const inner = trainPriorOutsideFold(
                inDomain,
                (r) => {
                  const g = foldOf(r.prompt, k);
                  return g === f || g === j;
                },
                { seed, members: options.priorMembers },
              );
              innerPools.set(j, new PoolPrior(inner));
            }
          rows = testRows.map((r, i) => {
            const rowPool = innerPools.get(byFold[i]!) ?? pool;
            return {
              ...r,
              priorLogits: staticPriorLogits(rowPool, r.features, r.vector, configs),
              ...(r.fast && {
                fast: { ...r.fast, priorLogits: staticPriorLogits(rowPool, r.features, r.fast.vector, configs) },
              }),
            };
          });
        }
        const model = await train(
          rows.filter((_, i) => byFold[i] !== f),
          models,
          dims,
          modelOptions,
          seed + f,
        );
        rows.forEach((r, i) => {
          if (byFold[i] !== f) return;
          predictions[i] = predictAll(model, r, models);
          if (r.priorLogits) priorAlone[i] = r.priorLogits.map(sigmoid);
        });
      }
      progress('training folds', k, k);
      // Rows of folds not scored (--eval-folds) only ever trained the others' routers.
      const kept = testRows.map((_, i) => i).filter((i) => scored.includes(byFold[i]!));
      evaluated = kept.map((i) => testRows[i]!);
      predictions = kept.map((i) => predictions[i]!);
      foldOfRow = kept.map((i) => byFold[i]!);
      if (inDomain) scoredPriors = kept.map((i) => priorAlone[i]);
      if (inDomain && two) {
        const c = qualityCurve(
          evaluated.map((r) => r.row.scores[two.strong]!),
          evaluated.map((r) => r.row.scores[two.weak]!),
          rankWithinFolds(
            kept.map((i) => priorAlone[i]![two.strong]! - priorAlone[i]![two.weak]!),
            foldOfRow,
          ),
        );
        variants.push({ name: "each fold's prior alone (no store)", apgr: apgr(c) });
      }
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
      if (predictions.every((q) => q.fast)) {
        const fastRaw = predictions.map((q) => q.fast![two.strong]! - q.fast![two.weak]!);
        const c = qualityCurve(strong, weak, foldOfRow ? rankWithinFolds(fastRaw, foldOfRow) : fastRaw);
        variants.push({ name: FAST_VIEW_VARIANT, apgr: apgr(c) });
      }
      decisions = evaluated.map((r, i) => ({ uid: r.row.uid, value: scores[i]!.toFixed(6) }));
    } else {
      const hasCosts = evaluated.every((r) => r.row.costs !== null);
      const lambdas = hasCosts ? (options.lambdas ?? DEFAULT_LAMBDAS) : [0];
      // The live stack reads its fallback (the best single model) only at λ = 0, as the daemon does.
      const choose = (i: number, lambda: number) => {
        const q = predictions[i]!;
        return pick(evaluated[i]!, lambda > 0 && q.costBlend ? q.costBlend : q.blend, lambda);
      };
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
        [FAST_VIEW_VARIANT, (q: ModelQualities) => q.fast ?? []],
      ] as const) {
        if (pickQ(predictions[0]!).length === 0) continue;
        const quality = mean(evaluated.map((r, i) => r.row.scores[pick(r, pickQ(predictions[i]!), 0)]!));
        variants.push({ name, quality });
      }
      const emitLambda = options.emitLambda ?? 0;
      decisions = evaluated.map((r, i) => ({ uid: r.row.uid, value: models[choose(i, emitLambda)]! }));
    }
    if (options.sample && two && artifact) {
      variants.push(...(await sampleStory(testRows, models, dims, modelOptions, seed, two)));
    }
    if (learningCurve) report.learning_curve = learningCurve;
    if (onlineCorrections) report.online_corrections = onlineCorrections;
    if (nested) report.multi_nested = nested;
    if (liveFolds) report.live_stack = liveFolds;
    if (priorTraining) report.prior_training = priorTraining;
    if (variants.length) report.variants = variants;
    report.duration_ms = Date.now() - started;
    const views = options.keepViews
      ? evaluated.map((r, i): RowViews => ({
          uid: r.row.uid,
          fold: foldOfRow?.[i] ?? null,
          scores: r.row.scores,
          blend: predictions[i]!.blend,
          knn: predictions[i]!.knn,
          linear: predictions[i]!.linear,
          words: predictions[i]!.words,
          evidence: predictions[i]!.evidence ?? [],
          prior: scoredPriors?.[i] ?? null,
        }))
      : undefined;
    return { report, decisions, ...(views && { views }) };
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
  /** --live-stack: the stacked qualities a cost-weighted decision reads (no fallback). */
  costBlend?: number[];
  /** --fast-view: as decided on the prompt's fast first view. */
  fast?: number[];
  /** Σ kernel weight of the neighbours scored for each model (keepViews). */
  evidence?: number[];
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
      if (s !== null) model.add(r.key, r.vector, r.features, models[m]!, s, 1, r.priorLogits?.[m]);
    });
  }
  await model.refit(seededRandom(seed), undefined, 'exact');
  return model;
}

function predictAll(model: QualityModel, r: Prepared, models: readonly string[]): ModelQualities {
  const priors = r.priorLogits?.map(sigmoid);
  const p = model.predict(r.vector, r.features, models, priors).models;
  const words = model.predict(null, r.features, models, priors).models;
  const fast = r.fast && model.predict(r.fast.vector, r.features, models, r.fast.priorLogits?.map(sigmoid)).models;
  return {
    blend: p.map((x) => x.quality),
    knn: p.map((x) => x.knn),
    linear: p.map((x) => x.linear ?? x.knn),
    words: words.map((x) => x.quality),
    evidence: p.map((x) => x.evidence),
    ...(fast && { fast: fast.map((x) => x.quality) }),
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
 * With the prior (rows carry its logits) the first pick already follows it, and every outcome
 * teaches a correction to it; the unseen model keeps the prior's estimate for that prompt.
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
  holdoutFold = 0,
  limit?: number,
  explore = ONLINE_UNIFORM_SHARE,
  /** The hash folds the stream is drawn from (default: every fold but the holdout). */
  streamFolds?: readonly number[],
): Promise<{
  predictions: ModelQualities[];
  evaluated: Prepared[];
  curve: { n: number; value: number }[];
  corrections: OnlineCorrection[];
  variants: Variant[];
  model: QualityModel;
  stream: Prepared[];
}> {
  const random = seededRandom(seed);
  const evaluated = rows.filter((r) => foldOf(r.row.prompt, 5) === holdoutFold);
  let stream = rows.filter((r) => {
    const fold = foldOf(r.row.prompt, 5);
    return streamFolds ? streamFolds.includes(fold) : fold !== holdoutFold;
  });
  for (let i = stream.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [stream[i], stream[j]] = [stream[j]!, stream[i]!];
  }
  if (limit !== undefined) stream = stream.slice(0, limit);
  const withPrior = rows.some((r) => r.priorLogits !== null);
  const measure = (model: QualityModel): number => {
    const preds = evaluated.map((r) => predictAll(model, r, models));
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
  const corrections: OnlineCorrection[] = [];
  const marks = [...checkpoints.filter((c) => c < stream.length), stream.length];
  if (withPrior) curve.push({ n: 0, value: measure(model) });
  let next = 0;
  for (let i = 0; i < stream.length; i++) {
    const r = stream[i]!;
    let chosen: number;
    if (model.size === 0 && !withPrior) chosen = Math.floor(random() * models.length);
    else {
      const priors = r.priorLogits?.map(sigmoid);
      const p = model.predict(r.vector, r.features, models, priors).models;
      // A share of uniform draws on top of Thompson sampling: Thompson alone keeps picking the
      // stronger model, so the weak model's failures (what routing needs) would stay unseen.
      chosen = random() < explore ? Math.floor(random() * models.length) : thompson(p, random);
    }
    const s = r.learnScores[chosen]!;
    model.add(r.key, r.vector, r.features, models[chosen]!, s, 1, r.priorLogits?.[chosen]);
    if (i + 1 === marks[next]) {
      await model.refit(seededRandom(seed + i), undefined, 'exact');
      curve.push({ n: i + 1, value: measure(model) });
      if (withPrior) {
        const c = model.correction();
        corrections.push({ n: i + 1, alpha: c.alpha, knn_share: c.knnShare, store_alone: model.usesStoreAlone });
      }
      progress('online', i + 1, stream.length);
      next++;
    }
  }
  const variants: Variant[] = [];
  if (limit === undefined) {
    const supervised = await train(stream, models, dims, options, seed);
    const value = measure(supervised);
    variants.push({ name: 'supervised on the same stream', ...(two ? { apgr: value } : { quality: value }) });
  }
  return {
    predictions: evaluated.map((r) => predictAll(model, r, models)),
    evaluated,
    curve,
    corrections,
    variants,
    model,
    stream,
  };
}

/** Thompson sampling over the models' predicted quality (the online replay's choice of model). */
export function thompson(
  p: readonly { quality: number; evidence: number; outcomes: number }[],
  random: () => number,
): number {
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

/**
 * The bundled sample's story for a newcomer (MMLU rows the shipped prior never saw): the prior
 * alone; the prior after N ratings (only the rated model's score revealed, 5 folds: ratings from
 * four, measured on the fifth); the same ratings learned without the prior; random; and the cost
 * strategy (always the cheaper model).
 */
async function sampleStory(
  rows: readonly Prepared[],
  models: readonly string[],
  dims: number,
  options: QualityModelOptions,
  seed: number,
  two: { strong: number; weak: number },
): Promise<Variant[]> {
  const strong = rows.map((r) => r.row.scores[two.strong]!);
  const weak = rows.map((r) => r.row.scores[two.weak]!);
  const apgrOf = (score: number[], folds?: number[]) =>
    apgr(qualityCurve(strong, weak, folds ? rankWithinFolds(score, folds) : score));
  const priorScore = rows.map((r) => sigmoid(r.priorLogits![two.strong]!) - sigmoid(r.priorLogits![two.weak]!));
  const folds = rows.map((r) => foldOf(r.row.prompt, 5));
  // Every figure ranks within the five folds, the prior's too, so they compare like for like.
  const out: Variant[] = [{ name: SAMPLE_STORY_START, apgr: apgrOf(priorScore, folds) }];
  for (const n of SAMPLE_RATINGS) {
    for (const withPrior of [true, false]) {
      // Which prompts get rated, and which model each rating is for, is luck: the mean over a few
      // seeded draws, not one draw of 60-row folds.
      let sum = 0;
      for (let draw = 0; draw < SAMPLE_DRAWS; draw++) {
        const score = new Array<number>(rows.length).fill(0);
        for (let f = 0; f < 5; f++) {
          const random = seededRandom(seed + 100 * f + n + 7919 * draw);
          const model = new QualityModel(dims, options);
          const others = rows.filter((_, i) => folds[i] !== f);
          for (let i = others.length - 1; i > 0; i--) {
            const j = Math.floor(random() * (i + 1));
            [others[i], others[j]] = [others[j]!, others[i]!];
          }
          const stream = others.slice(0, n);
          for (const r of stream) {
            // A rating arrives for whichever model the router sent the prompt to: a coin flip here,
            // so both models get rated as a live pool with exploration would.
            const chosen = random() < 0.5 ? two.strong : two.weak;
            const offset = withPrior ? r.priorLogits![chosen] : undefined;
            model.add(r.key, r.vector, r.features, models[chosen]!, r.learnScores[chosen]!, 1, offset);
          }
          await model.refit(seededRandom(seed + f), undefined, 'exact');
          rows.forEach((r, i) => {
            if (folds[i] !== f) return;
            const priors = withPrior ? r.priorLogits!.map(sigmoid) : undefined;
            const q = model.predict(r.vector, r.features, models, priors).models;
            score[i] = q[two.strong]!.quality - q[two.weak]!.quality;
          });
        }
        sum += apgrOf(score, folds);
      }
      out.push({
        name: withPrior ? `prior + ${n} ratings` : `${n} ratings without the prior`,
        apgr: sum / SAMPLE_DRAWS,
      });
    }
  }
  out.push({ name: 'random routing', apgr: 0.5 });
  // What a budget of half the calls to the strong model buys: routed by the prior vs at random,
  // next to the cost strategy's cheaper model for every call and the strong model for every call.
  const half = qualityCurve(strong, weak, priorScore).find((p) => p.strong_pct === 50);
  if (half) out.push({ name: 'prior alone at 50 % strong calls', quality: half.quality });
  out.push({ name: 'random routing at 50 % strong calls', quality: (mean(strong) + mean(weak)) / 2 });
  out.push({ name: 'cost strategy: always the cheaper model (0 % strong calls)', quality: mean(weak) });
  out.push({ name: 'always the strong model (100 % strong calls)', quality: mean(strong) });
  return out;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}
