// Research: the cost of one prediction with the router prior (what `auto` pays per new prompt) for
// the residual kNN's settings, side by side on one synthetic store (512-d unit vectors, two models,
// outcomes with prior logits), searched through the cells a daemon's refit builds.
//   node --import tsx scripts/research/online-predict-cost.ts [--outcomes 20000] [--queries 300]
import { parseArgs } from 'node:util';
import { seededRandom } from '../../daemon/benchmark/folds';
import { textFeatures } from '../../daemon/core/learned/features';
import { DEFAULT_QUALITY_MODEL, QualityModel, type QualityModelOptions } from '../../daemon/core/learned/quality-model';

const DIMS = 512;

function unitVector(random: () => number): Float32Array {
  const v = Float32Array.from({ length: DIMS }, () => random() - 0.5);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { outcomes: { type: 'string', default: '20000' }, queries: { type: 'string', default: '300' } },
  });
  const random = seededRandom(3);
  const features = textFeatures('What is the capital of France?');
  const before: QualityModelOptions = {
    ...DEFAULT_QUALITY_MODEL,
    residualK: 200,
    residualTemperature: undefined,
    sharedResidual: undefined,
  };
  const settings: [string, QualityModelOptions][] = [
    ['before (200 neighbours, no split)', before],
    ['split over 200 neighbours at 0.15', { ...DEFAULT_QUALITY_MODEL, residualK: 200, residualTemperature: undefined }],
    ['shipped (500 neighbours at 0.3, split)', DEFAULT_QUALITY_MODEL],
  ];
  const vectors = Array.from({ length: Number(values.outcomes) }, () => unitVector(random));
  const queries = Array.from({ length: Number(values.queries) }, () => unitVector(random));
  const models = ['strong', 'weak'];
  const settled: [string, QualityModel][] = [];
  for (const [name, options] of settings) {
    const model = new QualityModel(DIMS, options);
    vectors.forEach((v, i) => {
      const m = i % 3 === 0 ? 1 : 0;
      model.add(`p${i}`, v, features, models[m]!, random() < 0.6 ? 1 : 0, 1, m === 0 ? 0.8 : -0.2);
    });
    await model.refit(seededRandom(1));
    settled.push([name, model]);
  }
  // Timed in alternating rounds after a warm-up round, so JIT warm-up and a busy machine weigh on
  // both settings alike.
  const totals = new Map<string, number>();
  for (let round = 0; round < 4; round++)
    for (const [name, model] of round % 2 ? [...settled].reverse() : settled) {
      const started = process.hrtime.bigint();
      for (const q of queries) model.predict(q, features, models, [0.69, 0.45]);
      if (round > 0) totals.set(name, (totals.get(name) ?? 0) + Number(process.hrtime.bigint() - started) / 1e6);
    }
  for (const [name, ms] of totals) console.log(`${name}: ${(ms / 3 / queries.length).toFixed(3)} ms per prediction`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
