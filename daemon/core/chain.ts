// Builds the configured strategy chain (routing.strategies) from the built-in strategies and the
// learner's. Strategies the learner cannot provide (embeddings off, no learner yet) are skipped and
// reported, so the daemon can log why its chain is shorter than configured.
import type { StrategyName } from '../../shared/config';
import { CostStrategy } from './cost';
import { EnsembleStrategy } from './ensemble';
import { FallbackStrategy } from './fallback';
import type { Learner, RoutingStrategy } from './ports';

export interface ChainOptions {
  strategies: readonly StrategyName[];
  preferLocal: boolean;
  minConfidence: number;
  defaultModel?: string;
  learner?: Pick<Learner, 'strategy'>;
}

export function buildEnsemble(options: ChainOptions): { router: EnsembleStrategy; skipped: string[] } {
  const chain: RoutingStrategy[] = [];
  const skipped: string[] = [];
  for (const name of options.strategies) {
    if (chain.some((s) => s.name === name)) continue;
    if (name === 'cost') chain.push(new CostStrategy({ preferLocal: options.preferLocal }));
    else if (name === 'fallback') chain.push(new FallbackStrategy(options.defaultModel));
    else {
      const learned = options.learner?.strategy(name);
      if (learned) chain.push(learned);
      else skipped.push(name);
    }
  }
  return {
    router: new EnsembleStrategy(chain, { minConfidence: options.minConfidence, defaultModel: options.defaultModel }),
    skipped,
  };
}
