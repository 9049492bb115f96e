// Research (not shipped): does the embedding of the whole prompt tell the multi-model pools' tasks
// apart better than the routing focus (core/learned/focus.ts) the router embeds? Issue 10 quotes
// plain kNN over whole-prompt embeddings (k = 50) at +4.4 points on LLMRouter's kept-aside rows.
// Plain kNN (cosine, k neighbours, mean score per model, argmax) on hash folds of 5, each scored
// fold trained on the others, once with the focus's USE vectors and once with the whole prompt's.
//   node --import tsx scripts/research/multi-whole-prompt.ts DATA.csv [--k 50] [--folds 0]
// LLMRouter, hash fold 0 (859 rows, 573 of the file's prompts longer than the focus), k = 50: focus
// +2.10 points over the best single model, whole prompt +2.21 (one row's difference): not pursued.
import { parseArgs } from 'node:util';
import { embeddedCompleteRows } from '../multi-rows';
import { foldOf } from '../../daemon/benchmark/folds';
import { createEmbedder } from '../../daemon/embeddings/index';
import { defaultCacheDir } from '../../daemon/benchmark/cache';
import path from 'node:path';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { k: { type: 'string' }, folds: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file) throw new Error('usage: multi-whole-prompt.ts DATA.csv [--k 50] [--folds 0,1]');
  const k = Number(values.k ?? 50);
  const scoredFolds = (values.folds ?? '0').split(',').map(Number);
  const { table, rows, vectors, disk } = await embeddedCompleteRows(file);
  const inner = createEmbedder(undefined, { cacheDir: path.join(defaultCacheDir(), 'models') });
  const whole = [...vectors];
  const long = rows.map((r, i) => i).filter((i) => rows[i]!.prompt.trim() !== rows[i]!.prompt.trim().slice(0, 600));
  for (let j = 0; j < long.length; j += 16) {
    const batch = long.slice(j, j + 16);
    const out = await inner.embed(batch.map((i) => rows[i]!.prompt));
    batch.forEach((i, b) => (whole[i] = out[b]!));
    process.stderr.write(`\rwhole prompts embedded ${Math.min(j + 16, long.length)}/${long.length}`);
  }
  process.stderr.write('\n');
  const fold = rows.map((r) => foldOf(r.prompt, 5));
  const M = table.models.length;
  const norm = (v: Float32Array) => {
    let s = 0;
    for (const x of v) s += x * x;
    const n = Math.sqrt(s) || 1;
    return Float32Array.from(v, (x) => x / n);
  };
  const evaluate = (vs: Float32Array[]) => {
    const unit = vs.map(norm);
    let routed = 0;
    let n = 0;
    const single = new Array<number>(M).fill(0);
    for (const f of scoredFolds) {
      const train = rows.map((_, i) => i).filter((i) => fold[i] !== f);
      for (let i = 0; i < rows.length; i++) {
        if (fold[i] !== f) continue;
        const sims = train.map((t) => {
          let s = 0;
          const a = unit[i]!;
          const b = unit[t]!;
          for (let d = 0; d < a.length; d++) s += a[d]! * b[d]!;
          return [s, t] as const;
        });
        sims.sort((a, b) => b[0] - a[0]);
        const mean = new Array<number>(M).fill(0);
        for (const [, t] of sims.slice(0, k)) rows[t]!.scores.forEach((s, m) => (mean[m] = mean[m]! + s!));
        const pick = mean.indexOf(Math.max(...mean));
        routed += rows[i]!.scores[pick]!;
        rows[i]!.scores.forEach((s, m) => (single[m] = single[m]! + s!));
        n++;
      }
    }
    const best = Math.max(...single) / n;
    return { rows: n, routed: routed / n, best_single: best, gain_points: (100 * (routed / n - best)).toFixed(2) };
  };
  console.log(
    JSON.stringify({
      file: table.name,
      k,
      folds: scoredFolds,
      long_prompts: long.length,
      focus: evaluate(vectors),
      whole: evaluate(whole),
    }),
  );
  disk.close();
}
void main();
