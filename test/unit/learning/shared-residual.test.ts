// With only the chosen model's score revealed, most of a region's outcomes are one model's. What
// they show about the prompts (easier or harder than the prior says) holds for every model, so the
// residual kNN moves all models by a shared logit shift and only each model's own departure from it
// per model (sharedResidual). Without the split the revealed model alone moved, and strong − weak
// (what a two-model pool routes on) grew where prompts were merely easier than the prior thought.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textFeatures } from '../../../daemon/core/learned/features';
import { DEFAULT_QUALITY_MODEL, logit, QualityModel } from '../../../daemon/core/learned/quality-model';

const FEATURES = textFeatures('Which of these is a prime number?');

function unit(values: number[]): Float32Array {
  const norm = Math.hypot(...values);
  return Float32Array.from(values.map((v) => v / norm));
}

/** The prior says .6 for strong and .4 for weak everywhere; outcomes near e1 only. */
function storeWith(sharedResidual: { shared: number; perModel: number } | undefined, weakScore: number) {
  const model = new QualityModel(4, {
    ...DEFAULT_QUALITY_MODEL,
    sharedResidual,
    calibratePrior: 0,
    fixedCorrectionShare: 1,
    knnShareWithPrior: 1,
  });
  // Thirty strong answers, all good: this region is easier than the prior thinks.
  for (let i = 0; i < 30; i++)
    model.add(`strong ${i}`, unit([1, 0.02 * (i + 1), 0, 0]), FEATURES, 'strong', 1, 1, logit(0.6));
  // Ten weak answers of the given score.
  for (let i = 0; i < 10; i++)
    model.add(`weak ${i}`, unit([1, 0, 0.02 * (i + 1), 0]), FEATURES, 'weak', weakScore, 1, logit(0.4));
  const [strong, weak] = model.predict(unit([1, 0, 0, 0.01]), FEATURES, ['strong', 'weak'], [0.6, 0.4]).models;
  return { strong: strong!.quality, weak: weak!.quality };
}

void test("one model's outcomes in a region also lift the model it hides, so strong − weak keeps the prior's gap", () => {
  const split = storeWith(DEFAULT_QUALITY_MODEL.sharedResidual ?? { shared: 20, perModel: 20 }, 1);
  const perModel = storeWith(undefined, 1);
  // Both models answered everything here: the prompts are easy, for both.
  assert.ok(split.weak > 0.6, `the weak model rises with the shared shift: ${split.weak}`);
  assert.ok(split.strong > 0.75, `the strong model rises: ${split.strong}`);
  const gap = (q: { strong: number; weak: number }) => q.strong - q.weak;
  assert.ok(gap(split) < gap(perModel) - 0.05, `gap with the split ${gap(split)}, without ${gap(perModel)}`);
});

void test("a model's own departure from the shared shift still shows: the weak model failing where the strong succeeds", () => {
  const q = storeWith(DEFAULT_QUALITY_MODEL.sharedResidual ?? { shared: 20, perModel: 20 }, 0);
  assert.ok(q.weak < 0.4, `the weak model's failures bring it below the prior: ${q.weak}`);
  assert.ok(q.strong - q.weak > 0.3, `strong ${q.strong}, weak ${q.weak}`);
});
