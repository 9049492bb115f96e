// The Learner the routing service calls (port in daemon/core/ports.ts): it owns the embedder (lazy,
// cached in memory and on disk), the QualityModel both learning strategies read, online updates
// from new outcomes, and background refits that yield to the event loop between chunks.
import path from 'node:path';
import type { ModelConfig } from '../../shared/config';
import { setImmediate as nextTick } from 'node:timers/promises';
import { textFeatures } from '../core/learned/features';
import { LiveMultiStack } from '../core/learned/multi-stack-live';
import { decideFromPrior, PoolPrior } from '../core/learned/pool-prior';
import { staticPriorLogits } from '../core/learned/prior-offsets';
import type { PriorArtifact } from '../core/learned/prior';
import { DEFAULT_QUALITY_MODEL, QualityModel, type QualityModelOptions } from '../core/learned/quality-model';
import {
  DEFAULT_LEARNED_OPTIONS,
  LearnedStrategy,
  SimilarityStrategy,
  type LearnedStrategyOptions,
} from '../core/learned/strategies';
import type {
  Candidate,
  Embedder,
  Learner,
  Outcome,
  RouteInput,
  RoutingStrategy,
  StrategyVerdict,
  Store,
} from '../core/ports';
import { ATTEMPT_ERROR_SOURCE } from '../core/ports';
import { CachingEmbedder } from '../embeddings/cached';
import { DiskEmbeddingCache } from '../embeddings/disk-cache';
import type { FastView } from '../embeddings/fast-view';
import { BoundedBackground, fastViewFor, type ViewedEmbedding } from '../embeddings/first-view';
import { createEmbedder, type EmbedderConfig } from '../embeddings/index';
import { bundledPrior } from '../assets/bundled-prior';

export interface LearnerOptions {
  store: Store;
  /** Embeddings of stored outcomes are cached under <dataDir>/embeddings. */
  dataDir: string;
  embeddings?: EmbedderConfig;
  log?: (msg: string) => void;
  /** routing.min_confidence, exploration_rate, strong_win_threshold. */
  strategy?: Partial<LearnedStrategyOptions>;
  /** Refit in the background every N new outcomes (0 = only on request). */
  retrainEvery?: number;
  model?: Partial<QualityModelOptions>;
  /** Tests inject a small embedder; the daemon uses the configured backend. */
  embedder?: Embedder & { load?(): Promise<void> };
  random?: () => number;
  /** The router prior: undefined = the bundled one; null = none (learn from the store alone). */
  prior?: PriorArtifact | null;
  /**
   * The fast first view of a new prompt (routing.embeddings.fast_view): undefined or true = the
   * bundled one when the encoder is USE; false = off (new prompts wait for the encoder); tests may
   * pass one.
   */
  fastView?: FastView | boolean;
  /**
   * The pool as routing sees it now (config reloads included): an outcome's model is placed in the
   * prior from its pool entry (model id, price, quality:), as it is when routed. Without one (or for
   * a model no longer in the pool) the outcome's model name is all there is.
   */
  pool?: () => readonly ModelConfig[];
}

export type EmbeddingState = 'not-loaded' | 'loading' | 'ready' | 'failed';

/** Outcomes embedded and added per step of the learner's drain. */
const DRAIN_BATCH = 256;

/** Embedded once at start, before the model counts as ready (not cached, not learned from). */
export const WARM_UP_TEXT = 'Warm up the embedding model before the first request.';

export interface LearnerHandle extends Learner {
  /** Loads the embedder and the stored outcomes (started by createLearner; await it in tests). */
  ready(): Promise<void>;
  prepareView: NonNullable<Learner['prepareView']>;
  forget: NonNullable<Learner['forget']>;
  close(): void;
}

