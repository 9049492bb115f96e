// Issue 10, online from the prior: with one model's rating per prompt (live ratings) the learner
// mixes the store alone's estimate into the prior's by evidence, n / (n + storeBlendHalfAt), instead
// of waiting for 5,000 outcomes to switch to it; an imported score table (every prompt scored for
// both models) keeps the learner as it was.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../../daemon/benchmark/folds';
import { textFeatures } from '../../../daemon/core/learned/features';
import {
  DEFAULT_QUALITY_MODEL,
  logit,
  QualityModel,
  type QualityModelOptions,
} from '../../../daemon/core/learned/quality-model';

const MODELS = ['strong', 'weak'];
/** The prior thinks both models alike everywhere. */
const PRIOR = [0.6, 0.6];
/** The user's traffic: on one kind of prompt (i % 3 = 0) the weak model fails, elsewhere both do well. */
function truth(i: number): number[] {
  return i % 3 === 0 ? [0.9, 0.1] : [0.8, 0.8];
}

function prompt(i: number) {
  const text = `Summarise report number ${i} for the board`;
  const v = Float32Array.from([1, (i % 7) / 7, (i % 3) / 3, (i % 5) / 5]);
  return { text, vector: v, features: textFeatures(text) };
}

async function learner(
  options: QualityModelOptions,
  outcomes: number,
  withPrior: boolean,
  /** Every prompt scored for both models (an imported score table): outcomes / 2 prompts. */
  complete = false,
): Promise<QualityModel> {
  const model = new QualityModel(4, options);
  const random = seededRandom(3);
  for (let i = 0; i < (complete ? outcomes / 2 : outcomes); i++) {
    const p = prompt(i);
    const one = random() < 0.5 ? 0 : 1;
    for (const m of complete ? [0, 1] : [one]) {
      const thumbs = Number(random() < truth(i)[m]!);
      model.add(p.text, p.vector, p.features, MODELS[m]!, thumbs, 1, withPrior ? logit(PRIOR[m]!) : undefined);
    }
  }
  await model.refit(seededRandom(1), undefined, 'exact');
  return model;
}

function predicted(model: QualityModel, withPrior: boolean): number[] {
  const p = prompt(300_000);
  return model.predict(p.vector, p.features, MODELS, withPrior ? PRIOR : undefined).models.map((m) => m.quality);
}

const WITHOUT_BLEND: QualityModelOptions = { ...DEFAULT_QUALITY_MODEL, storeBlendHalfAt: undefined };

void test('one rating per prompt: the store alone is mixed in by the outcomes, n / (n + half)', async () => {
  assert.ok(DEFAULT_QUALITY_MODEL.storeBlendHalfAt !== undefined, 'the shipped learner blends');
  // Half at 600 (the shipped half is larger) so the store alone's share is plain to see: 600
  // ratings, far under the 5,000 at which the store alone could replace the prior outright.
  const half = 600;
  const blended = await learner({ ...DEFAULT_QUALITY_MODEL, storeBlendHalfAt: half }, 600, true);
  assert.equal(blended.usesStoreAlone, false);
  const fromPrior = predicted(await learner(WITHOUT_BLEND, 600, true), true);
  const alone = predicted(await learner(DEFAULT_QUALITY_MODEL, 600, false), false);
  const w = 600 / (600 + half);
  const q = predicted(blended, true);
  console.log(q, fromPrior, alone);
  q.forEach((quality, m) => {
    const expected = (1 - w) * fromPrior[m]! + w * alone[m]!;
    // The store alone's heads inside the blend are fitted from other random draws than `alone`'s.
    assert.ok(Math.abs(quality - expected) < 0.03, `model ${m}: ${quality}, expected ${expected}`);
  });
  // Where the weak model fails, the gap the router ranks prompts by moves toward the store's.
  const gap = (p: number[]) => p[0]! - p[1]!;
  assert.ok(gap(q) > gap(fromPrior) + 0.06, `gap ${gap(q)} against the prior path's ${gap(fromPrior)}`);
});

void test('prompts scored for both models (a score table): no blend, the learner as before', async () => {
  // 400 outcomes on 200 prompts: under the 500 at which a table's store alone is tried.
  const table = await learner(DEFAULT_QUALITY_MODEL, 400, true, true);
  const before = await learner(WITHOUT_BLEND, 400, true, true);
  assert.deepEqual(predicted(table, true), predicted(before, true));
});

void test('a handful of ratings: the prior path alone (no blend below 20 outcomes)', async () => {
  const few = await learner(DEFAULT_QUALITY_MODEL, 12, true);
  const before = await learner(WITHOUT_BLEND, 12, true);
  assert.deepEqual(predicted(few, true), predicted(before, true));
});
