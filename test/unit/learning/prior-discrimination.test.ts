// The discrimination prior: a head that learns from every model pair which prompts the stronger
// model wins (not which benchmark a prompt came from), and the prior built from it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { priorDataset, priorRow } from '../../helpers/prior-data';
import { discriminationHead } from '../../../daemon/benchmark/prior-discrimination';
import { seededRandom } from '../../../daemon/benchmark/folds';
import { trainPrior, type PriorDataset } from '../../../daemon/benchmark/prior-train';
import { FEATURE_NAMES, textFeatures } from '../../../daemon/core/learned/features';
import { logitOf, sigmoid } from '../../../daemon/core/learned/prior';

/**
 * A file of three models (strong > middle > weak) where prompts with code separate them (the
 * stronger model gets them right far more often) and prose does not (all do about as well).
 * `level` shifts every score of the file: one file is easy, the other hard.
 */
function dataset(file: string, level: number, seed: number): PriorDataset {
  const random = seededRandom(seed);
  const models = ['strong', 'middle', 'weak'];
  const ability = [0.9, 0.6, 0.3];
  const rows = Array.from({ length: 600 }, (_, i) => {
    const code = i % 2 === 0;
    const prompt = code
      ? `Write a function number ${i}:\n\`\`\`\ndef f${i}(x):\n    return x\n\`\`\``
      : `Tell me a short story about a cat called number ${i}.`;
    const scores = ability.map((a) => {
      const p = Math.min(1, Math.max(0, level + (code ? a : 0.6)));
      return random() < p ? 1 : 0;
    });
    return priorRow(`${file}-${i}`, prompt, models, scores, i % 5);
  });
  return priorDataset(file, rows);
}

void test('the discrimination head learns from every model pair that code prompts separate the models', () => {
  const head = discriminationHead([dataset('a.csv', 0, 1), dataset('b.csv', -0.2, 2)], {
    centre: true,
    datasetPower: 1,
    l2: 1,
  });
  const code = textFeatures('```\ndef g(x):\n    return x\n```');
  const prose = textFeatures('Tell me a short story about a dog.');
  const g = (f: typeof code) => f.dense.reduce((s, v, i) => s + v * head[i]!, 0);
  assert.ok(head[FEATURE_NAMES.indexOf('code')]! > 0.2, `code weight ${head[FEATURE_NAMES.indexOf('code')]}`);
  assert.ok(g(code) > g(prose) + 0.3, `code ${g(code)} vs prose ${g(prose)}`);
});

void test('the shipped prior form: the stronger model gains on discriminating prompts; the head is one skill beside the fit', () => {
  const t = trainPrior([dataset('a.csv', 0, 1), dataset('b.csv', -0.2, 2)], {
    hyper: { members: 1, epochs: 2 },
  });
  // The item-response fit's 8 skills (one member) plus the discrimination head's one, last.
  assert.equal(t.artifact.skills, 9);
  const { strong, weak } = t.artifact.models as Record<string, { ability: number; skills: number[]; outcomes: number }>;
  assert.ok(strong!.skills[8]! > weak!.skills[8]!, 'loadings follow ability');
  const gap = (text: string) => {
    const p = t.prior.profile(t.prior.input(textFeatures(text), null));
    return sigmoid(logitOf(strong!, p)) - sigmoid(logitOf(weak!, p));
  };
  assert.ok(gap('```\ndef h(y):\n    return y\n```') > gap('Tell me a short story about a bird.') + 0.05);
  // The head alone (the fold-0 winner, README) and the item-response fit alone are one switch away.
  const headOnly = trainPrior([dataset('a.csv', 0, 1)], {
    hyper: { members: 1, epochs: 1, discrimination: { beta: 1, irtWeight: 0 } },
  });
  assert.equal(headOnly.artifact.skills, 1);
  const irt = trainPrior([dataset('a.csv', 0, 1)], { hyper: { members: 1, epochs: 1, discrimination: null } });
  assert.equal(irt.artifact.skills, 8);
});

/**
 * Two kinds of prose question with the same length and layout, told apart only by their words:
 * "taxes" questions separate the models, "cloud" ones do not.
 */
function wordsDataset(file: string, seed: number): PriorDataset {
  const random = seededRandom(seed);
  const models = ['strong', 'middle', 'weak'];
  const ability = [0.9, 0.6, 0.3];
  const rows = Array.from({ length: 600 }, (_, i) => {
    const hard = i % 2 === 0;
    const prompt = hard
      ? `Explain the taxes report number ${i} briefly.`
      : `Explain the cloud report number ${i} briefly.`;
    const scores = ability.map((a) => (random() < (hard ? a : 0.7) ? 1 : 0));
    return priorRow(`${file}-${i}`, prompt, models, scores, i % 5);
  });
  return priorDataset(file, rows);
}

void test('the discrimination head reading the words (research option) learns which subjects separate the models', () => {
  const data = [wordsDataset('a.csv', 3), wordsDataset('b.csv', 4)];
  const gapOf = (wordsL2: number | undefined) => {
    const t = trainPrior(data, { hyper: { members: 1, epochs: 2, discriminationWordsL2: wordsL2 } });
    const { strong, weak } = t.artifact.models as Record<
      string,
      { ability: number; skills: number[]; outcomes: number }
    >;
    const at = t.artifact.skills - 1; // the discrimination skill is the last
    const skill = (text: string) => t.prior.profile(t.prior.input(textFeatures(text), null)).skills[at]!;
    assert.ok(strong!.skills[at]! > weak!.skills[at]!);
    return (
      skill('Explain the taxes report number 7001 briefly.') - skill('Explain the cloud report number 7001 briefly.')
    );
  };
  // The dense features alone cannot tell the two apart; the words can.
  assert.ok(Math.abs(gapOf(undefined)) < 0.05, `dense only: ${gapOf(undefined)}`);
  assert.ok(gapOf(100) > 0.2, `with words: ${gapOf(100)}`);
});
