// The multi-model stack (multi-stack.ts) in the live router. For a pool of 3+ models whose
// outcomes the store holds on the same prompts (imported score tables, or every model rated on
// one prompt), the stacked views beat the learned strategy's fixed blend in the nested benchmark
// (research: `fugusashi benchmark FILE --folds 5 --stack`, scripts/research/multi-nested.ts). At a
// refit it is fitted as one outer fold of that benchmark is: kNN and the logistic heads trained on
// inner folds of those prompts predict the held-out ones, the weights and per-model offsets are
// chosen on those predictions, and the views are trained again on all of them.
//
// Only prompts with a score for every model of the set teach the stack: its weights are chosen by
// the quality of the model it would have picked, which a prompt rated for one model cannot show.
// The IRT view of the benchmark's stack is left out: fitting it blocks the event loop for seconds
// (6 s for 3,000 prompts × 9 models), while kNN and the heads fit in chunks that yield.
import type { Candidate, RouteInput, StrategyVerdict } from '../ports';
import { compareSentence } from './explain';
import { textFeatures, type TextFeatures } from './features';
import {
  DEFAULT_STACK_FIT,
  fitStack,
  stackQualities,
  type StackParts,
  type StackRow,
  type StackWeights,
} from './multi-stack';
import { Projection } from './multi-projection';
import type { PromptIndex } from './neighbours';
import { utilities, type Scored } from './policy';
import { DEFAULT_QUALITY_MODEL, QualityModel, type ModelPrediction, type QualityModelOptions } from './quality-model';

/** The views of the stack: the benchmark's multi-model kNN (more neighbours, a flatter kernel). */
export const MULTI_VIEW_OPTIONS: QualityModelOptions = { ...DEFAULT_QUALITY_MODEL, k: 100, temperature: 0.3 };

export interface LiveStackOptions {
  /** Models a pool needs before the stack decides (two-model pools keep RouteLLM's rule). */
  minModels: number;
  /** Prompts scored for every model of the set before a stack is fitted. */
  minPrompts: number;
  /**
   * The stack is fitted on at most this many such prompts, a seeded uniform sample of them: the
   * nested figures were measured with 3,300 training prompts (LLMRouter), and a refit stays a few
   * seconds. Not the most recent: an imported score table sorted by task (RouterDC's is) would
   * leave whole tasks out of the stack (RouterDC's last 4,000 rows hold 5 of its 16 task files).
   */
  maxPrompts: number;
  innerFolds: number;
  /** Refit only when the count of usable prompts grew by this share since the last fit. */
  refitGrowth: number;
  /** Confidence reported for a stacked decision (above routing.min_confidence's default). */
  confidence: number;
  /**
   * The stack's views read the embedding projected onto this many principal directions of its
   * prompts (null: the full embedding). Its kNN scans every prompt it was fitted on; at 512
   * dimensions that made a stacked decision 2.5× a learned one at 100k outcomes; at 256 it is about
   * the same (scripts/research/bench-multi-stack.ts), and LLMRouter's nested gain +3.6 points
   * instead of +3.8 (+3.5 at 128).
   */
  projectTo: number | null;
}

export const DEFAULT_LIVE_STACK: LiveStackOptions = {
  minModels: 3,
  minPrompts: 200,
  maxPrompts: 4_000,
  innerFolds: 3,
  refitGrowth: 0.1,
  confidence: 0.8,
  projectTo: 256,
};

/** One prompt scored for every model of the set (scores in the set's order, 0..1). */
export interface StackSample {
  key: string;
  vector: Float32Array;
  features: TextFeatures;
  scores: readonly number[];
}

/** A fitted stack: the views trained on the samples, and the weights chosen out of fold. */
export class MultiStack {
  private constructor(
    readonly models: readonly string[],
    readonly weights: StackWeights,
    private readonly views: QualityModel,
    /** Prompts it was fitted on. */
    readonly prompts: number,
    /** The embedding size it reads (before its projection). */
    readonly dims: number,
    private readonly projection: Projection | null,
  ) {}