export function createLearner(options: LearnerOptions): LearnerHandle {
  const log = options.log ?? (() => {});
  const random = options.random ?? Math.random;
  const strategyOptions = { ...DEFAULT_LEARNED_OPTIONS, ...options.strategy };
  const retrainEvery = options.retrainEvery ?? 200;
  const storeEmptyAtStart = options.store.countOutcomes() === 0;
  let pool: PoolPrior | null = null;
  try {
    const artifact = options.prior === undefined ? bundledPrior() : options.prior;
    pool = artifact ? new PoolPrior(artifact) : null;
  } catch (err) {
    log(`router prior unavailable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const inner =
    options.embedder ?? createEmbedder(options.embeddings, { cacheDir: path.join(options.dataDir, 'models'), log });
  const fastView = fastViewFor(inner.id, options.fastView, log);

  let state: EmbeddingState = 'not-loaded';
  let embedder: CachingEmbedder | null = null;
  let disk: DiskEmbeddingCache | null = null;
  let model: QualityModel | null = null;
  let learned: LearnedStrategy | null = null;
  let similarity: SimilarityStrategy | null = null;
  let lastRetrainAt: number | null = null;
  let retraining: Promise<void> | null = null;
  let sinceRetrain = 0;
  const seenIds = new Set<number>();
  /** Outcomes that arrived before the store was loaded, or whose prompt is not embedded yet. */
  let pending: Outcome[] = [];
  /**
   * Each judged request's outcomes as learned (ratings, implicit signals carry their request id;
   * imported rows do not): where the model holds them and the prior's online step, so a rating the
   * user replaces can be taken back (forget).
   */
  const byRequest = new Map<string, HeldJudgement[]>();
  /** Outcomes taken from `pending` whose embedding is being computed (drain, learnWhenEmbedded). */
  const embedding = new Set<Outcome>();
  /** Of those, the ones forget() took back meanwhile: not learned when their vector lands. */
  const forgotten = new WeakSet<Outcome>();
  /** Outcomes learned by the prior alone (embeddings failed to load). */
  let priorOnlyOutcomes = 0;
  let draining: Promise<void> | null = null;
  /**
   * One batch's vectors, reused by every batch of drain() (the model quantises each into its
   * index, so none outlives its batch): no 2 KB array per stored prompt read back from disk.
   */
  let drainVectors: Float32Array | undefined;
  /** Set by close(): the store may be closed right after, so nothing may read it any more. */
  let closed = false;
  /** Pools of 3+ models with prompts scored for all of them: the nested multi-model stack decides. */
  const multiStack = new LiveMultiStack();

  async function load(): Promise<void> {
    state = 'loading';
    try {
      await inner.load?.();
      if (closed) return;
      // The first inference sets up the WASM kernels (~0.5 s): done here, not by the first request.
      await inner.embed([WARM_UP_TEXT]);
      if (closed) return;
      disk = new DiskEmbeddingCache(path.join(options.dataDir, 'embeddings'), inner.id, inner.dimensions);
      embedder = new CachingEmbedder(inner, { disk, lruSize: 5_000 });
      model = new QualityModel(inner.dimensions, { ...DEFAULT_QUALITY_MODEL, ...options.model });
      learned = new LearnedStrategy(model, strategyOptions, pool);
      similarity = new SimilarityStrategy(model, strategyOptions);
      state = 'ready';
    } catch (err) {
      state = 'failed';
      const why = err instanceof Error ? err.message : String(err);
      if (!pool) {
        log(`embeddings unavailable, learning strategies will abstain: ${why}`);
        return;
      }
      // The prior reads the prompt's words, not its embedding: it keeps deciding, and the stored
      // outcomes (and every new rating, observe()) still refine it.
      log(`embeddings unavailable (${why}): the prior decides, refined by ratings from the prompts' words alone`);
      for (const o of options.store.listOutcomes().concat(pending)) observePriorOnly(o);
      pending = [];
      return;
    }
    const stored = options.store.listOutcomes();
    log(`learner: loading ${stored.length} stored outcomes`);
    pending = stored.concat(pending);
    await drain();
    if (model && model.size > 0) await retrain();
  }

  /** Adds queued outcomes, embedding the prompts that are not cached, in chunks. */
  function drain(): Promise<void> {
    if (!draining) {
      draining = (async () => {
        while (!closed && pending.length > 0 && embedder && model) {
          const batch = pending.splice(0, DRAIN_BATCH);
          for (const o of batch) embedding.add(o);
          let vectors: Float32Array[];
          try {
            drainVectors ??= new Float32Array(DRAIN_BATCH * embedder.dimensions);
            vectors = await embedder.embed(
              batch.map((o) => o.prompt),
              drainVectors,
            );
          } catch (err) {
            // Closed meanwhile (the data dir may be gone), or the encoder failed: the outcomes stay
            // in the store and are learned at the next start; never an unhandled rejection.
            for (const o of batch) embedding.delete(o);
            if (!closed)
              log(`could not embed ${batch.length} outcomes: ${err instanceof Error ? err.message : String(err)}`);
            return;
          }
          batch.forEach((o, i) => addOutcome(o, vectors[i]!));
          await nextTick();
        }
      })().finally(() => (draining = null));
    }
    return draining;
  }

  function addOutcome(o: Outcome, vector: Float32Array): void {
    embedding.delete(o);
    if (forgotten.has(o)) return;
    if (o.id > 0) {
      if (seenIds.has(o.id)) return; // the initial load and observe() can overlap
      seenIds.add(o.id);
    }
    const features = textFeatures(o.prompt);
    // With the prior, each outcome is stored with the prior's logit for its prompt and model: the
    // store learns corrections to the prior rather than starting from nothing.
    const offset = pool ? staticPriorLogits(pool, features, vector, [configOf(o.model)])[0] : undefined;
    const at = model!.add(embedder!.keyOf(o.prompt), vector, features, o.model, clamp01(o.score), o.weight, offset);
    const step = pool?.observe(features, o.model, clamp01(o.score), o.weight) ?? 0;
    hold(o, at, step);
    sinceRetrain++;
  }

  function hold(o: Outcome, at: number | undefined, step: number): void {
    if (o.request_id === null || o.source === ATTEMPT_ERROR_SOURCE) return;
    const judgement: HeldJudgement = { id: o.id, at, prompt: o.prompt, model: o.model, step };
    const held = byRequest.get(o.request_id);
    if (held) held.push(judgement);
    else byRequest.set(o.request_id, [judgement]);
  }

  /**
   * The pool entry an outcome's model names, so its stored prior logit is the one its prompts are
   * routed with: a name-only stand-in placed a renamed model (pool name ≠ model id), a model with
   * `quality:` and a price-guessed one as "nothing known", and the corrections were then learned
   * against another base than the one decisions add them to.
   */
  function configOf(name: string): Pick<ModelConfig, 'name' | 'model' | 'cost_per_output_token' | 'quality'> {
    return options.pool?.().find((m) => m.name === name) ?? { name, model: name, cost_per_output_token: 0 };
  }

  async function retrain(): Promise<void> {
    if (retraining) return retraining;
    if (!model) return;
    const m = model;
    retraining = (async () => {
      const started = Date.now();
      sinceRetrain = 0;
      await m.refit(random, () => nextTick().then(() => undefined));
      lastRetrainAt = Date.now();
      // Which way the cross-fit went is worth a line: it changes what every decision reads.
      const mode = pool
        ? m.usesStoreAlone
          ? '; store alone (predicts better than the prior)'
          : '; prior + corrections'
        : '';
      log(`learner: refit on ${m.size} outcomes in ${lastRetrainAt - started} ms${mode}`);
      const keyOf = embedder?.keyOf.bind(embedder);
      const prompts = () => new Map(options.store.listOutcomes().map((o) => [keyOf!(o.prompt), o.prompt]));
      const stacked = closed || !keyOf ? null : await multiStack.refit(m, prompts, random, () => nextTick());
      if (stacked) log(`learner: ${stacked}`);
    })().finally(() => (retraining = null));
    return retraining;
  }

  const readyPromise = load();

  function lazy(name: 'learned' | 'similarity'): RoutingStrategy {
    return {
      name,
      decide(input: RouteInput, candidates: readonly Candidate[]): StrategyVerdict {
        const s = name === 'learned' ? learned : similarity;
        // The prior reads the prompt's words, so it decides while the embedder is still loading.
        if (!s && name === 'learned' && pool && candidates.length > 0) {
          const why =
            state !== 'failed'
              ? 'the learning store is still loading'
              : priorOnlyOutcomes > 0
                ? `embeddings unavailable; refined by ${priorOnlyOutcomes} outcome(s) from the prompts' words`
                : 'embeddings unavailable';
          return decideFromPrior(
            pool,
            input,
            candidates,
            { strongWinThreshold: strategyOptions.strongWinThreshold, confidence: strategyOptions.priorConfidence },
            why,
          );
        }
        if (!s) {
          const why = state === 'failed' ? 'embeddings failed to load' : 'the learning store is still loading';
          return { strategy: name, abstain: true, confidence: 0, ranked: [], explanation: why };
        }
        return (name === 'learned' ? multiStack.decide(input, candidates) : null) ?? s.decide(input, candidates);
      },
    };
  }
  const strategies = { learned: lazy('learned'), similarity: lazy('similarity') };
  const embeddingsInFlight = new Map<string, Promise<Float32Array | undefined>>();

  /** Embeds a text with the cached encoder; joins an embedding already in flight. */
  function embedText(text: string, waitMs?: number): Promise<Float32Array | undefined> {
    // A request that gave up waiting leaves its embedding running; the next one joins it.
    let embedding = embeddingsInFlight.get(text);
    if (!embedding) {
      embedding = (async () => {
        await readyPromise;
        if (!embedder) return undefined;
        try {
          return (await embedder.embed([text]))[0];
        } catch (err) {
          log(`embedding failed: ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        }
      })().finally(() => embeddingsInFlight.delete(text));
      embeddingsInFlight.set(text, embedding);
    }
    // Past the budget the decision goes ahead on the prompt's words; the embedding still lands
    // in the cache, so the rating of this answer is learned with it.
    return waitMs === undefined ? embedding : withinMs(embedding, waitMs);
  }

  /** Full embeddings of prompts the fast view routed, a few at a time (they land in the cache). */
  const background = new BoundedBackground((text) => embedText(text));

  /** The fast view of a prompt whose full vector is not cached (null: wait for the full one). */
  function fastFirst(text: string): ViewedEmbedding | null {
    if (!fastView || state !== 'ready' || !embedder || !model) return null;
    if (model.size === 0 && pool) return null; // the prior decides from the words: no embedding at all
    const cached = embedder.peek(text);
    if (cached) return { vector: cached, view: 'full' };
    // Its full embedding is being computed already (costs no more CPU to wait for): join it.
    if (embeddingsInFlight.has(text)) return null;
    background.offer(text);
    return { vector: fastView.embed(text), view: 'fast' };
  }

  /** Without embeddings (they failed to load) an outcome can still refine the prior online. */
  function observePriorOnly(o: Outcome): void {
    if (!pool) return;
    priorOnlyOutcomes++;
    pool.placementOf(configOf(o.model));
    hold(o, undefined, pool.observe(textFeatures(o.prompt), o.model, clamp01(o.score), o.weight));
  }

  /** A rating of a prompt whose full embedding is still being computed is learned when it lands. */
  function learnWhenEmbedded(o: Outcome): boolean {
    const inFlight = embeddingsInFlight.get(o.prompt);
    if (!inFlight) return false;
    embedding.add(o);
    void inFlight.then((vector) => {
      if (closed) return;
      if (vector) return addOutcome(o, vector);
      embedding.delete(o);
      if (!forgotten.has(o)) pending.push(o);
      void drain();
    });
    return true;
  }

  return {
    strategy(name) {
      return name === 'learned' || name === 'similarity' ? strategies[name] : undefined;
    },
    prepare(text, waitMs) {
      const cached = state === 'ready' ? embedder?.peek(text) : undefined;
      if (cached) return Promise.resolve(cached);
      // Nothing learned yet: the prior decides from the words, so a new prompt costs no embedding
      // (~30 ms of CPU). A rating of its answer still gets the prompt embedded (observe → drain).
      if (pool && pending.length === 0 && !draining && (model ? model.size === 0 : storeEmptyAtStart))
        return Promise.resolve(undefined);
      return embedText(text, waitMs);
    },
    async prepareView(text, waitMs) {
      const first = fastFirst(text);
      if (first) return first;
      const vector = await this.prepare(text, waitMs);
      return vector ? { vector, view: 'full' } : undefined;
    },
    embed: (text) => embedText(text),
    placement(config) {
      if (!pool) return undefined;
      const { basis, from, figure } = pool.placementOf(config);
      return figure === undefined ? { basis, from } : { basis, figure, from };
    },
    observe(outcomes) {
      if (state === 'failed') {
        for (const o of outcomes) observePriorOnly(o);
        return;
      }
      for (const o of outcomes) {
        const inOrder = state === 'ready' && !draining && pending.length === 0;
        const cached = inOrder ? embedder?.peek(o.prompt) : undefined;
        // The routed prompt was embedded by prepare(), so a rating lands in the model right now.
        if (cached) addOutcome(o, cached);
        else if (!(inOrder && learnWhenEmbedded(o))) pending.push(o);
      }
      if (pending.length > 0 && state === 'ready') void drain();
      if (retrainEvery > 0 && sinceRetrain >= retrainEvery) void retrain();
    },
    forget(requestId, outcomeIds) {
      const only = outcomeIds && new Set(outcomeIds);
      const judged = (o: { id: number }): boolean => !only || only.has(o.id);
      // Also those still waiting for their prompt's embedding, or being embedded now (but, as held
      // ones, not the failed attempts').
      const taken = (o: Outcome): boolean =>
        o.request_id === requestId && o.source !== ATTEMPT_ERROR_SOURCE && judged(o);
      pending = pending.filter((o) => !taken(o));
      for (const o of embedding) if (taken(o)) forgotten.add(o);
      const held = byRequest.get(requestId);
      if (!held) return;
      const kept = held.filter((h) => !judged(h));
      if (kept.length > 0) byRequest.set(requestId, kept);
      else byRequest.delete(requestId);
      for (const h of held) {
        if (!judged(h)) continue;
        if (h.at !== undefined) model?.retract(h.at);
        else priorOnlyOutcomes--;
        pool?.unobserve(textFeatures(h.prompt), h.model, h.step);
      }
    },
    retrain: async () => {
      await readyPromise;
      await drain();
      await retrain();
    },
    status() {
      return {
        outcomes: (model?.liveSize ?? 0) + pending.length,
        last_retrain_at: lastRetrainAt,
        retraining: retraining !== null,
        embeddings: state,
      };
    },
    ready: () => readyPromise,
    close() {
      closed = true;
      disk?.close();
    },
  };
}

/** One outcome of a judged request as the learner took it (see byRequest). */
interface HeldJudgement {
  id: number;
  /** Its position in the quality model; undefined when only the prior learned it (no embeddings). */
  at: number | undefined;
  prompt: string;
  model: string;
  /** The prior's online step for it (PoolPrior.observe). */
  step: number;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** The value of `p` if it settles within `ms`, else undefined (p keeps running). */
function withinMs<T>(p: Promise<T | undefined>, ms: number): Promise<T | undefined> {
  // No wait at all (the model is loading): p only if it has settled already. A 0 ms timer would
  // be unref'd like the others, and a process with nothing else to wait on would exit before it
  // fired: warm-start.test.ts ended with its plan() still pending once it ran without tsx's loader
  // thread, whose port had kept the event loop alive.
  if (ms <= 0) return Promise.race([p, Promise.resolve(undefined)]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
    timer.unref?.();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
