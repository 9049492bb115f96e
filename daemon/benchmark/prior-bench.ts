// Priors trained now for the benchmark: leave-one-dataset-out (the evaluated file is never seen,
// not even for the abilities of its models), or in-domain per test fold (the other files plus the
// evaluated file's training folds: the prior a product would ship after collecting data like the
// user's, scored on prompts it never saw).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PriorArtifact } from '../core/learned/prior';
import { loadPriorDataset, PRIOR_TRAINING_FILES, trainPrior, type PriorDataset, type PriorRow } from './prior-train';

export function trainPriorWithout(dataDir: string, leaveOut: readonly string[]): PriorArtifact {
  const files = PRIOR_TRAINING_FILES.filter((f) => !leaveOut.includes(f.file));
  const datasets = files.map((f) => loadPriorDataset(dataDir, f.file, f.licence));
  return trainPrior(datasets).artifact;
}

/** The licence-compatible files of `dataDir` other than the evaluated one, plus the evaluated file. */
export interface InDomainData {
  others: PriorDataset[];
  evaluated: PriorDataset;
}

/**
 * Loads once what every fold's in-domain prior trains from. The evaluated file is read from its own
 * path (it need not be one of the shipped prior's files); files missing from `dataDir` are skipped,
 * and the report's `prior_training` says what each fold's prior saw.
 */
export function loadInDomainData(dataDir: string, evaluatedFile: string): InDomainData {
  const name = path.basename(evaluatedFile);
  const others = PRIOR_TRAINING_FILES.filter((f) => f.file !== name && existsSync(path.join(dataDir, f.file))).map(
    (f) => loadPriorDataset(dataDir, f.file, f.licence),
  );
  const known = PRIOR_TRAINING_FILES.find((f) => f.file === name);
  const evaluated = loadPriorDataset(path.dirname(evaluatedFile), name, known?.licence ?? 'the evaluated file');
  return { others, evaluated };
}

/**
 * The prior for one test fold: the other files plus the evaluated file's rows for which `isTestRow`
 * is false. The evaluated file's test rows are never seen, not even through duplicates (folds are
 * by prompt hash).
 */
export function trainPriorOutsideFold(
  data: InDomainData,
  isTestRow: (row: PriorRow) => boolean,
  options: { seed?: number; members?: number } = {},
): PriorArtifact {
  return trainPrior([...data.others, data.evaluated], {
    seed: options.seed,
    ...(options.members !== undefined ? { hyper: { members: options.members } } : {}),
    exclude: (d, r) => d === data.evaluated && isTestRow(r),
  }).artifact;
}
