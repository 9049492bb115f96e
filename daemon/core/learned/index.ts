// Pure learning strategies: no I/O, fed by the Learner (daemon/services/learner.ts).
export {
  FEATURE_COUNT,
  FEATURE_NAMES,
  LEXICAL_DIMS,
  promptFeatureVector,
  textFeatures,
  type TextFeatures,
} from './features';
export { routingFocus } from './focus';
export { DEFAULT_LINEAR, LogisticHeads, type LinearOptions } from './linear';
export { PromptIndex, SCAN_LIMIT } from './neighbours';
export { strongWinProbability, thompsonPick, twoModelDecision, utilities, type ThresholdRule } from './policy';
export {
  DEFAULT_QUALITY_MODEL,
  QualityModel,
  type ModelPrediction,
  type Prediction,
  type QualityModelOptions,
} from './quality-model';
export {
  DEFAULT_LEARNED_OPTIONS,
  LearnedStrategy,
  SimilarityStrategy,
  type LearnedStrategyOptions,
} from './strategies';
export {
  canonicalModelName,
  OnlinePrior,
  RouterPrior,
  type Placement,
  type PriorArtifact,
  type PriorModelRow,
} from './prior';
export { decideFromPrior, difficultyWord, PoolPrior, type PriorView } from './pool-prior';
export { PUBLIC_QUALITY, publicQualityOf } from './public-quality';
