// The quality–cost choice both learned strategies share: utility = 100·quality − λ·cents (λ is
// "quality points per US cent", routing.cost_weight). Two-model pools use RouteLLM's rule instead:
// the strong (dearer) model when its win probability clears a threshold, here
// P(strong wins) = ½ + (q_strong − q_weak)/2, shifted by λ times the price gap.
import type { Candidate } from '../ports';
import type { ModelPrediction } from './quality-model';

export interface Scored {
  candidate: Candidate;
  prediction: ModelPrediction;
  utility: number;
}

export function cents(usd: number): number {
  return usd * 100;
}

export function utilities(
  candidates: readonly Candidate[],
  predictions: readonly ModelPrediction[],
  costWeight: number,
  quality: (p: ModelPrediction) => number = (p) => p.quality,
): Scored[] {
  return candidates
    .map((candidate, i) => {
      const prediction = predictions[i]!;
      return { candidate, prediction, utility: 100 * quality(prediction) - costWeight * cents(candidate.expectedCost) };
    })
    .sort((a, b) => b.utility - a.utility || a.candidate.expectedCost - b.candidate.expectedCost);
}

/** RouteLLM-style strong-win probability of the dearer of two models. */
export function strongWinProbability(strong: number, weak: number): number {
  return Math.min(1, Math.max(0, 0.5 + (strong - weak) / 2));
}

/** How RouteLLM's threshold rule decided a two-model pool (the figures its explanation quotes). */
export interface ThresholdRule {
  strong: Scored;
  weak: Scored;
  threshold: number;
  /** P(strong wins) = ½ + (q_strong − q_weak)/2. */
  winProbability: number;
  /** What the probability had to reach: the threshold plus λ × the price gap / 200. */
  bar: number;
  priceGapCents: number;
  /** The threshold changed the pick: quality against cost alone ranks the other model first. */
  overrode: boolean;
}

/**
 * Two-model pools: the strong model is first iff its win probability reaches the threshold, raised
 * by what λ says the price gap is worth. That is the utility comparison with the strong model's
 * utility tilted by 200·(½ − threshold) points, so the scores returned carry the tilt: the
 * alternatives a user sees rank the models as the rule did.
 */
export function twoModelDecision(
  scored: Scored[],
  threshold: number,
  costWeight: number,
  /** The quality `scored`'s utilities were computed from (the similarity strategy: its kNN). */
  quality: (p: ModelPrediction) => number = (p) => p.quality,
): { ranked: Scored[]; rule: ThresholdRule | null } {
  const [a, b] = scored;
  if (!a || !b || scored.length !== 2) return { ranked: scored, rule: null };
  const [strong0, weak] = a.candidate.expectedCost >= b.candidate.expectedCost ? [a, b] : [b, a];
  const p = strongWinProbability(quality(strong0.prediction), quality(weak.prediction));
  const priceGap = cents(strong0.candidate.expectedCost - weak.candidate.expectedCost);
  const bar = threshold + (costWeight * priceGap) / 200;
  const tilt = 200 * (0.5 - threshold);
  const strong = tilt === 0 ? strong0 : { ...strong0, utility: strong0.utility + tilt };
  const ranked = p >= bar ? [strong, weak] : [weak, strong];
  const rule: ThresholdRule = {
    strong,
    weak,
    threshold,
    winProbability: p,
    bar,
    priceGapCents: priceGap,
    // At the default threshold both rules agree (up to exact ties), so only a tilt can override.
    overrode: tilt !== 0 && ranked[0]!.candidate !== a.candidate,
  };
  return { ranked, rule };
}

/**
 * Thompson sampling: draw each model's quality from a normal around its estimate whose spread
 * shrinks with evidence, and take the best drawn utility. Under-sampled models win draws often.
 */
export function thompsonPick(scored: readonly Scored[], costWeight: number, random: () => number): Scored {
  let best = scored[0]!;
  let bestDraw = -Infinity;
  for (const s of scored) {
    const q = s.prediction.quality;
    const n = s.prediction.evidence + s.prediction.outcomes / 50;
    const sd = Math.sqrt(Math.max(q * (1 - q), 0.05) / (n + 1));
    const draw = 100 * (q + sd * gaussian(random)) - costWeight * cents(s.candidate.expectedCost);
    if (draw > bestDraw) {
      bestDraw = draw;
      best = s;
    }
  }
  return best;
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
