// The bundled prior applied to the user's pool: each pool model placed in the prior (fitted on
// public data, from its public quality figure or `quality:` in config.yaml, or guessed from its
// price), per-prompt predicted quality, online refinement by every outcome, and the decision the
// learned strategy makes from it while the store has no outcomes for the prompt's models.
import type { ModelConfig } from '../../../shared/config';
import type { Candidate, RouteInput, StrategyVerdict } from '../ports';
import { asRating, centsText, signed, thresholdSentence } from './explain';
import { textFeatures, type TextFeatures } from './features';
import { cents, twoModelDecision, utilities, type Scored } from './policy';
import {
  canonicalModelName,
  DEFAULT_ONLINE_PRIOR,
  logitOf,
  OnlinePrior,
  RouterPrior,
  sigmoid,
  type OnlinePriorOptions,
  type Placement,
  type PriorArtifact,
} from './prior';
import { publicQualityOf } from './public-quality';
import type { ModelPrediction } from './quality-model';

export interface PriorPrediction {
  model: string;
  quality: number;
  placement: Placement;
}

export interface PriorView {
  models: PriorPrediction[];
  /** The prompt's difficulty on the prior's logit scale (higher = harder). */
  difficulty: number;
}

/** Difficulty → words for explanations (thresholds on the logit scale of the training data). */
export function difficultyWord(d: number): string {
  if (d > 1) return 'hard';
  if (d > 0) return 'moderately hard';
  if (d > -1) return 'of average difficulty';
  return 'easy';
}

/**
 * What a dearer model is expected to add on this prompt (the best predicted quality minus the
 * cheapest model's), in words. The shipped prior's prompt side is how much stronger models gain on a
 * prompt (its discrimination), not its difficulty, so this is what the explanation says.
 */
export function gainWord(gain: number): string {
  if (gain > 0.25) return 'much';
  if (gain > 0.1) return 'something';
  if (gain > 0.02) return 'little';
  return 'nothing';
}

export class PoolPrior {
  readonly prior: RouterPrior;
  readonly online: OnlinePrior;
  private readonly placements = new Map<string, { key: string; placement: Placement }>();

  constructor(artifact: PriorArtifact, options: OnlinePriorOptions = DEFAULT_ONLINE_PRIOR) {
    this.prior = new RouterPrior(artifact);
    this.online = new OnlinePrior(this.prior, options);
  }

  /**
   * Where a pool model sits in the prior; cached per pool name, and placed again when its model,
   * price or quality: changes (a config reload). An Ollama model is not looked up in the public
   * table: Ollama's library names ("deepseek-r1", "llama3.1") are small or distilled local builds
   * of the hosted models the table rates.
   */
  placementOf(
    config: Pick<ModelConfig, 'name' | 'model' | 'cost_per_output_token'> &
      Partial<Pick<ModelConfig, 'provider'>> & { quality?: number },
  ): Placement {
    const key = `${config.model}\0${config.cost_per_output_token}\0${config.quality ?? ''}\0${config.provider ?? ''}`;
    const cached = this.placements.get(config.name);
    if (cached?.key === key) return cached.placement;
    let quality: { value: number; source: string } | undefined;
    if (config.quality !== undefined) quality = { value: config.quality, source: 'quality: in config.yaml' };
    else if (config.provider !== 'ollama') {
      const pub = publicQualityOf(canonicalModelName(config.model)) ?? publicQualityOf(canonicalModelName(config.name));
      if (pub) quality = { value: pub.value, source: `${pub.source}, ${pub.date}, as ${pub.name}` };
    }
    const placement = this.prior.place([config.model, config.name], quality, config.cost_per_output_token * 1e6);
    this.placements.set(config.name, { key, placement });
    return placement;
  }

  /** Placement for an outcome's model name when its config was never seen (older stores). */
  private placementByName(name: string): Placement {
    return this.placements.get(name)?.placement ?? this.placementOf({ name, model: name, cost_per_output_token: 0 });
  }

  predict(features: TextFeatures, embedding: Float32Array | null, configs: readonly ModelConfig[]): PriorView {
    const x = this.prior.input(features, embedding);
    const profile = this.online.profile(x);
    return {
      difficulty: profile.difficulty,
      models: configs.map((c) => {
        const placement = this.placementOf(c);
        const row = this.online.rowOf(c.name, placement.row);
        return { model: c.name, quality: sigmoid(logitOf(row, profile)), placement };
      }),
    };
  }

  /**
   * One outcome (rating, imported score, implicit signal) refines the prior online. Returns the
   * step's gradient, which unobserve() takes to take the outcome back.
   */
  observe(
    features: TextFeatures,
    model: string,
    score: number,
    weight = 1,
    embedding: Float32Array | null = null,
  ): number {
    const x = this.prior.input(features, embedding);
    return this.online.update(model, this.placementByName(model).row, x, score, weight);
  }

