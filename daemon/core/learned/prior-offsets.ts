// The router prior's logit per model for one prompt, as shipped (no online changes): the offset the
// QualityModel's heads and kNN learn corrections to. It has to be the same function of the prompt
// when an outcome is stored and when a prompt is routed later, so it never moves with the
// OnlinePrior's updates (those would shift the base under corrections already learned).
import type { ModelConfig } from '../../../shared/config';
import type { TextFeatures } from './features';
import type { PoolPrior } from './pool-prior';
import { logitOf } from './prior';

export function staticPriorLogits(
  pool: PoolPrior,
  features: TextFeatures,
  embedding: Float32Array | null,
  configs: readonly Pick<ModelConfig, 'name' | 'model' | 'cost_per_output_token' | 'quality'>[],
): number[] {
  const dims = pool.prior.embeddingDims;
  const vector = dims > 0 && embedding && embedding.length === dims ? embedding : null;
  const profile = pool.prior.profile(pool.prior.input(features, vector));
  return configs.map((c) => logitOf(pool.placementOf(c).row, profile));
}
