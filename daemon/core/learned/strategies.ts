// The two learning strategies of the routing chain. Both read the same QualityModel (fed online
// by the Learner) and abstain when unsure so the chain continues (cost → fallback).
//  - similarity: the nearest past prompts only (kNN), confident when many close neighbours agree.
//  - learned: kNN blended with the logistic heads over embedding + cheap features + words,
//    choosing argmax(quality − λ·cost) (or RouteLLM's threshold rule for two-model pools), with a
//    small share of Thompson-sampling exploration on live traffic. When the prompt's embedding is
//    not ready in time (routing.embeddings.wait_ms) it decides from the words alone.
import type { Candidate, RouteInput, RoutingStrategy, StrategyVerdict } from '../ports';
import { compareSentence, thresholdSentence, unrated } from './explain';
import { textFeatures, type TextFeatures } from './features';
import { thompsonPick, twoModelDecision, utilities, type Scored, type ThresholdRule } from './policy';
import { decideFromPrior, predictedQualityList, type PoolPrior } from './pool-prior';
import { staticPriorLogits } from './prior-offsets';
import { sigmoid } from './prior';
import type { ModelPrediction, Prediction, QualityModel } from './quality-model';

export interface LearnedStrategyOptions {
  /** Below this confidence the strategy abstains. */
  minConfidence: number;
  /** Share of explore-allowed decisions that take a Thompson draw instead of the best. */
  explorationRate: number;
  /** Two-model pools: strong model iff P(strong wins) ≥ this (plus λ × price gap). */
  strongWinThreshold: number;
  /** Neighbours closer than this count as "similar" in explanations and confidence. */
  similarAbove: number;
  /** Confidence of a decision from the prior alone (above min_confidence: the prior decides). */
  priorConfidence: number;
}

export const DEFAULT_LEARNED_OPTIONS: LearnedStrategyOptions = {
  minConfidence: 0.35,
  explorationRate: 0.05,
  strongWinThreshold: 0.5,
  similarAbove: 0.5,
  priorConfidence: 0.5,
};

function abstain(strategy: string, explanation: string): StrategyVerdict {
  return { strategy, abstain: true, confidence: 0, ranked: [], explanation };
}

/** Evidence → 0..1: two close neighbours give ~0.6, six ~0.95. */
function evidenceConfidence(evidence: number): number {
  return 1 - Math.exp(-evidence / 2);
}

abstract class ModelStrategy implements RoutingStrategy {
  abstract readonly name: string;

  constructor(
    protected readonly model: QualityModel,
    protected readonly options: LearnedStrategyOptions = DEFAULT_LEARNED_OPTIONS,
  ) {}

  /** Whether a prompt without an embedding (not ready in time) is decided from its words alone. */
  protected abstract readonly decidesFromWords: boolean;
  protected abstract quality(p: ModelPrediction): number;
  protected abstract confidence(chosen: Scored, ranked: readonly Scored[], prediction: Prediction): number;
  protected abstract describe(chosen: Scored, ranked: readonly Scored[], prediction: Prediction, rule: Rule): string;
  /** A decision from the bundled prior where the store cannot decide yet (null: abstain). */
  protected fromPrior(_input: RouteInput, _candidates: readonly Candidate[], _reason: string): StrategyVerdict | null {
    return null;
  }
  /** The prior's P(good) per candidate, which the store's predictions correct (undefined: none). */
  protected priorsFor(
    _input: RouteInput,
    _candidates: readonly Candidate[],
    _features: TextFeatures,
  ): number[] | undefined {
    return undefined;
  }

