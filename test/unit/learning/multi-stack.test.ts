import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../../daemon/benchmark/folds';
import { textFeatures } from '../../../daemon/core/learned/features';
import { PoolIrt } from '../../../daemon/core/learned/multi-irt';
import { BestModelSoftmax } from '../../../scripts/research/multi-softmax';
import {
  cheapestWithin,
  DEFAULT_STACK_FIT,
  fitEpsilon,
  fitStack,
  stackQualities,
  type StackRow,
} from '../../../daemon/core/learned/multi-stack';

// Three models; the truth: model 0 is right on topic A, model 1 on topic B, model 2 (dear) on 70 % of
// both. The kNN view knows the topics; the linear view is noise; the IRT view says "model 2 is best".
function rows(n: number, seed: number): StackRow[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const topicB = i % 2 === 1;
    const scores = [topicB ? 0 : 1, topicB ? 1 : 0, random() < 0.7 ? 1 : 0];
    return {
      parts: {
        knn: [topicB ? 0.2 : 0.9, topicB ? 0.9 : 0.2, 0.85],
        linear: [random(), random(), random()],
        irt: [0.5, 0.5, 0.8],
      },
      scores,
      costs: [1, 1, 10],
    };
  });
}

void test('fitStack picks the informative view: routed quality of the fitted weights beats each other view', () => {
  const train = rows(200, 1);
  const w = fitStack(train);
  assert.ok(w.knn > w.linear, JSON.stringify(w));
  const test = rows(200, 2);
  const routed = (weights: typeof w) =>
    test.reduce((s, r) => {
      const q = stackQualities(r.parts, weights);
      return s + r.scores[q.indexOf(Math.max(...q))]!;
    }, 0) / test.length;
  const zero = [0, 0, 0];
  assert.equal(routed(w), 1);
  assert.ok(routed({ knn: 0, linear: 1, irt: 0, bias: zero }) < 1);
});

void test('cheapestWithin takes the cheapest model within ε of the best predicted', () => {
  assert.equal(cheapestWithin([0.9, 0.85, 0.95], [1, 1, 10], 0), 2);
  assert.equal(cheapestWithin([0.9, 0.85, 0.95], [1, 1, 10], 0.06), 0);
  assert.equal(cheapestWithin([0.9, 0.85, 0.95], [2, 1, 10], 0.1), 1);
});

void test('fitEpsilon keeps the target quality at the lowest cost it can', () => {
  const train = rows(200, 3);
  // Predictions that rank the dear model first (0.92) and each topic's cheap expert 0.02 behind.
  const predicted = train.map((r) => r.parts.knn.map((q, m) => (m === 2 ? 0.92 : q)));
  // Routed quality 1 needs each topic at its cheap expert: ε ≥ 0.02, at cost 1 per row.
  const choice = fitEpsilon(train, predicted, 1);
  assert.equal(choice.quality, 1);
  assert.equal(choice.cost, 1);
  assert.ok(choice.epsilon >= 0.02 && choice.epsilon < 0.7, String(choice.epsilon));
  assert.ok(fitEpsilon(train, predicted, 0.5).cost <= 1);
  // A target nothing reaches: ε 0 (argmax of the prediction), flagged by NaN figures.
  assert.ok(Number.isNaN(fitEpsilon(train, predicted, 1.1).quality));
});

void test('PoolIrt and BestModelSoftmax learn which model answers which kind of prompt', () => {
  const prompts = Array.from({ length: 240 }, (_, i) => {
    const topicB = i % 2 === 1;
    const vector = Float32Array.from(topicB ? [0, 1, 0, 0] : [1, 0, 0, 0]);
    const text = topicB ? `Compute the integral number ${i}` : `Name the capital city number ${i}`;
    return { vector, features: textFeatures(text), scores: [topicB ? 0 : 1, topicB ? 1 : 0, 0.5] };
  });
  const irt = PoolIrt.fit(prompts, 3, 4, seededRandom(5), { epochs: 30 });
  const softmax = BestModelSoftmax.fit(prompts, 3, 4, seededRandom(5));
  for (const [i, best] of [
    [0, 0],
    [1, 1],
  ] as const) {
    const p = prompts[i]!;
    const q = irt.predict(p.features, p.vector);
    assert.equal(q.indexOf(Math.max(...q)), best, `IRT ${q.join(', ')}`);
    const s = softmax.predict(p.vector, p.features);
    assert.equal(s.indexOf(Math.max(...s)), best, `softmax ${s.join(', ')}`);
  }
});

void test('fitStack routes everything to the best single model when no view beats it on the fitting rows', () => {
  const random = seededRandom(9);
  // Model 1 is right on 80 % of rows, model 0 on 60 %, independently of every view (all noise).
  const noise: StackRow[] = Array.from({ length: 300 }, () => ({
    parts: { knn: [random(), random()], linear: [random(), random()], irt: [random(), random()] },
    scores: [random() < 0.6 ? 1 : 0, random() < 0.8 ? 1 : 0],
  }));
  const w = fitStack(noise);
  for (const r of noise) {
    const q = stackQualities(r.parts, w);
    assert.equal(q.indexOf(Math.max(...q)), 1);
  }
});

void test('fitStack without the IRT view keeps its weight at 0 and still finds the informative view', () => {
  const w = fitStack(rows(200, 1), { ...DEFAULT_STACK_FIT, irt: false });
  assert.equal(w.irt, 0);
  assert.ok(w.knn > w.linear, JSON.stringify(w));
  assert.ok(Math.abs(w.knn + w.linear - 1) < 1e-9);
});
