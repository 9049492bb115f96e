// Routing: a request becomes a RoutePlan (the decision users see + the order to try models in).
// "auto" modes run the configured strategy chain; a pool model's name is forced (no embedding, no
// chain: the hot path stays short). The pure pieces are in daemon/core; this file wires them.
import type { Capability } from '../../shared/config';
import { FugusashiError } from '../../shared/errors';
import type { ChatCompletionRequest } from '../../shared/openai';
import { buildCandidates, noCandidateError } from '../core/candidates';
import { buildEnsemble } from '../core/chain';
import { CooldownTracker } from '../core/cooldown';
import type { EnsembleStrategy } from '../core/ensemble';
import { forcedPlan } from '../core/ensemble';
import { routingInput } from '../core/features';
import type { RouteInput, RoutePlan } from '../core/ports';
import { FAST_VIEW_NOTE } from '../embeddings/first-view';
import type { ServiceConfig, ServiceDeps } from './deps';

/** "auto:cost" trades this many times the configured λ (at least 10 quality points per cent). */
const COST_MODE_FACTOR = 10;
const COST_MODE_MIN_LAMBDA = 10;

export const AUTO_MODES = ['auto', 'auto:balanced', 'auto:quality', 'auto:cost'] as const;
export const ORCHESTRATE_MODEL = 'auto:orchestrate';
export const CASCADE_MODEL = 'auto:cascade';
/** Every name a request may route by besides a pool model's (the chat doors accept them all). */
export const ROUTING_MODES = [...AUTO_MODES, ORCHESTRATE_MODEL, CASCADE_MODEL] as const;

export interface Routed {
  plan: RoutePlan;
  input: RouteInput;
  /** True when the request named a pool model. */
  forced: boolean;
}

export function isAutoModel(model: string): boolean {
  return model === 'auto' || model.startsWith('auto:');
}

export function lambdaFor(model: string, config: ServiceConfig): number {
  switch (model) {
    case 'auto':
    case 'auto:balanced':
      return config.costWeight;
    case 'auto:quality':
      return 0;
    case 'auto:cost':
      return Math.max(config.costWeight * COST_MODE_FACTOR, COST_MODE_MIN_LAMBDA);
    case ORCHESTRATE_MODEL:
    case CASCADE_MODEL:
      // The chat service hands these to the orchestrator and the cascade, which decide by calling
      // models (a planner; the cheapest model and its checks). Only a dry run asks for their plan.
      throw new FugusashiError(
        'InvalidRequest',
        `"${model}" has no dry run: it decides by calling models (${model === CASCADE_MODEL ? 'the cheapest first, then up while a check fails' : "a planner, then the plan's specialists"}). ` +
          `Route with one of ${AUTO_MODES.join(', ')} or a pool model.`,
        'model',
      );
    default:
      throw new FugusashiError(
        'ModelNotFound',
        `Unknown routing mode "${model}". Use one of: ${ROUTING_MODES.join(', ')}.`,
        'model',
      );
  }
}

export class RoutingService {
  readonly cooldown: CooldownTracker;
  private chainFor: ServiceConfig | null = null;
  private ensemble: EnsembleStrategy | null = null;

  constructor(private readonly deps: Pick<ServiceDeps, 'config' | 'learner' | 'log' | 'now' | 'random' | 'plugins'>) {
    const now = deps.now ?? Date.now;
    // Cooldown settings are read live so a config reload changes them without losing model health.
    this.cooldown = new CooldownTracker({
      get failures() {
        return deps.config().cooldownFailures;
      },
      get seconds() {
        return deps.config().cooldownSeconds;
      },
      now,
    });
  }

  /**
   * The plan of a request that names a pool model, at once: there is no strategy to ask and nothing
   * to wait for, so the chat service goes on to the upstream call in the same turn (an `await` of
   * plan() costs a trip through the microtask queue on the way). Null for a routing mode ("auto…").
   */
  forced(request: ChatCompletionRequest, hint?: { capability?: Capability }): Routed | null {
    if (isAutoModel(request.model)) return null;
    const started = performance.now();
    const config = this.deps.config();
    const input = routingInput(request, {
      costWeight: config.costWeight,
      explore: false,
      random: this.deps.random ?? Math.random,
    });
    withHint(input, hint);
    const plan = forcedPlan(request.model, [], config.pool, input);
    plan.decision.latency_ms = elapsed(started);
    return { plan, input, forced: true };
  }

