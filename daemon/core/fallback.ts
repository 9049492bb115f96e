// The strategy that always answers: the configured default model when it can serve the request,
// else the first candidate in pool order. It ends every chain so a decision always exists.
import type { Candidate, RouteInput, RoutingStrategy, StrategyVerdict } from './ports';

export const FALLBACK_CONFIDENCE = 0.2;

export class FallbackStrategy implements RoutingStrategy {
  readonly name = 'fallback';

  constructor(private readonly defaultModel?: string) {}

  decide(_input: RouteInput, candidates: readonly Candidate[]): StrategyVerdict {
    if (candidates.length === 0) {
      return { strategy: this.name, abstain: true, confidence: 0, ranked: [], explanation: 'No candidate models.' };
    }
    const names = candidates.map((c) => c.config.name);
    const isDefault = this.defaultModel !== undefined && names.includes(this.defaultModel);
    const pick = isDefault ? this.defaultModel : names[0]!;
    const ordered = [pick, ...names.filter((n) => n !== pick)];
    const explanation = isDefault
      ? `No strategy was confident, so the default model ${pick} answers.`
      : this.defaultModel !== undefined
        ? `No strategy was confident and the default model ${this.defaultModel} cannot serve this request, so the first suitable model ${pick} answers.`
        : `No strategy was confident and no default model is set, so the first suitable model ${pick} answers.`;
    return {
      strategy: this.name,
      abstain: false,
      confidence: FALLBACK_CONFIDENCE,
      // Scores only order the list: 1 for the pick, then descending by pool order.
      ranked: ordered.map((model, i) => ({ model, score: Math.round((1 - i / ordered.length) * 1000) / 1000 })),
      explanation,
    };
  }
}
