// The prior's fitting options that aim at transfer: per-dataset centring (the heads learn which
// prompts are hard within a dataset, not which dataset a prompt came from) and the input layout
// (word buckets weighted or left out, any embedding vector of the configured size).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FEATURE_COUNT, LEXICAL_DIMS, textFeatures } from '../../../daemon/core/learned/features';
import {
  fitPrior,
  DEFAULT_PRIOR_HYPER,
  mergeFits,
  predictFitted,
  type PriorExample,
} from '../../../daemon/core/learned/prior-fit';
import { priorInput, type SparseInput } from '../../../daemon/core/learned/prior';
import { seededRandom } from '../../../daemon/benchmark/folds';

/**
 * Two datasets over input [marker, hard]: every prompt of the easy dataset carries the marker
 * (think "a multiple-choice layout"), the other dataset's do not, and the other dataset is much
 * harder. Within each dataset, `hard` prompts are failed more often. Both models see every prompt.
 */
function twoDatasets(): PriorExample[] {
  const random = seededRandom(7);
  const examples: PriorExample[] = [];
  for (let n = 0; n < 4000; n++) {
    const group = n % 2;
    const hard = random() < 0.5 ? 1 : 0;
    const x: SparseInput = {
      index: Uint32Array.from(group === 0 ? [0, 1] : [1]),
      value: Float32Array.from(group === 0 ? [1, hard] : [hard]),
    };
    // Logit of success: the easy dataset +2, the hard one −1; a hard prompt −1.5 within either.
    const base = (group === 0 ? 2 : -1) - 1.5 * hard;
    const outcomes = [0, 1].map((model) => {
      const p = 1 / (1 + Math.exp(-(base + (model === 0 ? 0.5 : -0.5))));
      return { model, score: random() < p ? 1 : 0, weight: 1 };
    });
    examples.push({ x, outcomes, group });
  }
  return examples;
}

void test('per-dataset centring: the difficulty head learns what is hard within a dataset, not which dataset it is', () => {
  const examples = twoDatasets();
  const hyper = { ...DEFAULT_PRIOR_HYPER, skills: 1, epochs: 6, learningRate: 0.1 };
  const plain = fitPrior(examples, 2, 2, { ...hyper, groupOffsets: false }, seededRandom(1));
  const centred = fitPrior(examples, 2, 2, { ...hyper, groupOffsets: 'difficulty' }, seededRandom(1));
  // Without centring the marker soaks up the datasets' difference (≈ −3 on the difficulty scale).
  // Without centring the marker soaks up the datasets' difference and the within-dataset signal
  // is learned at half strength.
  assert.ok(plain.difficultyHead[0]! < -0.8, `marker weight without centring ${plain.difficultyHead[0]}`);
  // With it, the marker says little and twice as much of the within-dataset signal is learned.
  assert.ok(Math.abs(centred.difficultyHead[0]!) < 0.5, `marker weight with centring ${centred.difficultyHead[0]}`);
  assert.ok(
    centred.difficultyHead[1]! > 0.8 && centred.difficultyHead[1]! > plain.difficultyHead[1]! + 0.3,
    `hard weight ${centred.difficultyHead[1]} with centring, ${plain.difficultyHead[1]} without`,
  );
  // The offsets are training-only: the shipped rows and heads have the usual shapes.
  assert.equal(centred.rows.length, 2);
  assert.equal(centred.difficultyHead.length, 2);
});

void test('prior input layout: an embedding of the configured size (scaled), dense features, word buckets weighted or left out', () => {
  const features = textFeatures('Solve 3x + 5 = 20 for x. Show your reasoning.');
  const words = priorInput(features, null, { embedding: 0 });
  const lexAt = FEATURE_COUNT;
  const wordValues = [...words.index].flatMap((i, j) => (i >= lexAt ? [words.value[j]!] : []));
  assert.ok(wordValues.length > 5, 'the focus words land in buckets');

  const weighted = priorInput(features, null, { embedding: 0, lexicalScale: 0.3 });
  const weightedValues = [...weighted.index].flatMap((i, j) => (i >= lexAt ? [weighted.value[j]!] : []));
  assert.deepEqual(
    weightedValues.map((v) => v.toFixed(5)),
    wordValues.map((v) => (v * 0.3).toFixed(5)),
  );

  const noWords = priorInput(features, null, { embedding: 0, lexical: 0 });
  assert.ok(
    [...noWords.index].every((i) => i < FEATURE_COUNT),
    'no word buckets when lexical is 0',
  );

  // Any vector of the configured size is an embedding (USE, or a cheap static approximation).
  const vector = Float32Array.from({ length: 16 }, (_, i) => i / 16);
  const withVector = priorInput(features, vector, { embedding: 16, embeddingScale: 2 });
  assert.deepEqual([...withVector.index.slice(0, 16)], [...Array(16).keys()]);
  assert.equal(withVector.value[8], 1);
  // Dense features and words follow the embedding block.
  assert.ok(withVector.index[16]! >= 16);
  // Without a vector the embedding block is simply empty (a prompt not embedded yet).
  assert.equal(priorInput(features, null, { embedding: 16 }).index[0], 16);

  assert.throws(
    () => priorInput(features, null, { embedding: 0, lexical: LEXICAL_DIMS / 2 }),
    /word buckets, this build hashes into 1024/,
  );
});

void test('fits of several seeds merge into one prior whose logits are the members’ mean', () => {
  const examples = twoDatasets().slice(0, 800);
  const hyper = { ...DEFAULT_PRIOR_HYPER, skills: 2, epochs: 2 };
  const members = [1, 2, 3].map((seed) => fitPrior(examples, 2, 2, hyper, seededRandom(seed)));
  const merged = mergeFits(members, 2, 2);
  assert.equal(merged.skillHead.length, 3 * 2 * 2);
  assert.equal(merged.rows[0]!.skills.length, 6);
  const x = examples[0]!.x;
  const logit = (p: number) => Math.log(p / (1 - p));
  const memberLogits = members.map((f) => predictFitted(f, 2, 2, x, f.rows).map(logit));
  const mergedLogits = predictFitted(merged, 6, 2, x, merged.rows).map(logit);
  for (let m = 0; m < 2; m++) {
    const mean = memberLogits.reduce((t, l) => t + l[m]!, 0) / 3;
    assert.ok(Math.abs(mergedLogits[m]! - mean) < 1e-4, `model ${m}: ${mergedLogits[m]} vs ${mean}`);
  }
  // The members differ (else averaging would buy nothing).
  assert.notEqual(memberLogits[0]![0]!.toFixed(4), memberLogits[1]![0]!.toFixed(4));
});
