// How the learned router combines the prior with the user's outcomes: the store learns a
// correction to the prior's estimate (kNN of residuals, heads with the prior's logit as offset),
// pulled toward it in proportion to how little evidence there is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../../daemon/benchmark/folds';
import { textFeatures } from '../../../daemon/core/learned/features';
import { DEFAULT_QUALITY_MODEL, logit, QualityModel } from '../../../daemon/core/learned/quality-model';

const MODELS = ['strong', 'weak'];
// The prior cannot tell the topics apart: strong .8, weak .6 everywhere.
const PRIOR = [0.8, 0.6];

function prompt(topicB: boolean, i: number) {
  const text = `${topicB ? 'Prove the lemma' : 'Name the capital'} number ${i}`;
  return { text, vector: Float32Array.from(topicB ? [0, 1, 0, 0] : [1, 0, 0, 0]), features: textFeatures(text) };
}

/** The user's experience: the weak model fails topic B and answers topic A; strong answers both. */
function score(model: number, topicB: boolean): number {
  return model === 0 || !topicB ? 1 : 0;
}

async function modelWith(ratings: number): Promise<QualityModel> {
  const model = new QualityModel(4, DEFAULT_QUALITY_MODEL);
  const random = seededRandom(3);
  for (let i = 0; i < ratings; i++) {
    const topicB = i % 2 === 1;
    const p = prompt(topicB, i);
    // One-sided, as live ratings are: only the model the prompt went to is scored.
    const m = random() < 0.5 ? 0 : 1;
    model.add(p.text, p.vector, p.features, MODELS[m]!, score(m, topicB), 1, logit(PRIOR[m]!));
  }
  await model.refit(seededRandom(1), undefined, 'exact');
  return model;
}

function gap(model: QualityModel, topicB: boolean): number {
  const p = prompt(topicB, 9999);
  const [s, w] = model.predict(p.vector, p.features, MODELS, PRIOR).models;
  return s!.quality - w!.quality;
}

void test('with no outcomes for a model its estimate is the prior; a few ratings move it a little, many decide', async () => {
  const empty = new QualityModel(4, DEFAULT_QUALITY_MODEL);
  const p = prompt(true, 1);
  const [s, w] = empty.predict(p.vector, p.features, MODELS, PRIOR).models;
  assert.ok(Math.abs(s!.quality - 0.8) < 1e-9 && Math.abs(w!.quality - 0.6) < 1e-9);
  assert.equal(s!.prior, 0.8);

  const few = await modelWith(6);
  // Six ratings: the prior still dominates (the gap stays near its .2 on both topics).
  for (const topicB of [false, true]) assert.ok(Math.abs(gap(few, topicB) - 0.2) < 0.15, `gap ${gap(few, topicB)}`);

  const many = await modelWith(2000);
  // Two thousand: the data's structure shows: the strong model matters far more on topic B than on A.
  const b = gap(many, true);
  const a = gap(many, false);
  assert.ok(b > 0.35 && b - a > 0.2, `topic B gap ${b}, topic A gap ${a}`);
});

void test('without priors the model predicts from the store alone, as before the prior existed', async () => {
  const model = new QualityModel(4, DEFAULT_QUALITY_MODEL);
  for (let i = 0; i < 200; i++) {
    const topicB = i % 2 === 1;
    const p = prompt(topicB, i);
    for (const m of [0, 1]) model.add(p.text, p.vector, p.features, MODELS[m]!, score(m, topicB));
  }
  await model.refit(seededRandom(1), undefined, 'exact');
  const p = prompt(true, 5000);
  const [s, w] = model.predict(p.vector, p.features, MODELS).models;
  assert.equal(s!.prior, undefined);
  assert.ok(s!.quality - w!.quality > 0.5);
});
