// A prior that ranks a pool's prompts well but sits off each model's level on this user's traffic
// (public data rates the models on other prompts): the learner re-centres each model by its mean
// residual, which keeps the prior's order of prompts, instead of trusting prompt-level corrections
// that only looked better on held-out squared error because they re-centred the model too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../../daemon/benchmark/folds';
import { textFeatures } from '../../../daemon/core/learned/features';
import { DEFAULT_QUALITY_MODEL, logit, QualityModel } from '../../../daemon/core/learned/quality-model';

const MODELS = ['strong', 'weak'];

/** How hard prompt i is for the strong model (0..1), spread over prompts. */
const swing = (i: number) => ((i * 37) % 19) / 18;
/** The user's experience: the strong model's chance .45–.95 by prompt, the weak one's .4. */
const truth = (i: number) => [0.45 + 0.5 * swing(i), 0.4];
/** The prior ranks the strong model's prompts right but rates it .3 too low, the weak one .2 too high. */
const prior = (i: number) => [truth(i)[0]! - 0.3, 0.6];

function prompt(i: number) {
  const text = `Summarise report number ${i} for the board`;
  const v = Float32Array.from([1, (i % 7) / 7, (i % 3) / 3, (i % 5) / 5]);
  return { text, vector: v, features: textFeatures(text) };
}

void test('ratings re-centre each model on the prior without reordering its prompts', async () => {
  const model = new QualityModel(4, DEFAULT_QUALITY_MODEL);
  const random = seededRandom(5);
  for (let i = 0; i < 400; i++) {
    const p = prompt(i);
    const m = random() < 0.5 ? 0 : 1;
    const thumb = Number(random() < truth(i)[m]!);
    model.add(p.text, p.vector, p.features, MODELS[m]!, thumb, 1, logit(prior(i)[m]!));
  }
  await model.refit(seededRandom(1), undefined, 'exact');
  const fresh = Array.from({ length: 19 }, (_, j) => 10_000 + j);
  const predicted = fresh.map((i) => {
    const p = prompt(i);
    return model.predict(p.vector, p.features, MODELS, prior(i)).models.map((m) => m.quality);
  });
  // Levels: both models moved most of the way to what the user sees (the prior was .3 and .2 off).
  for (const m of [0, 1]) {
    const mean = (values: number[]) => values.reduce((x, y) => x + y, 0) / values.length;
    const seen = mean(predicted.map((q) => q[m]!));
    const real = mean(fresh.map((i) => truth(i)[m]!));
    assert.ok(Math.abs(seen - real) < 0.1, `model ${m}: predicted mean ${seen} vs ${real}`);
  }
  // Order: the strong-minus-weak gap ranks the fresh prompts as the prior (and the truth) does.
  const gap = (j: number) => predicted[j]![0]! - predicted[j]![1]!;
  let concordant = 0;
  let pairs = 0;
  for (let a = 0; a < fresh.length; a++)
    for (let b = a + 1; b < fresh.length; b++) {
      const order = swing(fresh[a]!) - swing(fresh[b]!);
      if (order === 0) continue;
      pairs++;
      if (Math.sign(gap(a) - gap(b)) === Math.sign(order)) concordant++;
    }
  assert.ok(concordant / pairs > 0.95, `${concordant} of ${pairs} pairs in the prior's order`);
});
