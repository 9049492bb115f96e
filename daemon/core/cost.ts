// The price-aware rule-based strategy: among candidates, the best capability fit for what the
// prompt seems to need (code, math, reasoning, writing), then the lowest expected cost. It needs no
// history, so it decides from the first request on. With λ = 0 ("auto:quality", or cost_weight 0)
// cost does not matter, and price is the only quality signal it has: the priciest fitting model wins.
import type { Candidate, RouteInput, RoutingStrategy, StrategyVerdict } from './ports';
import { effectiveCapabilities } from './candidates';
import { formatUsd } from './format';

export interface CostRouterOptions {
  /** Local models that fit as well as the best fit go first, even when a cloud model is cheaper. */
  preferLocal: boolean;
}

interface Scored {
  candidate: Candidate;
  fit: number;
  promotedLocal: boolean;
}

export class CostStrategy implements RoutingStrategy {
  readonly name = 'cost';

  constructor(private readonly options: CostRouterOptions) {}

  decide(input: RouteInput, candidates: readonly Candidate[]): StrategyVerdict {
    if (candidates.length === 0) {
      return { strategy: this.name, abstain: true, confidence: 0, ranked: [], explanation: 'No candidate models.' };
    }
    const preferred = input.preferred;
    let bestFit = 0;
    const scored: Scored[] = candidates.map((candidate) => {
      let fit = 1;
      if (preferred.length > 0) {
        const caps = effectiveCapabilities(candidate.config);
        let covered = 0;
        for (const c of preferred) if (covers(caps, c) !== 'no') covered++;
        fit = covered / preferred.length;
      }
      if (fit > bestFit) bestFit = fit;
      return { candidate, fit, promotedLocal: false };
    });
    if (this.options.preferLocal) {
      for (const s of scored) s.promotedLocal = s.candidate.local && s.fit === bestFit;
    }
    const qualityMode = input.costWeight === 0;
    const priceOrder = qualityMode ? -1 : 1;
    scored.sort(
      (a, b) =>
        Number(b.promotedLocal) - Number(a.promotedLocal) ||
        b.fit - a.fit ||
        priceOrder * (a.candidate.expectedCost - b.candidate.expectedCost) ||
        Number(b.candidate.local) - Number(a.candidate.local),
    );
    // Score: fit dominates (its steps are ≥ 1/8 × 0.9 > 0.1), then the price preference relative
    // to the extreme price; a promoted local model counts as best so scores follow the order.
    const costs = candidates.map((c) => c.expectedCost);
    const paid = costs.filter((c) => c > 0);
    const cheapestPaid = paid.length ? Math.min(...paid) : 0;
    const dearest = Math.max(...costs);
    const ranked = scored.map((s) => {
      const cost = s.candidate.expectedCost;
      const pricePref = s.promotedLocal
        ? 1
        : qualityMode
          ? dearest > 0
            ? cost / dearest
            : 1
          : cost <= 0
            ? 1
            : cheapestPaid / cost;
      return { model: s.candidate.config.name, score: round3(0.9 * s.fit + 0.1 * pricePref) };
    });
    const top = scored[0]!;
    return {
      strategy: this.name,
      abstain: false,
      confidence: input.preferred.length === 0 ? 0.6 : round3(0.3 + 0.5 * bestFit),
      ranked,
      explanation: explain(top, [...input.required, ...preferred], preferred, bestFit, qualityMode),
    };
  }
}

function explain(
  top: Scored,
  wanted: readonly string[],
  preferred: readonly string[],
  bestFit: number,
  qualityMode: boolean,
): string {
  const c = top.candidate;
  const caps = effectiveCapabilities(c.config);
  const has = wanted.flatMap((w) => {
    const how = covers(caps, w);
    return how === 'direct' ? [w] : how === 'proxy' ? [`reasoning (for ${w})`] : [];
  });
  const price = c.local && c.expectedCost <= 0 ? 'free, local' : `${formatUsd(c.expectedCost)} est.`;
  const withCaps = has.length ? ` with ${has.join(' + ')}` : '';
  const lacking = preferred.filter((p) => !has.some((h) => h === p || h === `reasoning (for ${p})`));
  const note = preferred.length > 0 && bestFit === 0 ? ` (no model is marked for ${preferred.join(' + ')})` : '';
  if (top.promotedLocal) return `Local model preferred${withCaps}: ${c.config.name} (${price})${note}.`;
  const which = qualityMode ? 'priciest' : 'cheapest';
  if (lacking.length && bestFit > 0)
    return `Best capability fit${withCaps}, lacking ${lacking.join(' + ')}, then ${which}: ${c.config.name} (${price}).`;
  if (qualityMode)
    return `Quality mode, no ratings yet: the priciest model${withCaps}, ${c.config.name} (${price})${note}.`;
  return `Cheapest model${withCaps}: ${c.config.name} (${price})${note}.`;
}

/** Few pools tag models with 'math'; a model tagged for reasoning is taken to handle it. */
function covers(caps: ReadonlySet<string>, wanted: string): 'direct' | 'proxy' | 'no' {
  if (caps.has(wanted)) return 'direct';
  if (wanted === 'math' && caps.has('reasoning')) return 'proxy';
  return 'no';
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