  static async fit(
    samples: readonly StackSample[],
    models: readonly string[],
    dims: number,
    random: () => number,
    yieldNow?: () => Promise<void>,
    options: LiveStackOptions = DEFAULT_LIVE_STACK,
  ): Promise<MultiStack> {
    const { projection, projected, oof } = await stackOutOfFold(samples, models, dims, random, yieldNow, options);
    const weights = fitStack(oof, { ...DEFAULT_STACK_FIT, irt: false });
    const views = await trainViews(projected, models, projection?.to ?? dims, random, yieldNow);
    return new MultiStack(models, weights, views, samples.length, dims, projection);
  }

  /** Whether every candidate is a model of the stack (and the pool is big enough for it). */
  covers(names: readonly string[], minModels = DEFAULT_LIVE_STACK.minModels): boolean {
    return names.length >= minModels && names.every((n) => this.models.includes(n));
  }

  /**
   * Stacked quality per candidate. `withFallback`: when the stack did not beat the best single
   * model on its held-out prompts, that model is preferred (quality picks; a cost-weighted choice
   * reads the stack itself, as the benchmark's cost-aware pick does).
   */
  predict(
    vector: Float32Array,
    features: TextFeatures,
    names: readonly string[],
    withFallback: boolean,
  ): { qualities: number[]; predictions: ModelPrediction[] } {
    const read = this.projection ? this.projection.apply(vector) : vector;
    const predictions = this.views.predict(read, features, this.models).models;
    const parts: StackParts = {
      knn: predictions.map((p) => p.knn),
      linear: predictions.map((p) => p.linear ?? p.knn),
      irt: predictions.map(() => 0),
    };
    const stacked = stackQualities(parts, this.weights, withFallback);
    const slots = names.map((n) => this.models.indexOf(n));
    return { qualities: slots.map((m) => stacked[m]!), predictions: slots.map((m) => predictions[m]!) };
  }

  /** "kNN 0.6 + heads 0.4" (the weights chosen at the last refit). */
  describeWeights(): string {
    const fallback = this.weights.fallbackTo;
    const mix = `kNN ${this.weights.knn.toFixed(1)} + heads ${this.weights.linear.toFixed(1)}`;
    return fallback === undefined ? mix : `${mix}; no better than ${this.models[fallback]} alone on held-out prompts`;
  }
}

/**
 * The first half of a stack's fit: the projection of the samples' embeddings, and the views' out-of-
 * fold predictions of every sample (inner folds by a hash of the prompt's key: by position they would
 * follow any order the prompts were stored in, and a table sorted by task would leave a task out of
 * every training set). The weights are chosen on `oof`; research scripts read it to try others.
 */
export async function stackOutOfFold(
  samples: readonly StackSample[],
  models: readonly string[],
  dims: number,
  random: () => number,
  yieldNow?: () => Promise<void>,
  options: LiveStackOptions = DEFAULT_LIVE_STACK,
): Promise<{ projection: Projection | null; projected: readonly StackSample[]; oof: StackRow[]; fold: number[] }> {
  const projection =
    options.projectTo !== null && dims > options.projectTo
      ? await Projection.fit(
          samples.map((s) => s.vector),
          options.projectTo,
          random,
          yieldNow,
        )
      : null;
  const projected = projection ? samples.map((s) => ({ ...s, vector: projection.apply(s.vector) })) : samples;
  const viewDims = projection?.to ?? dims;
  const fold = projected.map((s) => hashOf(s.key) % options.innerFolds);
  const oof = new Array<StackRow>(projected.length);
  for (let g = 0; g < options.innerFolds; g++) {
    const train = projected.filter((_, i) => fold[i] !== g);
    const views = await trainViews(train, models, viewDims, random, yieldNow);
    projected.forEach((s, i) => {
      if (fold[i] === g) oof[i] = { parts: partsOf(views, s.vector, s.features, models), scores: s.scores };
    });
    await yieldNow?.();
  }
  return { projection, projected, oof, fold };
}

