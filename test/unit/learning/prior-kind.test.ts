// The prior's difficulty from the prompt's kind: traits read on the focus, a head learned between
// groups of prompts (not which benchmark a prompt came from), and the artifact that carries it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { priorDataset, priorRow } from '../../helpers/prior-data';
import { seededRandom } from '../../../daemon/benchmark/folds';
import { kindHead } from '../../../daemon/benchmark/prior-kind-head';
import { trainPrior, type PriorDataset } from '../../../daemon/benchmark/prior-train';
import { textFeatures } from '../../../daemon/core/learned/features';
import { KIND_COUNT, KIND_NAMES, promptKindOfFocus, promptKindVector } from '../../../daemon/core/learned/prior-kind';
import { inputDimsOf, RouterPrior, type PriorArtifact } from '../../../daemon/core/learned/prior';

const trait = (text: string, name: (typeof KIND_NAMES)[number]) => promptKindVector(text)[KIND_NAMES.indexOf(name)]!;

void test('kind traits: code, math, choices and free writing are read on the question, not the examples before it', () => {
  assert.equal(trait('Write a Python function that reverses a linked list.', 'asks_code'), 1);
  assert.equal(trait('How many apples are left if Tom eats 3 of 12?', 'math_words'), 1);
  assert.equal(trait('Solve 3x + 5 = 20.', 'equation'), 1);
  assert.equal(trait('Which gas do plants absorb?\nA) oxygen\nB) carbon dioxide\nC) helium', 'choices'), 1);
  assert.equal(trait('Compose a short poem about autumn leaves.', 'free_writing'), 1);
  assert.equal(trait('Compose a short poem about autumn leaves.', 'math_words'), 0);
  // A few-shot prompt: the worked example (with its sum) is not the question the router reads.
  const fewShot = `${'Example: what is 12 + 30? Answer: 42. '.repeat(20)}\n\nWho wrote the novel Middlemarch and in which year?`;
  assert.equal(trait(fewShot, 'equation'), 0);
  assert.equal(trait(fewShot, 'factoid'), 1);
  assert.equal(textFeatures('Solve 3x + 5 = 20.').kind?.length, KIND_COUNT);
});

/** Two files of three models where math questions are harder for every model than trivia. */
function dataset(file: string, seed: number): PriorDataset {
  const random = seededRandom(seed);
  const models = ['strong', 'middle', 'weak'];
  const ability = [0.9, 0.7, 0.5];
  const rows = Array.from({ length: 400 }, (_, i) => {
    const math = i % 2 === 0;
    const prompt = math
      ? `How many marbles are left if Ann has ${i + 7} and gives away ${i % 5} and then 3 more?`
      : `Who painted the picture called number ${i} in the museum?`;
    const scores = ability.map((a) => (random() < (math ? a - 0.4 : a) ? 1 : 0));
    return priorRow(`${file}-${i}`, prompt, models, scores, i % 5);
  });
  return priorDataset(file, rows);
}

