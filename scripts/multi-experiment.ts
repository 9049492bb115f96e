// Research harness for the multi-model stack (not shipped): writes, for a score table, every row's
// per-model predictions of each view (kNN at three settings, logistic heads, words only, the IRT
// fitted on the pool, the best-model softmax) from 5 outer folds, plus inner out-of-fold predictions
// of each outer training set, as JSON for offline analysis (which views to stack, on which split).
//   node --import tsx scripts/multi-experiment.ts DATA.csv OUT.json [INNER_FOLDS=3]
import { writeFileSync } from 'node:fs';
import { textFeatures } from '../daemon/core/learned/features';
import { DEFAULT_QUALITY_MODEL, QualityModel } from '../daemon/core/learned/quality-model';
import { fitPrior, DEFAULT_PRIOR_HYPER, predictFitted } from '../daemon/core/learned/prior-fit';
import { priorInput } from '../daemon/core/learned/prior';
import { BestModelSoftmax } from './research/multi-softmax';
import { embeddedCompleteRows } from './multi-rows';
import { foldOf, seededRandom } from '../daemon/benchmark/folds';

const [file, out, innerArg] = process.argv.slice(2);
const INNER = Number(innerArg ?? 3);
async function main() {
  const { table, rows, vectors, embedder, disk } = await embeddedCompleteRows(file!);
  const M = table.models.length;
  const feats = rows.map((r) => textFeatures(r.prompt));
  const keys = rows.map((r) => embedder.keyOf(r.prompt));
  const scale = (s: number) => (table.min >= 0 && table.max <= 1 ? s : (s - table.min) / (table.max - table.min));
  const outer = rows.map((r) => foldOf(r.prompt, 5));
  const inner = rows.map((r) => foldOf(`inner:${r.prompt}`, INNER));
  const dims = vectors[0]!.length;
  const xs = rows.map((_, i) => priorInput(feats[i]!, vectors[i]!, { embedding: dims }));

  const fitPredict = async (trainIdx: number[], testIdx: number[], seed: number) => {
    const model = new QualityModel(dims, DEFAULT_QUALITY_MODEL);
    for (const i of trainIdx)
      rows[i]!.scores.forEach((s, m) => model.add(keys[i]!, vectors[i]!, feats[i]!, table.models[m]!, scale(s!)));
    await model.refit(seededRandom(seed), undefined, 'exact');
    const irt = fitPrior(
      trainIdx.map((i) => ({
        x: xs[i]!,
        outcomes: rows[i]!.scores.map((s, m) => ({ model: m, score: scale(s!), weight: 1 })),
      })),
      M,
      dims + 11 + 1024,
      { ...DEFAULT_PRIOR_HYPER },
      seededRandom(seed),
    );
    const soft = BestModelSoftmax.fit(
      trainIdx.map((i) => ({
        vector: vectors[i]!,
        features: feats[i]!,
        scores: rows[i]!.scores.map((s) => scale(s!)),
      })),
      M,
      dims,
      seededRandom(seed),
    );
    const res: Record<number, Record<string, number[]>> = {};
    for (const i of testIdx) {
      const p = model.predict(vectors[i]!, feats[i]!, table.models).models;
      const w = model.predict(null, feats[i]!, table.models).models;
      res[i] = {
        knn: p.map((x) => x.knn),
        lin: p.map((x) => x.linear ?? x.knn),
        words: w.map((x) => x.quality),
        irt: predictFitted(irt, DEFAULT_PRIOR_HYPER.skills, dims + 11 + 1024, xs[i]!, irt.rows),
        soft: soft.predict(vectors[i]!, feats[i]!),
      };
      // kNN variants from the same neighbours (k 100 read, kernel widths and cut-offs varied).
      const near = model.index.search(vectors[i]!, 100);
      for (const [name, kk, T] of [
        ['knn20', 20, 0.1],
        ['knn100', 100, 0.3],
      ] as const) {
        const sums = new Float64Array(M);
        const ev = new Float64Array(M);
        near.slice(0, kk).forEach((n) => {
          const w = Math.exp((n.similarity - 1) / T);
          model.index.forEachStat(n.point, (m, sum, weight) => {
            const slot = table.models.indexOf(model.index.models[m]!);
            sums[slot] = sums[slot]! + (w * sum) / weight;
            ev[slot] = ev[slot]! + w;
          });
        });
        res[i][name] = table.models.map((mm, m) => (sums[m]! + (model.meanOf(mm) ?? 0.5)) / (ev[m]! + 1));
      }
    }
    return res;
  };
  const folds: Record<number, Record<string, number[]>>[] = [];
  for (let f = 0; f < 5; f++) {
    const trainIdx = rows.map((_, i) => i).filter((i) => outer[i] !== f);
    const testIdx = rows.map((_, i) => i).filter((i) => outer[i] === f);
    const all = await fitPredict(trainIdx, testIdx, 1 + f);
    for (let g = 0; g < INNER; g++) {
      const tr = trainIdx.filter((i) => inner[i] !== g);
      const te = trainIdx.filter((i) => inner[i] === g);
      Object.assign(all, await fitPredict(tr, te, 100 + 10 * f + g));
    }
    folds.push(all);
    console.error(`fold ${f} done`);
  }
  writeFileSync(
    out!,
    JSON.stringify({
      models: table.models,
      scores: rows.map((r) => r.scores),
      costs: rows.map((r) => r.costs),
      outer,
      folds: folds.map((f) => rows.map((_, i) => f[i]!)),
    }),
  );
  disk.close();
}
void main();
