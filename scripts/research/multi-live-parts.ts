// Research (not shipped): the live multi-model stack's views on one outer fold, dumped for trying
// other ways to combine them without refitting the views each time. The training rows (the other
// hash folds of 5, at most DEFAULT_LIVE_STACK.maxPrompts of them sampled as --live-stack does)
// give the out-of-fold parts the live stack chooses its weights on; the test fold's rows get the
// parts of views trained on all of them. Optionally the pool-fitted IRT view too (--irt).
//   node --import tsx scripts/research/multi-live-parts.ts DATA.csv --fold 0 [--irt] [--max N] [--recent] --out F.json
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { embeddedCompleteRows } from '../multi-rows';
import { foldOf, seededRandom } from '../../daemon/benchmark/folds';
import { textFeatures } from '../../daemon/core/learned/features';
import { PoolIrt } from '../../daemon/core/learned/multi-irt';
import {
  DEFAULT_LIVE_STACK,
  partsOf,
  stackPrompts,
  stackOutOfFold,
  trainViews,
  type StackSample,
} from '../../daemon/core/learned/multi-stack-live';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      fold: { type: 'string' },
      irt: { type: 'boolean' },
      max: { type: 'string' },
      recent: { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  const file = positionals[0];
  if (!file || !values.out) throw new Error('usage: multi-live-parts.ts DATA.csv --fold F [--irt] --out F.json');
  const testFold = Number(values.fold ?? 0);
  const { table, rows, vectors, embedder, disk } = await embeddedCompleteRows(file);
  const scale = (s: number) => (table.max > table.min ? (s - table.min) / (table.max - table.min) : s);
  const samples: StackSample[] = rows.map((row, i) => ({
    key: embedder.keyOf(row.prompt),
    vector: vectors[i]!,
    features: textFeatures(row.prompt),
    scores: row.scores.map((s) => scale(s!)),
  }));
  const fold = rows.map((r) => foldOf(r.prompt, 5));
  const random = seededRandom(1 + testFold);
  const outside = samples.map((_, i) => i).filter((i) => fold[i] !== testFold);
  const max = Number(values.max ?? DEFAULT_LIVE_STACK.maxPrompts);
  // --recent: the live stack's choice before the uniform sample (the last `max` in stored order).
  const trainIdx = values.recent ? outside.slice(-max) : stackPrompts(outside, max, random);
  const testIdx = samples.map((_, i) => i).filter((i) => fold[i] === testFold);
  const train = trainIdx.map((i) => samples[i]!);
  const dims = vectors[0]!.length;
  const started = Date.now();
  const { projection, projected, oof, fold: inner } = await stackOutOfFold(train, table.models, dims, random);
  const viewDims = projection?.to ?? dims;
  const views = await trainViews(projected, table.models, viewDims, random);
  const test = testIdx.map((i) => {
    const s = samples[i]!;
    const v = projection ? projection.apply(s.vector) : s.vector;
    return { v, s, parts: partsOf(views, v, s.features, table.models) };
  });
  let oofIrt: number[][] | null = null;
  let testIrt: number[][] | null = null;
  if (values.irt) {
    const irtOf = (subset: readonly StackSample[]) =>
      PoolIrt.fit(
        subset.map((s) => ({ vector: s.vector, features: s.features, scores: s.scores })),
        table.models.length,
        viewDims,
        seededRandom(7),
      );
    oofIrt = new Array<number[]>(projected.length);
    for (let g = 0; g < DEFAULT_LIVE_STACK.innerFolds; g++) {
      const irt = irtOf(projected.filter((_, i) => inner[i] !== g));
      projected.forEach((s, i) => {
        if (inner[i] === g) oofIrt![i] = irt.predict(s.features, s.vector);
      });
    }
    const irt = irtOf(projected);
    testIrt = test.map((t) => irt.predict(t.s.features, t.v));
  }
  const costsOf = (i: number) => rows[i]!.costs?.map((c) => c ?? 0) ?? null;
  writeFileSync(
    values.out,
    JSON.stringify({
      file: table.name,
      models: table.models,
      test_fold: testFold,
      seconds: Math.round((Date.now() - started) / 1000),
      oof: oof.map((r, j) => ({
        knn: r.parts.knn,
        linear: r.parts.linear,
        irt: oofIrt?.[j] ?? null,
        scores: r.scores,
        costs: costsOf(trainIdx[j]!),
      })),
      test: test.map((t, j) => ({
        knn: t.parts.knn,
        linear: t.parts.linear,
        irt: testIrt?.[j] ?? null,
        scores: t.s.scores,
        costs: costsOf(testIdx[j]!),
      })),
    }),
  );
  disk.close();
}
void main();
