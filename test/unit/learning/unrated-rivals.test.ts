// When the pool's other models have no ratings on prompts like this one, a model with close,
// well-rated neighbours decides on its own record (0.3.0's similarity router: "route to the model
// that worked best"); a model known to do badly there is not trusted over models nobody has rated.
// Before, the similarity strategy (and the learned one without the prior) abstained whenever the
// runner-up was unrated: the confidence was min(evidence of the pick, evidence of the runner-up) = 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textFeatures } from '../../../daemon/core/learned/features';
import { DEFAULT_QUALITY_MODEL, QualityModel } from '../../../daemon/core/learned/quality-model';
import { DEFAULT_LEARNED_OPTIONS, LearnedStrategy, SimilarityStrategy } from '../../../daemon/core/learned/strategies';
import { candidate, routeInput } from '../../helpers/learning';

const options = { ...DEFAULT_LEARNED_OPTIONS, explorationRate: 0 };
const pool = [candidate('local', 0), candidate('mini', 0.0001), candidate('big', 0.002)];
const text = 'Write a Python function to sort a list';
const embedding = Float32Array.from([1, 0, 0, 0]);

/** Six near-identical code prompts, each answered by `big` with `score`; the other models unrated. */
function modelWhereBigScored(score: number): QualityModel {
  const model = new QualityModel(4, DEFAULT_QUALITY_MODEL);
  for (let i = 0; i < 6; i++) {
    const prompt = `${text} (variant ${i})`;
    model.add(prompt, Float32Array.from([1, 0.01 * i, 0, 0]), textFeatures(prompt), 'big', score);
  }
  return model;
}

test('similarity: a model rated well on near-identical prompts decides though the others are unrated, and says so', () => {
  const verdict = new SimilarityStrategy(modelWhereBigScored(0.9), options).decide(
    routeInput(text, { embedding, costWeight: 1 }),
    pool,
  );
  assert.equal(verdict.abstain, false, verdict.explanation);
  assert.equal(verdict.ranked[0]!.model, 'big', verdict.explanation);
  assert.ok(verdict.confidence >= options.minConfidence, String(verdict.confidence));
  assert.match(
    verdict.explanation,
    /^6 similar past prompts: big rated 4\.6 from its 6 outcomes vs \w+, which has no ratings yet .*; big does well here on its own record \(local and mini have no ratings on prompts like this\)$/,
  );
});

test('similarity: a model rated badly on those prompts is not trusted over unrated ones (it abstains)', () => {
  const verdict = new SimilarityStrategy(modelWhereBigScored(0.3), options).decide(
    routeInput(text, { embedding, costWeight: 0 }),
    [candidate('local', 0), candidate('big', 0.002)],
  );
  assert.equal(verdict.abstain, true, verdict.explanation);
  assert.match(verdict.explanation, /^not sure enough \(confidence 0\.00\)/);
});

test("similarity: a rival rated on the same prompts is a contest, decided on both sides' evidence as before", () => {
  const model = modelWhereBigScored(0.9);
  for (let i = 0; i < 6; i++) {
    const prompt = `${text} (variant ${i})`;
    model.add(prompt, Float32Array.from([1, 0.01 * i, 0, 0]), textFeatures(prompt), 'mini', 0.85);
  }
  const verdict = new SimilarityStrategy(model, options).decide(routeInput(text, { embedding, costWeight: 1 }), [
    candidate('mini', 0.0001),
    candidate('big', 0.002),
  ]);
  assert.equal(verdict.abstain, false, verdict.explanation);
  assert.doesNotMatch(verdict.explanation, /own record/);
});

test('learned without the prior: the same rule (an unrated runner-up does not silence a well-rated pick)', () => {
  // mini rated badly on other prompts: the average the unrated local model gets drops below big's figure.
  const model = modelWhereBigScored(0.9);
  for (let i = 0; i < 6; i++) {
    const prompt = `Tell me a joke number ${i}`;
    model.add(prompt, Float32Array.from([0, 0, 1, 0.01 * i]), textFeatures(prompt), 'mini', 0.2);
  }
  const verdict = new LearnedStrategy(model, options, null).decide(
    routeInput(text, { embedding, costWeight: 1 }),
    pool,
  );
  assert.equal(verdict.abstain, false, verdict.explanation);
  assert.equal(verdict.ranked[0]!.model, 'big', verdict.explanation);
});
