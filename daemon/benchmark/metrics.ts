// RouteLLM's metrics, as /work/shared/eval-data/README.md defines them. Rows are sorted by the
// router's strong-win score; routing the top x % to the strong model gives one point of the
// quality curve. PGR(x) = (quality(x) − weak) / (strong − weak); APGR = the area under the PGR
// curve over the sweep 0 %, 10 %, …, 100 % by the trapezoid rule, as RouteLLM's evaluate.py computes
// it (np.trapz of accuracy over the strong share, normalised by the weak and strong areas; this is
// what reproduces the oracle APGRs in the eval data's README, e.g. 1.285 on MMLU). A plain mean of
// the 11 points would pull every router towards .5. CPT(p) = the smallest strong share whose PGR
// reaches p, read off the curve by linear interpolation at its first crossing.

export interface CurvePoint {
  strong_pct: number;
  quality: number;
  pgr: number;
}

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

/** Row indices by descending score; ties keep row order so results are reproducible. */
export function rankByScore(scores: readonly number[]): number[] {
  return scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
}

export function qualityCurve(
  strong: readonly number[],
  weak: readonly number[],
  score: readonly number[],
  steps = 10,
): CurvePoint[] {
  const n = strong.length;
  if (n === 0 || weak.length !== n || score.length !== n) throw new Error('curve needs equal, non-empty columns');
  const strongMean = mean(strong);
  const weakMean = mean(weak);
  const gap = strongMean - weakMean;
  const order = rankByScore(score);
  // prefix[k] = Σ over the top-k rows of (strong − weak): quality(k) = weakMean + prefix[k] / n.
  const prefix = [0];
  for (const i of order) prefix.push(prefix[prefix.length - 1]! + strong[i]! - weak[i]!);
  const points: CurvePoint[] = [];
  for (let s = 0; s <= steps; s++) {
    const k = Math.round((n * s) / steps);
    const quality = weakMean + prefix[k]! / n;
    points.push({ strong_pct: (100 * s) / steps, quality, pgr: gap === 0 ? 0 : (quality - weakMean) / gap });
  }
  return points;
}

export function apgr(curve: readonly CurvePoint[]): number {
  let area = 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1]!;
    const b = curve[i]!;
    area += ((a.pgr + b.pgr) / 2) * (b.strong_pct - a.strong_pct);
  }
  const span = curve.length > 1 ? curve[curve.length - 1]!.strong_pct - curve[0]!.strong_pct : 0;
  return span > 0 ? area / span : 0;
}

/** CPT(p) in % of strong calls, or null when the curve never reaches p. */
export function cpt(curve: readonly CurvePoint[], target: number): number | null {
  for (let i = 0; i < curve.length; i++) {
    const b = curve[i]!;
    if (b.pgr >= target) {
      if (i === 0) return b.strong_pct;
      const a = curve[i - 1]!;
      const t = (target - a.pgr) / (b.pgr - a.pgr);
      return a.strong_pct + t * (b.strong_pct - a.strong_pct);
    }
  }
  return null;
}
