// The learning router's state (embeddings + quality model over the stored outcomes), built only
// when routing.strategies names a strategy that uses it.
import type { ResolvedConfig } from '../config';
import type { ModelConfig } from '../../shared/config';
import type { Learner, Store } from '../core/ports';
import { createLearner } from '../services/learner';

/**
 * 'auto' (default) builds it when routing.strategies names learned or similarity; 'off' never;
 * or a factory (tests inject one with a small embedder).
 */
export type LearnerChoice = 'auto' | 'off' | ((store: Store, config: ResolvedConfig) => Learner);

export type ClosableLearner = Learner & { close?(): void; ready?(): Promise<void> };

export function buildLearner(
  choice: LearnerChoice,
  store: Store,
  config: ResolvedConfig,
  log: (line: string) => void,
  /** The pool after any reload (the learner places an outcome's model from its entry). */
  pool: () => readonly ModelConfig[] = () => config.models,
): ClosableLearner | undefined {
  if (choice === 'off') return undefined;
  if (typeof choice === 'function') return choice(store, config);
  const wanted = config.routing.strategies.some((s) => s === 'learned' || s === 'similarity');
  if (!wanted) return undefined;
  const r = config.routing;
  return createLearner({
    store,
    dataDir: config.server.dataDir,
    embeddings: { backend: r.embeddings.backend, ...(r.embeddings.model ? { model: r.embeddings.model } : {}) },
    log,
    fastView: r.embeddings.fastView,
    strategy: {
      minConfidence: r.minConfidence,
      explorationRate: r.explorationRate,
      strongWinThreshold: r.strongWinThreshold,
    },
    // The feedback service triggers refits (it knows about config reloads); the learner does not on its own.
    retrainEvery: 0,
    pool,
  });
}
