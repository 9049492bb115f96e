// The routing chain: strategies in priority order; the first one that does not abstain and is
// confident enough decides. The fallback strategy always decides when reached, and a built-in
// fallback ends the chain if the configured list has none, so `plan` always returns a decision
// (given at least one candidate).
import type { ModelConfig } from '../../shared/config';
import { FugusashiError } from '../../shared/errors';
import type { RoutingDecision } from '../../shared/openai';
import { expectedCost } from './candidates';
import { FallbackStrategy } from './fallback';
import type { Candidate, RouteInput, RoutePlan, RoutingStrategy, StrategyVerdict } from './ports';

export interface EnsembleOptions {
  /** A strategy (other than the fallback) passes unless its confidence reaches this. */
  minConfidence: number;
  /** Used by the built-in fallback when the chain has no 'fallback' strategy. */
  defaultModel?: string;
}

type ChainEntry = NonNullable<RoutingDecision['chain']>[number];

export class EnsembleStrategy {
  private readonly fallback: RoutingStrategy;

  constructor(
    private readonly strategies: readonly RoutingStrategy[],
    private readonly options: EnsembleOptions,
  ) {
    this.fallback = strategies.find((s) => s.name === 'fallback') ?? new FallbackStrategy(options.defaultModel);
  }

  /** The strategy names in the order they are consulted. */
  get chainNames(): string[] {
    const names = this.strategies.map((s) => s.name);
    return names.includes('fallback') ? names : [...names, 'fallback'];
  }

  plan(input: RouteInput, candidates: readonly Candidate[]): RoutePlan {
    if (candidates.length === 0) throw new FugusashiError('NoModels', 'No candidate model to route to.');
    const names = new Set(candidates.map((c) => c.config.name));
    const chain: ChainEntry[] = [];
    const consulted = this.strategies.includes(this.fallback) ? this.strategies : [...this.strategies, this.fallback];
    for (const strategy of consulted) {
      const isFallback = strategy === this.fallback;
      let verdict: StrategyVerdict;
      try {
        verdict = strategy.decide(input, candidates);
      } catch (error) {
        // A broken strategy must not take routing down; the next one decides and the chain says why.
        chain.push({ strategy: strategy.name, abstained: true, reason: `failed: ${errorMessage(error)}` });
        continue;
      }
      // Ignore models a strategy ranked that are not candidates (filtered out or unknown).
      const ranked = verdict.ranked.filter((r) => names.has(r.model));
      if (verdict.abstain || ranked.length === 0) {
        chain.push({ strategy: strategy.name, abstained: true, reason: verdict.explanation || 'no opinion' });
        continue;
      }
      if (!isFallback && verdict.confidence < this.options.minConfidence) {
        chain.push({
          strategy: strategy.name,
          abstained: false,
          reason: `confidence ${verdict.confidence.toFixed(2)} < ${this.options.minConfidence}: ${verdict.explanation}`,
        });
        continue;
      }
      return this.toPlan({ ...verdict, strategy: verdict.strategy || strategy.name, ranked }, candidates, chain);
    }
    // Only reachable if the fallback itself failed or abstained; answer with the first candidate.
    const first = candidates[0]!.config.name;
    return this.toPlan(
      {
        strategy: 'fallback',
        abstain: false,
        confidence: 0,
        ranked: [{ model: first, score: 1 }],
        explanation: `No strategy could decide, so the first suitable model ${first} answers.`,
      },
      candidates,
      chain,
    );
  }

  private toPlan(verdict: StrategyVerdict, candidates: readonly Candidate[], chain: ChainEntry[]): RoutePlan {
    const pick = verdict.ranked[0]!.model;
    const pickCandidate = candidates.find((c) => c.config.name === pick)!;
    const order: string[] = [];
    const seen = new Set<string>();
    for (const r of verdict.ranked) {
      if (!seen.has(r.model)) {
        seen.add(r.model);
        order.push(r.model);
      }
    }
    for (const c of candidates) {
      if (!seen.has(c.config.name)) {
        seen.add(c.config.name);
        order.push(c.config.name);
      }
    }
    const decision: RoutingDecision = {
      model: pick,
      confidence: clamp01(verdict.confidence),
      strategy: verdict.strategy,
      latency_ms: 0,
      explanation: verdict.explanation,
      alternatives: verdict.ranked.map((r) => ({ model: r.model, score: r.score })),
      estimated_cost: pickCandidate.expectedCost,
      chain,
    };
    if (verdict.exploration) decision.exploration = true;
    const plan: RoutePlan = { decision, order };
    if (verdict.readEmbedding) plan.readEmbedding = true;
    // An exploring pick is not the strategy's judgement of quality: it must not trigger escalation,
    // by its own prediction or by the pool's best.
    if (!verdict.exploration) {
      if (verdict.predictedQuality !== undefined) plan.predictedQuality = verdict.predictedQuality;
      if (verdict.bestPredictedQuality !== undefined) plan.bestPredictedQuality = verdict.bestPredictedQuality;
    }
    return plan;
  }
}

/**
 * A request that names a pool model gets exactly that model: no fallbacks, because a forced model
 * is honoured, not silently replaced. It is honoured even when a filter excluded it (the user
 * asked for it by name); `input` prices it in that case. Unknown names are a 404.
 */
export function forcedPlan(
  model: string,
  candidates: readonly Candidate[],
  pool: readonly ModelConfig[],
  input?: RouteInput,
): RoutePlan {
  const config = pool.find((m) => m.name === model);
  if (!config) {
    const known = pool.map((m) => m.name).join(', ') || 'none configured';
    throw new FugusashiError('ModelNotFound', `Unknown model "${model}". Use "auto" or one of: ${known}.`, 'model');
  }
  if (config.unavailable) {
    throw new FugusashiError('InvalidRequest', `Model "${model}" cannot be called: ${config.unavailable}.`, 'model');
  }
  const candidate = candidates.find((c) => c.config.name === model);
  const cost =
    candidate?.expectedCost ??
    (input ? expectedCost(config, input.features.estimatedInputTokens, input.features.expectedOutputTokens) : 0);
  return {
    decision: {
      model,
      confidence: 1,
      strategy: 'override',
      latency_ms: 0,
      explanation: 'Forced by the request',
      alternatives: [],
      estimated_cost: cost,
      chain: [],
    },
    order: [model],
  };
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
