// A refit runs in the daemon's background, between requests: it must hand the event loop back often.
// Its cross-fit predicts up to 1,000 held-out outcomes per half, each a search of the store (the
// costly part at 100k outcomes), so it yields every few dozen of them, not once per half.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../../daemon/benchmark/folds';
import { textFeatures } from '../../../daemon/core/learned/features';
import { DEFAULT_QUALITY_MODEL, logit, QualityModel } from '../../../daemon/core/learned/quality-model';

void test('the cross-fit of a refit yields to the event loop every few dozen store searches', async () => {
  const model = new QualityModel(8, DEFAULT_QUALITY_MODEL);
  const random = seededRandom(5);
  for (let i = 0; i < 600; i++) {
    const vector = Float32Array.from({ length: 8 }, () => random() - 0.5);
    const text = `question ${i}`;
    const m = i % 2 === 0 ? 'strong' : 'weak';
    model.add(text, vector, textFeatures(text), m, random() < 0.7 ? 1 : 0, 1, logit(m === 'strong' ? 0.8 : 0.6));
  }
  let searches = 0;
  let sinceYield = 0;
  let mostBetweenYields = 0;
  const search = model.index.search.bind(model.index);
  model.index.search = (...args: Parameters<typeof search>) => {
    searches++;
    sinceYield++;
    mostBetweenYields = Math.max(mostBetweenYields, sinceYield);
    return search(...args);
  };
  await model.refit(
    seededRandom(1),
    async () => {
      sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
    },
    'exact',
  );
  assert.ok(searches >= 500, `the cross-fit searched the store for its held-out outcomes (${searches})`);
  assert.ok(mostBetweenYields <= 50, `at most 50 searches between two yields, saw ${mostBetweenYields}`);
});
