// One sentence per decision, in ratings users know (1–5 stars): "14 similar past prompts: haiku
// rated 4.6 vs gpt-4o 4.7 at 9× the price".
import type { Scored } from './policy';

export function asRating(quality: number): string {
  return (1 + 4 * Math.min(1, Math.max(0, quality))).toFixed(1);
}

function ratio(a: number, b: number): string {
  const r = a / b;
  return r >= 10 ? Math.round(r).toString() : r.toFixed(1).replace(/\.0$/, '');
}

/** Compares the pick with the best-rated other model (or the runner-up when the pick is best). */
export function compareSentence(chosen: Scored, ranked: readonly Scored[], quality: (s: Scored) => number): string {
  const others = ranked.filter((s) => s !== chosen);
  if (others.length === 0) return `${chosen.candidate.config.name} rated ${asRating(quality(chosen))}`;
  const rival = others.reduce((a, b) => (quality(b) > quality(a) ? b : a));
  const head = `${chosen.candidate.config.name} rated ${asRating(quality(chosen))} vs ${rival.candidate.config.name} ${asRating(quality(rival))}`;
  const mine = chosen.candidate.expectedCost;
  const theirs = rival.candidate.expectedCost;
  if (mine > 0 && theirs > mine * 1.05) return `${head} at ${ratio(theirs, mine)}× the price`;
  if (theirs > 0 && mine > theirs * 1.05) return `${head}, worth ${ratio(mine, theirs)}× the price`;
  if (mine === 0 && theirs > 0) return `${head}, and free`;
  return head;
}
