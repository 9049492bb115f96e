// The rows both online-from-the-prior harnesses replay (online-tune.ts, online-paired.ts): RouteLLM
// MMLU's prompts scored by gpt-4 and Mixtral, with their USE vectors, text features and the logits
// of a prior trained without MMLU (cached in `cacheDir`: training it takes ~30 s).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { trainPriorWithout } from '../../daemon/benchmark/prior-bench';
import { textFeatures, type TextFeatures } from '../../daemon/core/learned/features';
import { PoolPrior } from '../../daemon/core/learned/pool-prior';
import type { PriorArtifact } from '../../daemon/core/learned/prior';
import { staticPriorLogits } from '../../daemon/core/learned/prior-offsets';
import { embeddedCompleteRows } from '../multi-rows';

export const DATA = '/work/shared/eval-data';
export const FILE = 'routellm_mmlu_responses.csv';
export const STRONG = 'gpt-4-1106-preview';
export const WEAK = 'mistralai/Mixtral-8x7B-Instruct-v0.1';

export interface OnlineRow {
  uid: string;
  prompt: string;
  key: string;
  vector: Float32Array;
  features: TextFeatures;
  scores: [number, number];
  logits: [number, number];
}

export async function onlineRows(cacheDir: string): Promise<{ pool: PoolPrior; rows: OnlineRow[] }> {
  mkdirSync(cacheDir, { recursive: true });
  const priorFile = path.join(cacheDir, 'prior-without-mmlu.json');
  let artifact: PriorArtifact;
  if (existsSync(priorFile)) artifact = JSON.parse(readFileSync(priorFile, 'utf8')) as PriorArtifact;
  else {
    artifact = trainPriorWithout(DATA, [FILE]);
    writeFileSync(priorFile, JSON.stringify(artifact));
  }
  const pool = new PoolPrior(artifact);
  const { rows, vectors, embedder, disk } = await embeddedCompleteRows(path.join(DATA, FILE), [STRONG, WEAK]);
  disk.close();
  const configs = [STRONG, WEAK].map((m) => ({ name: m, model: m, cost_per_output_token: 0 }));
  return {
    pool,
    rows: rows.map((r, i) => {
      const features = textFeatures(r.prompt);
      const logits = staticPriorLogits(pool, features, vectors[i]!, configs);
      return {
        uid: r.uid,
        prompt: r.prompt,
        key: embedder.keyOf(r.prompt),
        vector: vectors[i]!,
        features,
        scores: [r.scores[0]!, r.scores[1]!],
        logits: [logits[0]!, logits[1]!],
      };
    }),
  };
}
