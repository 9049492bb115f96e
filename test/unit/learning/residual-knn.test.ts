// How the store's kNN corrects the prior: it reads a wider neighbourhood than the plain kNN view
// (residualK), and the cross-fit may hand the whole correction to it when it predicts held-out
// outcomes better than the heads do.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../../daemon/benchmark/folds';
import { textFeatures } from '../../../daemon/core/learned/features';
import { DEFAULT_QUALITY_MODEL, logit, QualityModel } from '../../../daemon/core/learned/quality-model';

const FEATURES = textFeatures('What is the answer?');

function unit(values: number[]): Float32Array {
  const norm = Math.hypot(...values);
  return Float32Array.from(values.map((v) => v / norm));
}

void test('the residual kNN reads residualK neighbours while the plain kNN view keeps its k', () => {
  const make = (residualK?: number) => {
    const model = new QualityModel(4, {
      ...DEFAULT_QUALITY_MODEL,
      k: 5,
      residualK,
      priorPseudoCount: 5,
      calibratePrior: 0,
      fixedCorrectionShare: 1,
      knnShareWithPrior: 1,
    });
    // Five prompts right next to the query agree with the prior (.6); twenty a little further
    // away show the model answers prompts of this kind better than the prior thinks.
    for (let i = 0; i < 5; i++)
      model.add(`near ${i}`, unit([1, 0.01 * (i + 1), 0, 0]), FEATURES, 'a', 0.6, 1, logit(0.6));
    for (let i = 0; i < 20; i++)
      model.add(`far ${i}`, unit([1, 0.3, 0.01 * (i + 1), 0]), FEATURES, 'a', 1, 1, logit(0.6));
    return model;
  };
  const query = unit([1, 0, 0, 0]);
  const [narrow] = make().predict(query, FEATURES, ['a'], [0.6]).models;
  const [wide] = make(25).predict(query, FEATURES, ['a'], [0.6]).models;
  assert.ok(Math.abs(narrow!.quality - 0.6) < 0.01, `k = 5 reads only the close prompts: ${narrow!.quality}`);
  assert.ok(wide!.quality > 0.8, `residualK = 25 reads the wider neighbourhood: ${wide!.quality}`);
  // The plain view (evidence, neighbour count: confidence, explanations) still reads k = 5.
  assert.equal(wide!.neighbours, 5);
  assert.equal(wide!.neighbours, narrow!.neighbours);
  assert.ok(Math.abs(wide!.evidence - narrow!.evidence) < 1e-9);
});

void test('the cross-fit hands the whole correction to the kNN when the heads cannot follow the outcomes', async () => {
  // Four topics at ±e1 and ±e2: the model answers the e1 topics and fails the e2 ones, a pattern no
  // linear head over the embedding can draw (it would need w·e1 > 0 and w·(−e1) > 0), while each
  // prompt's neighbours show it. The prior says .6 everywhere.
  const model = new QualityModel(4, DEFAULT_QUALITY_MODEL);
  const random = seededRandom(7);
  const topics = [
    [1, 0],
    [-1, 0],
    [0, 1],
    [0, -1],
  ];
  for (let i = 0; i < 400; i++) {
    const t = i % 4;
    const [x, y] = topics[t]!;
    const vector = unit([x!, y!, 0.05 * (random() - 0.5), 0.05 * (random() - 0.5)]);
    model.add(`prompt ${i}`, vector, FEATURES, 'a', t < 2 ? 1 : 0, 1, logit(0.6));
  }
  await model.refit(seededRandom(1), undefined, 'exact');
  const correction = model.correction();
  assert.equal(correction.knnShare, 1, `kNN share ${correction.knnShare}`);
  assert.ok(correction.alpha > 0.9, `α ${correction.alpha}`);
  const [onE1] = model.predict(unit([-1, 0, 0, 0.01]), FEATURES, ['a'], [0.6]).models;
  const [onE2] = model.predict(unit([0, -1, 0.01, 0]), FEATURES, ['a'], [0.6]).models;
  assert.ok(onE1!.quality - onE2!.quality > 0.6, `e1 ${onE1!.quality}, e2 ${onE2!.quality}`);
});
