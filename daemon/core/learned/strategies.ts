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
  /**
   * A pick rated at least this (0.75: 4 stars) on the prompts it is judged by does well there: its
   * own evidence may decide even when its rivals have none (they are unrated, or not on prompts
   * like this one), as 0.3.0's similarity router routed to the model that worked best.
   */
  doesWellAbove: number;
}

export const DEFAULT_LEARNED_OPTIONS: LearnedStrategyOptions = {
  minConfidence: 0.35,
  explorationRate: 0.05,
  strongWinThreshold: 0.5,
  similarAbove: 0.5,
  priorConfidence: 0.5,
  doesWellAbove: 0.75,
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
    const best = this.pickOf(ranked);
    // The rule's own pick, which its clause describes (an exploring pick below is not the rule's).
    const decided: Rule = rule?.overrode && best === ranked[0] ? { rule, pick: best } : null;
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

  /** The model this strategy stands behind: the best for quality against cost, unless overridden. */
  protected pickOf(ranked: readonly Scored[]): Scored {
    return ranked[0]!;
  }

  /** The comparison of the pick with its rival, and what the strong-win threshold did, if it decided. */
  protected compare(chosen: Scored, ranked: readonly Scored[], rule: Rule): string {
    const sentence = compareSentence(chosen, ranked, (s) => this.quality(s.prediction));
    return rule ? `${sentence}; ${thresholdSentence(rule.rule, rule.pick)}` : sentence;
  }

  protected doesWell(s: Scored): boolean {
    return this.quality(s.prediction) >= this.options.doesWellAbove;
  }

  /**
   * How sure the pick is right, from each side's evidence (support). A contest: sure only when both
   * the pick and its closest rival have evidence to go by, min(pick, rival). But a rival with less
   * evidence than the pick (none at all: unrated, or rated only on other kinds of prompts) is a
   * guess, not a contender, and must not silence a pick that is known to do well here: then the
   * pick's own evidence counts, provided its figure reaches doesWellAbove. A pick that is known to
   * do badly is not trusted over models nobody has rated.
   */
  protected supportedConfidence(
    chosen: Scored,
    ranked: readonly Scored[],
    support: (s: Scored) => number,
  ): { confidence: number; onItsOwn: boolean } {
    const rival = ranked.find((s) => s !== chosen);
    const contest = evidenceConfidence(Math.min(support(chosen), rival ? support(rival) : Infinity));
    const own = this.doesWell(chosen) ? evidenceConfidence(support(chosen)) : 0;
    return own > contest ? { confidence: own, onItsOwn: true } : { confidence: contest, onItsOwn: false };
  }

  /**
   * When the pick's own record decided (supportedConfidence), which rivals had no evidence on
   * prompts like this: the sentence says so, as a user would want to know the others were not tried.
   */
  protected onItsOwnClause(chosen: Scored, ranked: readonly Scored[], support: (s: Scored) => number): string {
    if (!this.supportedConfidence(chosen, ranked, support).onItsOwn) return '';
    const name = chosen.candidate.config.name;
    const others = ranked.filter((s) => s !== chosen);
    const none = others.filter((s) => support(s) === 0).map((s) => s.candidate.config.name);
    const fewer = others
      .filter((s) => support(s) > 0 && support(s) < support(chosen))
      .map((s) => s.candidate.config.name);
    const said = [
      none.length > 0 ? `${listNames(none)} ${none.length === 1 ? 'has' : 'have'} no ratings on prompts like this` : '',
      fewer.length > 0 ? `${listNames(fewer)} ${fewer.length === 1 ? 'has' : 'have'} fewer` : '',
    ].filter(Boolean);
    const why = said.length > 0 ? ` (${said.join('; ')})` : '';
    return `; ${name} does well here on its own record${why}`;
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

  /**
   * A model without close neighbours has no figure of its own here, only the average of the other
   * models' ratings (or its ratings on other kinds of prompts), so it can rank first on a guess,
   * often by being cheaper at that same figure, and the strategy could only abstain. A model known
   * to do well on similar prompts comes before models that rank above it with less evidence here:
   * "route to the model that worked best on similar past prompts", as 0.3.0 did. It never passes a
   * model with as much evidence as its own (that trade-off of quality against cost stands). The
   * scores stay each model's own figure against its cost; the sentence says why the order differs.
   */
  protected override pickOf(ranked: readonly Scored[]): Scored {
    const best = ranked[0]!;
    if (this.confidence(best, ranked) >= this.options.minConfidence) return best;
    let above = 0; // the most close evidence of a model ranked above
    for (const s of ranked) {
      const evidence = closeEvidence(s);
      if (s !== best && evidence > above && this.doesWell(s))
        if (this.confidence(s, ranked) >= this.options.minConfidence) return s;
      above = Math.max(above, evidence);
    }
    return best;
  }

  protected confidence(chosen: Scored, ranked: readonly Scored[]): number {
    // Close neighbours are the similarity strategy's only evidence.
    return this.supportedConfidence(chosen, ranked, closeEvidence).confidence;
  }

  protected describe(chosen: Scored, ranked: readonly Scored[], prediction: Prediction, rule: Rule): string {
    const n = this.similarCount(prediction);
    const own = this.onItsOwnClause(chosen, ranked, closeEvidence);
    return `${n} similar past prompt${n === 1 ? '' : 's'}: ${this.compare(chosen, ranked, rule)}${own}`;
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
    const fromEvidence = this.supportedConfidence(chosen, ranked, learnedSupport).confidence;
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

function closeEvidence(s: Scored): number {
  return s.prediction.evidence;
}

/** The learned strategy's evidence: the heads generalise beyond close neighbours, so a model's outcomes count too. */
function learnedSupport(s: Scored): number {
  return s.prediction.evidence + s.prediction.outcomes / 25;
}

/** a, b and c */
function listNames(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The strong-win threshold's decision in a two-model pool, when it overrode the quality–cost order. */
type Rule = { rule: ThresholdRule; pick: Scored } | null;

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
