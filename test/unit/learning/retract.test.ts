// A rating the user replaced is taken back out of the quality model: its model's level, the kNN
// stats of its prompt and the live count lose it; the next refit fits without it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textFeatures } from '../../../daemon/core/learned/features';
import { QualityModel } from '../../../daemon/core/learned/quality-model';

void test('a retracted outcome no longer counts in the level, the neighbours or the count', () => {
  const dims = 4;
  const v = new Float32Array([1, 0, 0, 0]);
  const f = textFeatures('What is a closure?');
  const model = new QualityModel(dims);
  const first = model.add('q', v, f, 'a', 1);
  model.add('q', v, f, 'a', 0);
  model.add('other', new Float32Array([0, 1, 0, 0]), textFeatures('Name a prime'), 'a', 1);
  assert.equal(model.meanOf('a'), 2 / 3);
  model.retract(first);
  assert.equal(model.meanOf('a'), 1 / 2);
  assert.equal(model.outcomesOf('a'), 2);
  assert.equal(model.liveSize, 2);
  // The prompt's neighbours now hold only the 0 for model a.
  const knn = model.predict(v, f, ['a']).models[0]!;
  assert.ok(knn.knn < 0.5, `kNN ${knn.knn}`);
  // Retracting twice changes nothing; the last outcome of a point leaves no stats behind.
  model.retract(first);
  assert.equal(model.liveSize, 2);
  model.retract(1);
  assert.equal(model.meanOf('a'), 1);
  assert.ok(Number.isFinite(model.predict(v, f, ['a']).models[0]!.knn));
});