void test('the kind head learns between groups that math questions are harder, and the shipped form reads its difficulty from it', () => {
  const data = [dataset('a.csv', 1), dataset('b.csv', 2)];
  const abilities = { strong: { ability: 1.5 }, middle: { ability: 0.6 }, weak: { ability: 0 } };
  const head = kindHead(data, abilities, { features: 'kind', l2: 0.01, split: true, target: 'ease' })!;
  assert.ok(head.groups.length >= 4, `groups ${head.groups.map((g) => g.name).join(', ')}`);
  const ease = (text: string) => {
    const f = textFeatures(text);
    return head.weights[0]! + Array.from(f.kind!).reduce((s, v, i) => s + v * head.weights[11 + i]!, 0);
  };
  const mathQ = 'How many pears are left if Bo has 40 and sells 12?';
  const trivia = 'Who painted the ceiling of the Sistine Chapel?';
  assert.ok(ease(mathQ) < ease(trivia) - 0.5, `ease math ${ease(mathQ)} vs trivia ${ease(trivia)}`);
  // Too little data for a group of 20 prompts: no head.
  assert.equal(
    kindHead([{ ...data[0]!, rows: data[0]!.rows.slice(0, 10) }], abilities, {
      features: 'kind',
      l2: 0.01,
      split: true,
      target: 'ease',
    }),
    null,
  );

  const t = trainPrior(data, { hyper: { members: 1, epochs: 2 } });
  assert.equal(t.artifact.input.kind, KIND_COUNT);
  assert.equal(t.artifact.difficultyHead.length, inputDimsOf(t.artifact));
  // The fit's own difficulty (its words) is replaced: no weight on the word buckets.
  const { dense, lexical } = t.artifact.input;
  assert.ok(t.artifact.difficultyHead.slice(dense, dense + lexical).every((v) => v === 0));
  const prior = new RouterPrior(JSON.parse(JSON.stringify(t.artifact)) as PriorArtifact);
  const difficulty = (text: string) => prior.profile(prior.input(textFeatures(text), null)).difficulty;
  assert.ok(
    difficulty(mathQ) > difficulty(trivia) + 0.5,
    `difficulty math ${difficulty(mathQ)} vs ${difficulty(trivia)}`,
  );
  // Features built without the kind traits read them as zeros (no throw).
  const f = textFeatures(mathQ);
  assert.ok(Number.isFinite(prior.profile(prior.input({ dense: f.dense, lexical: f.lexical }, null)).difficulty));
  // The form before it is one switch away, and an artifact without kind traits loads as before.
  const before = trainPrior(data, { hyper: { members: 1, epochs: 2, kindDifficulty: null } });
  assert.equal(before.artifact.input.kind, undefined);
  assert.equal(new RouterPrior(before.artifact).inputDims, dense + lexical);
});

// The choice and sentence patterns as they were before they stopped running on across blank lines
// and through runs of dots (quadratic in the focus), kept as the reference for the two traits.
const REFERENCE_CHOICES = /(^|\n)\s*\(?[A-Da-d][.)]\s/g;
const REFERENCE_SENTENCE_END = /[.?!]+\s|\n+/;

void test('the choices and sentences traits are what the patterns that ran on across blank lines and dots gave', () => {
  const expected = (focus: string) => {
    const t = focus.replace(/\\[nt]/g, '\n');
    const choices = t.match(REFERENCE_CHOICES)?.length ?? 0;
    const sentences = t.split(REFERENCE_SENTENCE_END).filter((s) => s.trim().length > 3).length;
    return [choices >= 2 ? 1 : 0, Math.fround(Math.min(1, Math.log1p(sentences) / 3))];
  };
  const traits = (focus: string) => {
    const f = promptKindOfFocus(focus);
    return [f[KIND_NAMES.indexOf('choices')], f[KIND_NAMES.indexOf('sentences')]];
  };
  // The hostile shapes, as long as a focus gets (600 characters): blank lines, and a run of dots.
  for (const focus of ['x' + '\n'.repeat(598) + 'x', 'x' + ' \n'.repeat(299) + 'x', 'x' + '.'.repeat(598) + 'x']) {
    assert.deepEqual(traits(focus), [0, expected(focus)[1]]);
    assert.deepEqual(traits(focus), expected(focus));
  }
  const choices = 'Pick one.\n\n  A. red\n\n\t(B) blue\r\n\nc) green';
  assert.equal(traits(choices)[0], 1);
  assert.deepEqual(traits(choices), expected(choices));
  // Generated focuses of line breaks, indentation, choice letters and sentence ends.
  let seed = 7;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return Math.floor((seed / 2 ** 32) * n);
  };
  const pieces = [
    '\n',
    '\n',
    ' ',
    '\t',
    '\r',
    '\r\n',
    '\u2028',
    'A.',
    'a)',
    '(B)',
    'D. ',
    '.',
    '?',
    '!',
    '...',
    'x',
    'word',
    '\\n',
  ];
  let withChoices = 0;
  for (let k = 0; k < 20_000; k++) {
    let focus = '';
    for (let i = 1 + next(25); i > 0; i--) focus += pieces[next(pieces.length)];
    const want = expected(focus);
    assert.deepEqual(traits(focus), want, JSON.stringify(focus));
    withChoices += want[0]!;
  }
  assert.ok(withChoices > 1000, `${withChoices}`);
});
