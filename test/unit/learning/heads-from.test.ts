// Issue 10, online from the prior: the residual heads' correction needs a couple of hundred
// outcomes. On RouteLLM MMLU (replay seed 5, fold 0) the cross-fit gave the heads 80 % of the
// correction at 50 ratings, and their per-model rescaling of the prior's logit, fitted on ~25
// outcomes a model, dropped APGR from the prior's .629 to .528. Below headsFrom (200) outcomes with
// a prior only the residual kNN's correction competes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../../daemon/benchmark/folds';
import { textFeatures } from '../../../daemon/core/learned/features';
import { DEFAULT_QUALITY_MODEL, logit, QualityModel } from '../../../daemon/core/learned/quality-model';

const MODELS = ['strong', 'weak'];

/**
 * One rating per prompt, on prompts whose words (not their embeddings, drawn at random) tell
 * whether the weak model fails: the heads, which read the words, predict held-out outcomes better
 * than the kNN, so the cross-fit would hand them the correction.
 */
async function learnerAfter(ratings: number): Promise<QualityModel> {
  const model = new QualityModel(4, DEFAULT_QUALITY_MODEL);
  const random = seededRandom(5);
  for (let i = 0; i < ratings; i++) {
    const hard = i % 2 === 0;
    const text = hard ? `Prove the theorem about lattice ${i}` : `Say hello to neighbour ${i}`;
    const vector = Float32Array.from([1, random(), random(), random()]);
    const m = random() < 0.5 ? 0 : 1;
    const quality = hard ? [0.98, 0.02] : [0.98, 0.98];
    model.add(text, vector, textFeatures(text), MODELS[m]!, Number(random() < quality[m]!), 1, logit(0.6));
  }
  await model.refit(seededRandom(1), undefined, 'exact');
  return model;
}

void test('under 200 ratings the heads get no share of the correction to the prior, from then on they may', async () => {
  assert.equal(DEFAULT_QUALITY_MODEL.headsFrom, 200);
  // 190 ratings: the cross-fit's least error is the heads' correction (knnShare 0), not allowed yet.
  assert.equal((await learnerAfter(190)).correction().knnShare, 1);
  assert.ok((await learnerAfter(400)).correction().knnShare < 1);
});