export async function trainViews(
  samples: readonly StackSample[],
  models: readonly string[],
  dims: number,
  random: () => number,
  yieldNow?: () => Promise<void>,
): Promise<QualityModel> {
  const views = new QualityModel(dims, MULTI_VIEW_OPTIONS);
  for (const s of samples) s.scores.forEach((score, m) => views.add(s.key, s.vector, s.features, models[m]!, score));
  await views.refit(random, yieldNow, 'exact');
  return views;
}

export function partsOf(
  views: QualityModel,
  vector: Float32Array,
  features: TextFeatures,
  models: readonly string[],
): StackParts {
  const p = views.predict(vector, features, models).models;
  return { knn: p.map((x) => x.knn), linear: p.map((x) => x.linear ?? x.knn), irt: p.map(() => 0) };
}

/**
 * The models whose stack can be fitted from the index's points: the largest set (3+) such that at
 * least `minPrompts` points have a score for every model of it. Greedy: start from every model
 * with `minPrompts` scored points and drop the one with the fewest until enough points are complete.
 */
export async function completeSet(
  index: PromptIndex,
  options: LiveStackOptions = DEFAULT_LIVE_STACK,
  yieldNow?: () => Promise<void>,
): Promise<{ models: string[]; points: number[] } | null> {
  const counts = new Array<number>(index.models.length).fill(0);
  for (let p = 0; p < index.size; p++) {
    index.forEachStat(p, (m) => (counts[m] = counts[m]! + 1));
    // A pass over 100k points takes ~50 ms: the learner's refit runs it every 200 outcomes.
    if (p % SCAN_CHUNK === SCAN_CHUNK - 1) await yieldNow?.();
  }
  let set = index.models.map((_, m) => m).filter((m) => counts[m]! >= options.minPrompts);
  while (set.length >= options.minModels) {
    const points = await pointsScoredFor(index, set, yieldNow);
    if (points.length >= options.minPrompts) return { models: set.map((m) => index.models[m]!), points };
    set = set.filter((m) => m !== set.reduce((a, b) => (counts[b]! < counts[a]! ? b : a)));
  }
  return null;
}

async function pointsScoredFor(
  index: PromptIndex,
  set: readonly number[],
  yieldNow?: () => Promise<void>,
): Promise<number[]> {
  const wanted = new Set(set);
  const points: number[] = [];
  for (let p = 0; p < index.size; p++) {
    let n = 0;
    index.forEachStat(p, (m) => {
      if (wanted.has(m)) n++;
    });
    if (n === set.length) points.push(p);
    if (p % SCAN_CHUNK === SCAN_CHUNK - 1) await yieldNow?.();
  }
  return points;
}

/** Points scanned between yields when looking for a pool to stack. */
const SCAN_CHUNK = 10_000;

/** The mean score of `model` (index) at point p. */
function scoreAt(index: PromptIndex, p: number, model: number): number {
  const s = index.statOf(p, model);
  return s && s.weight > 0 ? s.sum / s.weight : 0;
}

/**
 * The live holder: refitted in the background after the learner's refit, read by every decision.
 * Decisions never wait for a fit; until one is done (or when the store has too few prompts scored
 * for a pool's models) the learned strategy decides as before.
 */
export class LiveMultiStack {
  private stack: MultiStack | null = null;
  private fittedOn = 0;
  private fitting = false;

  constructor(readonly options: LiveStackOptions = DEFAULT_LIVE_STACK) {}

  get current(): MultiStack | null {
    return this.stack;
  }