  /** Takes back an outcome observe() learned (a replaced rating); `step` is what observe returned. */
  unobserve(features: TextFeatures, model: string, step: number, embedding: Float32Array | null = null): void {
    this.online.undo(model, this.prior.input(features, embedding), step);
  }
}

/** A ModelPrediction carrying only the prior's estimate (for the shared policy code). */
export function priorModelPrediction(p: PriorPrediction): ModelPrediction {
  return { model: p.model, quality: p.quality, knn: p.quality, linear: null, evidence: 0, neighbours: 0, outcomes: 0 };
}

/** How the explanation names where each model's row came from. */
function basisNote(p: PriorPrediction): string {
  switch (p.placement.basis) {
    case 'data':
      return '';
    case 'quality':
      return ` (placed from ${p.placement.from})`;
    default:
      // A guess from the price, or nothing known: `from` says which.
      return ` (${p.placement.from}; set quality: in config.yaml)`;
  }
}

export function predictedQualityList(ranked: readonly { model: string; quality: number }[]): string {
  return ranked.map((r) => `${r.model} ${r.quality.toFixed(2)}`).join(', ');
}

export interface PriorDecisionOptions {
  strongWinThreshold: number;
  /** Confidence reported for a decision from the prior alone. */
  confidence: number;
}

/**
 * The decision from the prior alone (no outcomes yet for these models): predicted quality against
 * cost with the same λ rule as the learned strategy.
 */
export function decideFromPrior(
  pool: PoolPrior,
  input: RouteInput,
  candidates: readonly Candidate[],
  options: PriorDecisionOptions,
  reason: string,
): StrategyVerdict {
  const view = pool.predict(
    textFeatures(input.text),
    input.embedding ?? null,
    candidates.map((c) => c.config),
  );
  const predictions = view.models.map(priorModelPrediction);
  const { ranked, rule } = twoModelDecision(
    utilities(candidates, predictions, input.costWeight),
    options.strongWinThreshold,
    input.costWeight,
  );
  const chosen = ranked[0]!;
  const cheapest = [...ranked].sort((a, b) => a.candidate.expectedCost - b.candidate.expectedCost)[0]!;
  const why = rule?.overrode ? thresholdSentence(rule, chosen) : valueSentence(chosen, ranked[1], input.costWeight);
  const list = [...view.models].sort((a, b) => b.quality - a.quality);
  const gain = list[0]!.quality - cheapest.prediction.quality;
  const explanation =
    `Prior from public outcome data (${reason}): on prompts like this, public data expects a stronger model than ` +
    `${cheapest.candidate.config.name} to add ${gainWord(gain)}; ${why}. ` +
    `Predicted quality: ${list.map((m) => `${m.model} ${m.quality.toFixed(2)}${basisNote(m)}`).join(', ')}.`;
  return {
    strategy: 'learned',
    abstain: false,
    confidence: options.confidence,
    ranked: ranked.map((s) => ({ model: s.candidate.config.name, score: Math.round(s.utility * 1000) / 1000 })),
    explanation,
    predictedQuality: chosen.prediction.quality,
    bestPredictedQuality: list[0]!.quality,
    // The shipped prior reads the prompt's words; one trained with embeddings reads the vector too.
    readEmbedding: (pool.prior.embeddingDims > 0 && input.embedding !== undefined) || undefined,
  };
}

/**
 * Why the pick beat the runner-up by quality against cost, in the units λ weighs: what the dearer
 * pick buys over the model it beat ("+0.05 over gpt-4o-mini for 0.58 ¢ more"), or what the cheaper
 * one gives up.
 */
function valueSentence(chosen: Scored, runnerUp: Scored | undefined, costWeight: number): string {
  const name = chosen.candidate.config.name;
  const rated = `rated ${asRating(chosen.prediction.quality)}`;
  if (!runnerUp) return `${name} is the only candidate (${rated})`;
  const other = runnerUp.candidate.config.name;
  const gain = chosen.prediction.quality - runnerUp.prediction.quality;
  const extra = cents(chosen.candidate.expectedCost - runnerUp.candidate.expectedCost);
  const value =
    costWeight === 0 ? 'is expected to do best' : extra > 0 ? 'is worth its price here' : 'is the best value';
  let versus: string;
  if (extra > 0) versus = `${signed(gain)} over ${other} for ${centsText(extra)} ¢ more`;
  else if (extra === 0) versus = `${signed(gain)} over ${other} at the same price`;
  // A cheaper pick: what the dearer model it beat would have added, or that it is better anyway.
  else if (gain < 0) versus = `${other} would add ${signed(-gain)} for ${centsText(-extra)} ¢ more`;
  else versus = `${signed(gain)} over ${other}, which costs ${centsText(-extra)} ¢ more`;
  return `${name} ${value} (${rated}; ${versus})`;
}
