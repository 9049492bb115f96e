// The router prior's logit per model for one prompt, as shipped (no online changes): the offset the
// QualityModel's heads and kNN learn corrections to. It has to be the same function of the prompt
// when an outcome is stored and when a prompt is routed later, so it never moves with the
// OnlinePrior's updates (those would shift the base under corrections already learned).
import type { ModelConfig } from '../../../shared/config';
import type { TextFeatures } from './features';
import type { PoolPrior } from './pool-prior';
import { logitOf, type PriorModelRow, type PromptProfile } from './prior';

type PriorConfig = Pick<ModelConfig, 'name' | 'model' | 'cost_per_output_token' | 'quality'>;

export function staticPriorLogits(
  pool: PoolPrior,
  features: TextFeatures,
  embedding: Float32Array | null,
  configs: readonly PriorConfig[],
): number[] {
  return staticPriorView(pool, features, embedding, configs).logits;
}

/** The prior's logit and its member fits' spread (staticPriorSpreads) per model, from one profile. */
export function staticPriorView(
  pool: PoolPrior,
  features: TextFeatures,
  embedding: Float32Array | null,
  configs: readonly PriorConfig[],
): { logits: number[]; spreads: number[] } {
  const dims = pool.prior.embeddingDims;
  const vector = dims > 0 && embedding && embedding.length === dims ? embedding : null;
  const profile = pool.prior.profile(pool.prior.input(features, vector));
  const rows = configs.map((c) => pool.placementOf(c).row);
  return {
    logits: rows.map((row) => logitOf(row, profile)),
    spreads: rows.map((row) => memberSpread(pool, row, profile)),
  };
}

/**
 * How much the prior's member fits disagree about a model's logit for one prompt: the variance,
 * over the fits averaged into the prior (artifact hyper.members, hyper.skills latent skills each),
 * of each fit's own skill term M · θ_m,k · s_q,k (its ability and the shared difficulty and
 * discrimination terms are the same for every fit once merged). 0 for a prior of one fit. The
 * learner trusts nearby outcomes less where it is larger (QualityModelOptions.spreadPull).
 */
export function staticPriorSpreads(
  pool: PoolPrior,
  features: TextFeatures,
  embedding: Float32Array | null,
  configs: readonly PriorConfig[],
): number[] {
  return staticPriorView(pool, features, embedding, configs).spreads;
}

function memberSpread(pool: PoolPrior, row: PriorModelRow, profile: PromptProfile): number {
  const members = pool.prior.artifact.hyper.members ?? 1;
  const block = pool.prior.artifact.hyper.skills ?? 0;
  if (members < 2 || block <= 0 || members * block > pool.prior.skillCount) return 0;
  let sum = 0;
  let sum2 = 0;
  for (let k = 0; k < members; k++) {
    let t = 0;
    for (let j = k * block; j < (k + 1) * block; j++) t += (row.skills[j] ?? 0) * profile.skills[j]!;
    t *= members;
    sum += t;
    sum2 += t * t;
  }
  const mean = sum / members;
  return Math.max(0, sum2 / members - mean * mean);
}