  decide(input: RouteInput, candidates: readonly Candidate[]): StrategyVerdict {
    if (candidates.length === 0) return abstain(this.name, 'no candidate models');
    if (!input.embedding && !this.decidesFromWords)
      return abstain(this.name, 'no embedding for this prompt (embedder not ready)');
    if (input.embedding && input.embedding.length !== this.model.dims)
      return abstain(this.name, 'embedding size does not match the store');
    if (this.model.size === 0)
      return (
        this.fromPrior(input, candidates, 'no ratings yet') ?? abstain(this.name, 'no past outcomes to learn from yet')
      );
    const known = candidates.filter((c) => this.model.outcomesOf(c.config.name) > 0);
    if (known.length === 0)
      return (
        this.fromPrior(input, candidates, 'no ratings yet for these models') ??
        abstain(this.name, 'none of the candidate models has outcomes yet')
      );

    const features = textFeatures(input.text);
    const prediction = this.model.predict(
      input.embedding ?? null,
      features,
      candidates.map((c) => c.config.name),
      this.priorsFor(input, candidates, features),
    );
    const quality = (p: ModelPrediction) => this.quality(p);
    const { ranked, rule } = twoModelDecision(
      utilities(candidates, prediction.models, input.costWeight, quality),
      this.options.strongWinThreshold,
      input.costWeight,
      quality,
    );
    const best = ranked[0]!;
    // The rule's own pick, which its clause describes (an exploring pick below is not the rule's).
    const decided: Rule = rule?.overrode ? { rule, pick: best } : null;
    const confidence = this.confidence(best, ranked, prediction);
    if (confidence < this.options.minConfidence) {
      return {
        ...abstain(
          this.name,
          `not sure enough (confidence ${confidence.toFixed(2)}): ${this.describe(best, ranked, prediction, decided)}`,
        ),
        confidence,
      };
    }
    let chosen = best;
    let exploration = false;
    if (input.explore && this.options.explorationRate > 0 && input.random() < this.options.explorationRate) {
      chosen = thompsonPick(ranked, input.costWeight, input.random);
      exploration = chosen !== best;
    }
    const order = [chosen, ...ranked.filter((s) => s !== chosen)];
    const sentence = this.describe(chosen, ranked, prediction, decided);
    return {
      strategy: this.name,
      abstain: false,
      confidence,
      ranked: order.map((s) => ({ model: s.candidate.config.name, score: round(s.utility) })),
      explanation: exploration ? `Exploring ${chosen.candidate.config.name} (few outcomes yet); ${sentence}` : sentence,
      exploration: exploration || undefined,
      predictedQuality: this.quality(chosen.prediction),
      bestPredictedQuality: Math.max(...ranked.map((s) => this.quality(s.prediction))),
      // From the words alone (the embedding was not ready) the decision read no embedding.
      readEmbedding: !prediction.wordsOnly || undefined,
    };
  }

  /** The comparison of the pick with its rival, and what the strong-win threshold did, if it decided. */
  protected compare(chosen: Scored, ranked: readonly Scored[], rule: Rule): string {
    const sentence = compareSentence(chosen, ranked, (s) => this.quality(s.prediction));
    return rule ? `${sentence}; ${thresholdSentence(rule.rule, rule.pick)}` : sentence;
  }

  protected similarCount(prediction: Prediction): number {
    return prediction.nearest.filter((n) => n.similarity >= this.options.similarAbove).length;
  }
}

export class SimilarityStrategy extends ModelStrategy {
  readonly name = 'similarity';
  protected readonly decidesFromWords = false;

  protected quality(p: ModelPrediction): number {
    return p.knn;
  }

  protected confidence(chosen: Scored, ranked: readonly Scored[]): number {
    // Sure only when both the pick and its closest rival have close neighbours to go by.
    const rival = ranked.find((s) => s !== chosen);
    const evidence = Math.min(chosen.prediction.evidence, rival ? rival.prediction.evidence : Infinity);
    return evidenceConfidence(evidence);
  }

  protected describe(chosen: Scored, ranked: readonly Scored[], prediction: Prediction, rule: Rule): string {
    const n = this.similarCount(prediction);
    return `${n} similar past prompt${n === 1 ? '' : 's'}: ${this.compare(chosen, ranked, rule)}`;
  }
}

