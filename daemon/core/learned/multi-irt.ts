// The router prior's item-response structure fitted on a pool's own outcomes, for multi-model
// pools: P(m answers q well) = σ(ability_m + θ_m · s_q − b_q), where the prompt side (skills s_q and
// difficulty b_q) is linear in the sentence embedding, the dense features and the hashed words —
// the shipped prior's form (prior.ts) with the embedding added, since the pool's rows have one.
// Every model of the pool shares the prompt side, so a model with few outcomes borrows the
// structure learned from the others.
import { FEATURE_COUNT, LEXICAL_DIMS, type TextFeatures } from './features';
import { DEFAULT_PRIOR_HYPER, fitPrior, predictFitted, type FittedPrior, type PriorHyper } from './prior-fit';
import { priorInput, type SparseInput } from './prior';

export interface IrtOutcome {
  vector: Float32Array;
  features: TextFeatures;
  /** Score 0..1 per model index, null when not observed. */
  scores: readonly (number | null)[];
}

export class PoolIrt {
  private constructor(
    private readonly fitted: FittedPrior,
    private readonly hyper: PriorHyper,
    readonly embeddingDims: number,
    readonly modelCount: number,
  ) {}

  static fit(
    rows: readonly IrtOutcome[],
    modelCount: number,
    embeddingDims: number,
    random: () => number,
    hyper: Partial<PriorHyper> = {},
  ): PoolIrt {
    const h = { ...DEFAULT_PRIOR_HYPER, ...hyper };
    const examples = rows.map((r) => ({
      x: priorInput(r.features, r.vector, { embedding: embeddingDims }),
      outcomes: r.scores.flatMap((s, model) => (s === null ? [] : [{ model, score: s, weight: 1 }])),
    }));
    const fitted = fitPrior(examples, modelCount, inputDims(embeddingDims), h, random);
    return new PoolIrt(fitted, h, embeddingDims, modelCount);
  }

  input(features: TextFeatures, vector: Float32Array | null): SparseInput {
    return priorInput(features, vector, { embedding: this.embeddingDims });
  }

  /** P(good) for every model index of the pool. */
  predict(features: TextFeatures, vector: Float32Array | null): number[] {
    return predictFitted(
      this.fitted,
      this.hyper.skills,
      inputDims(this.embeddingDims),
      this.input(features, vector),
      this.fitted.rows,
    );
  }
}

/** The prior's input: embedding, then the dense features and the hashed words (prior-train.ts). */
function inputDims(embeddingDims: number): number {
  return embeddingDims + FEATURE_COUNT + LEXICAL_DIMS;
}