  async plan(request: ChatCompletionRequest, hint?: { capability?: Capability }): Promise<Routed> {
    const forced = this.forced(request, hint);
    if (forced) return forced;
    const started = performance.now();
    const config = this.deps.config();
    const random = this.deps.random ?? Math.random;
    const costWeight = lambdaFor(request.model, config);
    const explore = config.explorationRate > 0 && random() < config.explorationRate;
    const input = routingInput(request, { costWeight, explore, random });
    withHint(input, hint);

    const { candidates, excluded } = buildCandidates(config.pool, input, {
      isCoolingDown: (name) => this.cooldown.isCoolingDown(name),
    });
    if (candidates.length === 0) throw noCandidateError(config.pool, excluded);
    let view: 'full' | 'fast' | undefined;
    if (this.deps.learner && needsEmbedding(config)) {
      try {
        // While the model loads (after /health answers), route at once: the learned strategies
        // abstain until it is ready, so waiting would only delay the first requests.
        const loading = this.deps.learner.status().embeddings !== 'ready';
        const waitMs = loading ? 0 : config.embeddingWaitMs;
        // A new prompt is read through the fast first view when there is one (well under a
        // millisecond instead of ~30 ms of encoder CPU); its full embedding follows in the background.
        const learner = this.deps.learner;
        const prepared = learner.prepareView
          ? await learner.prepareView(input.text, waitMs)
          : await learner.prepare(input.text, waitMs).then((vector) => vector && { vector, view: 'full' as const });
        if (prepared) input.embedding = prepared.vector;
        view = prepared?.view;
      } catch (err) {
        // Embeddings are an optimisation of routing quality, never a reason to fail a request.
        this.deps.log?.(`embedding failed, routing without it: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    let plan = this.router(config).plan(input, candidates);
    // Only a decision that read the embedding says which view it read: the prior reads the words.
    if (view === 'fast' && plan.readEmbedding)
      plan.decision.explanation = `${plan.decision.explanation} (${FAST_VIEW_NOTE})`;
    // Routing plugins may override the built-in pick (never fail the request).
    if (this.deps.plugins) plan = await this.deps.plugins.apply(input, candidates, plan, request.model);
    // Models that cannot be called (an unset ${KEY}) show with the reason, so the user sees why.
    for (const m of config.pool)
      if (m.unavailable && m.enabled !== false)
        plan.decision.alternatives.push({ model: m.name, score: 0, excluded: m.unavailable });
    plan.decision.latency_ms = elapsed(started);
    return { plan, input, forced: false };
  }

  /** The strategy chain, rebuilt only when the config object changes (a reload). */
  private router(config: ServiceConfig): EnsembleStrategy {
    if (this.ensemble && this.chainFor === config) return this.ensemble;
    const { router, skipped } = buildEnsemble({
      strategies: config.strategies,
      preferLocal: config.preferLocal,
      minConfidence: config.minConfidence,
      defaultModel: config.defaultModel,
      learner: this.deps.learner,
    });
    if (skipped.length > 0) this.deps.log?.(`routing chain: skipped ${skipped.join(', ')} (not available)`);
    this.ensemble = router;
    this.chainFor = config;
    return router;
  }
}

/** A capability the caller prefers (the orchestrator's specialists) joins the prompt's own. */
function withHint(input: RouteInput, hint: { capability?: Capability } | undefined): void {
  if (hint?.capability && !input.preferred.includes(hint.capability)) {
    input.preferred = [...input.preferred, hint.capability];
  }
}

function needsEmbedding(config: ServiceConfig): boolean {
  return config.strategies.includes('learned') || config.strategies.includes('similarity');
}

function elapsed(since: number): number {
  return Math.round((performance.now() - since) * 1000) / 1000;
}