export class LearnedStrategy extends ModelStrategy {
  readonly name = 'learned';
  protected readonly decidesFromWords = true;

  constructor(
    model: QualityModel,
    options: LearnedStrategyOptions = DEFAULT_LEARNED_OPTIONS,
    /** The bundled prior (null: learn from the store alone, as before the prior existed). */
    private readonly prior: PoolPrior | null = null,
  ) {
    super(model, options);
  }

  protected override fromPrior(
    input: RouteInput,
    candidates: readonly Candidate[],
    reason: string,
  ): StrategyVerdict | null {
    if (!this.prior) return null;
    return decideFromPrior(
      this.prior,
      input,
      candidates,
      {
        strongWinThreshold: this.options.strongWinThreshold,
        confidence: this.options.priorConfidence,
      },
      reason,
    );
  }

  /**
   * The shipped prior's estimate for each candidate (the same function of the prompt the learner
   * stored with each outcome): the store's kNN and heads learn corrections to it, each pulled
   * toward it in proportion to how little evidence they have (QualityModel.predict).
   */
  protected override priorsFor(
    input: RouteInput,
    candidates: readonly Candidate[],
    features: TextFeatures,
  ): number[] | undefined {
    if (!this.prior) return undefined;
    return staticPriorLogits(
      this.prior,
      features,
      input.embedding ?? null,
      candidates.map((c) => c.config),
    ).map(sigmoid);
  }

  protected quality(p: ModelPrediction): number {
    return p.quality;
  }

  protected confidence(chosen: Scored, ranked: readonly Scored[]): number {
    // The heads generalise beyond close neighbours, so outcomes of the model count too.
    const rival = ranked.find((s) => s !== chosen);
    const support = (s: Scored) => s.prediction.evidence + s.prediction.outcomes / 25;
    const fromEvidence = evidenceConfidence(Math.min(support(chosen), rival ? support(rival) : Infinity));
    // With the prior, a model without outcomes is not unknown: it has the prior's estimate, so the
    // first ratings do not make the strategy abstain where the prior alone would have decided.
    return this.prior ? Math.max(this.options.priorConfidence, fromEvidence) : fromEvidence;
  }

  protected describe(chosen: Scored, ranked: readonly Scored[], prediction: Prediction, rule: Rule): string {
    const n = this.similarCount(prediction);
    // Outcomes that still count: a rating the user replaced is not one of them (QualityModel.retract).
    const held = this.model.liveSize;
    const outcomes = `${held} past outcome${held === 1 ? '' : 's'}`;
    // A pick with no ratings of its own was not learned from the user's ratings: its figure is the
    // prior's (or, without the prior, the average of the other models' outcomes).
    const source = !unrated(chosen)
      ? `Learned from ${outcomes}`
      : chosen.prediction.prior !== undefined
        ? `From the public-data prior and ${outcomes}`
        : `From ${outcomes} of other models`;
    const basis = prediction.wordsOnly
      ? `${source} (read from the prompt's words; its embedding was not ready)`
      : `${source} (${n} similar prompt${n === 1 ? '' : 's'})`;
    const sentence = `${basis}: ${this.compare(chosen, ranked, rule)}`;
    if (!this.prior) return sentence;
    // The last refit found these outcomes predict better without the prior (QualityModel.refit).
    if (this.model.usesStoreAlone)
      return `${sentence} (from these outcomes alone: they predict better than the public-data prior)`;
    const list = ranked.map((s) => ({ model: s.candidate.config.name, quality: this.quality(s.prediction) }));
    return `${sentence}. Predicted quality (with the public-data prior): ${predictedQualityList([...list].sort((a, b) => b.quality - a.quality))}`;
  }
}

/** The strong-win threshold's decision in a two-model pool, when it overrode the quality–cost order. */
type Rule = { rule: ThresholdRule; pick: Scored } | null;

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