  /**
   * Fits a new stack from the model's stored points when enough prompts are scored for 3+ models
   * and their count grew since the last fit. `promptOf(key)` gives back a point's prompt text (the
   * learner reads the store; the index keeps only keys), for the words the heads read.
   * Returns a log line (also when the fit failed), or null when there was nothing to fit. Never rejects.
   */
  async refit(
    model: QualityModel,
    prompts: () => ReadonlyMap<string, string>,
    random: () => number,
    yieldNow?: () => Promise<void>,
  ): Promise<string | null> {
    if (this.fitting) return null;
    this.fitting = true;
    try {
      const set = await completeSet(model.index, this.options, yieldNow);
      if (!set) return null;
      const sameModels = this.stack?.models.join('\n') === set.models.join('\n');
      if (sameModels && set.points.length < this.fittedOn * (1 + this.options.refitGrowth)) return null;
      const started = Date.now();
      const texts = prompts();
      const keys = keysOf(model.index, texts);
      const modelIdx = set.models.map((n) => model.index.findModel(n)!);
      const samples: StackSample[] = [];
      for (const p of stackPrompts(set.points, this.options.maxPrompts, random)) {
        const key = keys.get(p);
        const text = key === undefined ? undefined : texts.get(key);
        if (key === undefined || text === undefined) continue;
        samples.push({
          key,
          vector: model.index.vectorOf(p),
          features: textFeatures(text),
          scores: modelIdx.map((m) => scoreAt(model.index, p, m)),
        });
      }
      if (samples.length < this.options.minPrompts) return null;
      this.stack = await MultiStack.fit(samples, set.models, model.dims, random, yieldNow, this.options);
      this.fittedOn = set.points.length;
      return `multi-model stack for ${set.models.join(', ')} on ${samples.length} prompts scored for all of them in ${Date.now() - started} ms (${this.stack.describeWeights()})`;
    } catch (err) {
      // A background refit must not reject (the learner starts it without awaiting): the previous
      // stack, if any, keeps deciding.
      return `multi-model stack not refitted: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.fitting = false;
    }
  }

  /**
   * The stack's decision for a pool it covers, or null (the learned strategy decides): fewer than
   * minModels candidates, a candidate the stack does not know, no stack yet, or no embedding.
   * Chooses argmax(100·quality − λ·cents) over the stacked qualities. No exploration draw: the
   * stack learns from prompts scored for every model, which exploration cannot produce.
   */
  decide(input: RouteInput, candidates: readonly Candidate[]): StrategyVerdict | null {
    const stack = this.stack;
    const names = candidates.map((c) => c.config.name);
    if (
      !stack ||
      !input.embedding ||
      input.embedding.length !== stack.dims ||
      !stack.covers(names, this.options.minModels)
    )
      return null;
    const { qualities, predictions } = stack.predict(
      input.embedding,
      textFeatures(input.text),
      names,
      input.costWeight === 0,
    );
    const byModel = new Map(names.map((n, i) => [n, qualities[i]!]));
    const quality = (p: ModelPrediction) => byModel.get(p.model)!;
    const ranked = utilities(candidates, predictions, input.costWeight, quality);
    const chosen = ranked[0]!;
    const display = (s: Scored) => Math.min(1, Math.max(0, quality(s.prediction)));
    return {
      strategy: 'learned',
      abstain: false,
      confidence: this.options.confidence,
      ranked: ranked.map((s) => ({ model: s.candidate.config.name, score: Math.round(s.utility * 1000) / 1000 })),
      explanation: `Multi-model stack (${stack.describeWeights()}; fitted on ${stack.prompts} prompts scored for all ${stack.models.length} models): ${compareSentence(chosen, ranked, display)}`,
      predictedQuality: display(chosen),
      bestPredictedQuality: Math.max(...ranked.map(display)),
      readEmbedding: true,
    };
  }
}

/** At most `max` of `items`: all of them, or a seeded uniform sample kept in their order. */
export function stackPrompts<T>(items: readonly T[], max: number, random: () => number): T[] {
  if (items.length <= max) return [...items];
  const order = items.map((_, i) => i);
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(random() * (order.length - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order
    .slice(0, max)
    .sort((a, b) => a - b)
    .map((i) => items[i]!);
}

/** FNV-1a of a string (32 bits, non-negative). */
function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** point → key for the points whose prompt text is known. */
function keysOf(index: PromptIndex, texts: ReadonlyMap<string, string>): Map<number, string> {
  const out = new Map<number, string>();
  for (const key of texts.keys()) {
    const p = index.pointOf(key);
    if (p !== undefined) out.set(p, key);
  }
  return out;
}
