// One sentence per decision, in ratings users know (1–5 stars): "14 similar past prompts: haiku
// rated 4.6 vs gpt-4o 4.7 at 9× the price". A model with no ratings of its own says so, and where
// its figure comes from instead (the public-data prior, or the average of the other ratings).
import type { Scored, ThresholdRule } from './policy';

export function asRating(quality: number): string {
  return (1 + 4 * Math.min(1, Math.max(0, quality))).toFixed(1);
}

function ratio(a: number, b: number): string {
  const r = a / b;
  return r >= 10 ? Math.round(r).toString() : r.toFixed(1).replace(/\.0$/, '');
}

/** A quality difference with its sign: +0.05, −0.02. */
export function signed(x: number): string {
  return `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(2)}`;
}

/** US cents to two significant digits, never in exponent notation (150, 0.58). */
export function centsText(c: number): string {
  return String(Number(c.toPrecision(2)));
}

/** True when the store holds no outcome of this model: its figure is not learned from the user. */
export function unrated(s: Scored): boolean {
  return s.prediction.outcomes === 0;
}

/** Where the figure of a model without ratings comes from, with the figure. */
function unratedFigure(s: Scored, shown: number): string {
  const prior = s.prediction.prior;
  if (prior === undefined) return `the average of your ratings of other models gives it ${asRating(shown)}`;
  if (asRating(prior) === asRating(shown)) return `public data rates it ${asRating(shown)}`;
  // The shared part of the residual kNN: the pool does better or worse here than public data says.
  return `public data rates it ${asRating(prior)}, ${asRating(shown)} after your ratings of other models on similar prompts`;
}

/**
 * Where the figure of a model with outcomes comes from: the prior as its outcomes moved it (the
 * learned strategy with the prior: few outcomes move it little, so a 3-star model can still read
 * 4.1), or its outcomes alone.
 */
function ratedFigure(s: Scored, shown: number): string {
  const n = s.prediction.outcomes;
  const outcomes = `its ${n} outcome${n === 1 ? '' : 's'}`;
  const prior = s.prediction.prior;
  if (prior === undefined) return `rated ${asRating(shown)} from ${outcomes}`;
  if (asRating(prior) === asRating(shown))
    return `rated ${asRating(shown)} (public data's figure, not moved yet by ${outcomes})`;
  return `rated ${asRating(shown)} (public data's ${asRating(prior)}, moved by ${outcomes})`;
}

/** Compares the pick with the best-rated other model (or the runner-up when the pick is best). */
export function compareSentence(chosen: Scored, ranked: readonly Scored[], quality: (s: Scored) => number): string {
  const name = (s: Scored) => s.candidate.config.name;
  const others = ranked.filter((s) => s !== chosen);
  if (others.length === 0)
    return unrated(chosen)
      ? `${name(chosen)} has no ratings yet (${unratedFigure(chosen, quality(chosen))})`
      : `${name(chosen)} rated ${asRating(quality(chosen))}`;
  const rival = others.reduce((a, b) => (quality(b) > quality(a) ? b : a));
  // Once either side has no ratings of its own, each side says what its figure rests on.
  const head =
    unrated(chosen) || unrated(rival)
      ? `${
          unrated(chosen)
            ? `${name(chosen)} has no ratings yet (${unratedFigure(chosen, quality(chosen))})`
            : `${name(chosen)} ${ratedFigure(chosen, quality(chosen))}`
        } vs ${
          unrated(rival)
            ? `${name(rival)}, which has no ratings yet (${unratedFigure(rival, quality(rival))})`
            : `${name(rival)} ${ratedFigure(rival, quality(rival))}`
        }`
      : `${name(chosen)} rated ${asRating(quality(chosen))} vs ${name(rival)} ${asRating(quality(rival))}`;
  const mine = chosen.candidate.expectedCost;
  const theirs = rival.candidate.expectedCost;
  if (mine > 0 && theirs > mine * 1.05) return `${head} at ${ratio(theirs, mine)}× the price`;
  if (theirs > 0 && mine > theirs * 1.05) return `${head}, worth ${ratio(mine, theirs)}× the price`;
  if (mine === 0 && theirs > 0) return `${head}, and free`;
  return head;
}

/** Two figures to the fewest decimals (2 or 3) that tell them apart. */
function pair(a: number, b: number): [string, string] {
  return a.toFixed(2) === b.toFixed(2) ? [a.toFixed(3), b.toFixed(3)] : [a.toFixed(2), b.toFixed(2)];
}

/**
 * A two-model pick the strong-win threshold made against the quality–cost order, with its figures:
 * "routing.strong_win_threshold 0.3 picked gpt-4o: its chance to beat gpt-4o-mini, 0.50, reaches
 * 0.3 + 0.02 for its 0.38 ¢ more; by quality against cost alone gpt-4o-mini would win".
 */
export function thresholdSentence(rule: ThresholdRule, chosen: Scored): string {
  const strong = rule.strong.candidate.config.name;
  const weak = rule.weak.candidate.config.name;
  const pickedStrong = chosen.candidate === rule.strong.candidate;
  const [p, bar] = pair(rule.winProbability, rule.bar);
  const forPrice = rule.bar - rule.threshold;
  // The bar is the threshold plus what λ says the price gap is worth (nothing at λ = 0).
  const target =
    forPrice > 0
      ? `${rule.threshold} + ${forPrice.toFixed(forPrice < 0.005 ? 3 : 2)} for its ${centsText(rule.priceGapCents)} ¢ more`
      : bar;
  const chance = pickedStrong
    ? `its chance to beat ${weak}, ${p}, reaches ${target}`
    : `${strong}'s chance to beat it, ${p}, falls short of ${target}`;
  return (
    `routing.strong_win_threshold ${rule.threshold} picked ${pickedStrong ? strong : weak}: ${chance}; ` +
    `by quality against cost alone ${pickedStrong ? weak : strong} would win`
  );
}
