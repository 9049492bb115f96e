import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FEATURE_NAMES,
  LEXICAL_DIMS,
  lexicalIds,
  promptFeatureVector,
  textFeatures,
  writeLexical,
} from '../../../daemon/core/learned/features';

void test('lexical ids: words and word pairs in fixed buckets; order matters for pairs', () => {
  const a = lexicalIds('Is this not true?');
  assert.equal(a.length, 2 * 5 - 1); // is, this, not, true, ? and four pairs
  assert.ok(a.every((id) => id < LEXICAL_DIMS));
  assert.deepEqual(lexicalIds('is THIS not true?'), a, 'case does not matter');
  assert.notDeepEqual(lexicalIds('Is this true not?'), a, 'word pairs keep order');
  assert.deepEqual(lexicalIds('a\\nb'), lexicalIds('a b'), 'escaped line breaks separate words');
  assert.equal(lexicalIds('').length, 0);
});

void test('lettered choices are counted after blank lines and indentation; a prompt of blank lines has none', () => {
  const choices = (text: string) => promptFeatureVector(text)[FEATURE_NAMES.indexOf('choices')]! * 4;
  assert.equal(choices('Which?\n\n  A. one\n \r\n(B) two\nC) three'), 3);
  assert.equal(choices('A. first\nD. last'), 2);
  assert.equal(choices('\n'.repeat(6000)), 0);
  assert.equal(choices(' \n'.repeat(3000)), 0);
});

void test('the lexical vector has unit length and counts repeats sub-linearly', () => {
  const out = new Float32Array(4 + LEXICAL_DIMS);
  writeLexical(lexicalIds('apple apple apple pear'), out, 4);
  let norm = 0;
  for (const v of out) norm += v * v;
  assert.ok(Math.abs(norm - 1) < 1e-5);
  assert.deepEqual([...out.subarray(0, 4)], [0, 0, 0, 0], 'writes only its own block');
  const apple = lexicalIds('apple')[0]!;
  const pear = lexicalIds('pear')[0]!;
  assert.ok(Math.abs(out[4 + apple]! / out[4 + pear]! - Math.log1p(3) / Math.log1p(1)) < 1e-5);
});

void test('lexical features read the focus of a long few-shot prompt, dense features the whole text', () => {
  const shots = Array.from({ length: 40 }, (_, i) => `Q: ${i} apples?\nA: ${i}`).join('\n\n');
  const f = textFeatures(`${shots}\n\nQ: How many pears does Ann have if she had three and ate one?`);
  assert.deepEqual([...f.lexical], [...lexicalIds('Q: How many pears does Ann have if she had three and ate one?')]);
  assert.ok(f.dense[2]! > textFeatures('one line').dense[2]!, 'line count comes from the whole prompt');
});

void test('the linear head separates prompts by their words where the embedding cannot', async () => {
  const { QualityModel } = await import('../../../daemon/core/learned/quality-model');
  const { seededRandom } = await import('../../../daemon/benchmark/folds');
  // Every prompt gets the same embedding: only the words say which model will do well.
  const dims = 8;
  const same = new Float32Array(dims).fill(1 / Math.sqrt(dims));
  const model = new QualityModel(dims);
  for (let i = 0; i < 200; i++) {
    const sql = i % 2 === 0;
    const text = sql ? `write a sql join over table t${i}` : `write a python loop over list l${i}`;
    model.add(`p${i}`, same, textFeatures(text), 'a', sql ? 1 : 0);
    model.add(`p${i}`, same, textFeatures(text), 'b', sql ? 0 : 1);
  }
  await model.refit(seededRandom(1), undefined, 'exact');
  const predict = (text: string) => model.predict(same, textFeatures(text), ['a', 'b']).models;
  const [sqlA, sqlB] = predict('write a sql join over table orders');
  const [pyA, pyB] = predict('write a python loop over list items');
  assert.ok(sqlA!.linear! > sqlB!.linear! + 0.3, `sql: a ${sqlA!.linear} vs b ${sqlB!.linear}`);
  assert.ok(pyB!.linear! > pyA!.linear! + 0.3, `python: b ${pyB!.linear} vs a ${pyA!.linear}`);
});
