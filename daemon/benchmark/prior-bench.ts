// Leave-one-dataset-out priors for the benchmark: the prior retrained now from the shared eval
// data's licence-compatible files, without the file being evaluated (so its rows are never seen,
// not even for the abilities of its models).
import type { PriorArtifact } from '../core/learned/prior';
import { loadPriorDataset, PRIOR_TRAINING_FILES, trainPrior } from './prior-train';

export function trainPriorWithout(dataDir: string, leaveOut: readonly string[]): PriorArtifact {
  const files = PRIOR_TRAINING_FILES.filter((f) => !leaveOut.includes(f.file));
  const datasets = files.map((f) => loadPriorDataset(dataDir, f.file, f.licence));
  return trainPrior(datasets).artifact;
}
