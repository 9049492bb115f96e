// Synthetic training files for the prior's unit tests: rows as the prior's loader makes them
// (features read from the prompt, raw = mapped scores, no costs), folds by row number.
import type { PriorDataset, PriorRow } from '../../daemon/benchmark/prior-train';
import { textFeatures } from '../../daemon/core/learned/features';

export function priorRow(uid: string, prompt: string, models: string[], scores: number[], fold: number): PriorRow {
  return { uid, prompt, features: textFeatures(prompt), models, scores, raw: scores, costs: null, fold };
}

export function priorDataset(file: string, rows: PriorRow[]): PriorDataset {
  return { file, licence: 'MIT (test)', table: null as unknown as PriorDataset['table'], rows };
}
