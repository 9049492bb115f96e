// Grading failures in the prior's training data: a stronger model scoring near zero on one subject
// where a weaker one does fine is a parsing failure, not a skill; its scores there are left out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { priorDataset, priorRow } from '../../helpers/prior-data';
import { gradingFailures, withoutGradingFailures } from '../../../daemon/benchmark/prior-clean';
import type { PriorDataset } from '../../../daemon/benchmark/prior-train';

function dataset(): PriorDataset {
  const models = ['strong', 'weak', 'weakest'];
  const rows = Array.from({ length: 300 }, (_, i) => {
    const group = i < 100 ? 'algebra' : i < 200 ? 'history' : 'law';
    // algebra: the strong model's answers were not parsed (0), the weak one gets 40 %;
    // law: the weakest model is near zero, which is just weakness (it is weakest everywhere).
    const strong = group === 'algebra' ? 0 : 1;
    const weak = i % 5 < 2 ? 1 : 0;
    const weakest = group === 'law' ? 0 : i % 5 === 0 ? 1 : 0;
    const scores = [strong, weak, weakest];
    const prompt = `question ${i}`;
    return { ...priorRow(`u${i}`, prompt, models, scores, i % 5), group };
  });
  return priorDataset('x.csv', rows);
}

void test('a stronger model near zero on one subject where a weaker one scores is left out there, and only there', () => {
  const d = dataset();
  assert.deepEqual(gradingFailures([d]), [{ file: 'x.csv', group: 'algebra', model: 'strong', rows: 100 }]);
  const [clean] = withoutGradingFailures([d]);
  const algebra = clean!.rows.filter((r) => r.group === 'algebra');
  assert.ok(algebra.every((r) => r.scores[0] === null && r.scores[1] !== null && r.raw[0] === 0));
  assert.ok(clean!.rows.filter((r) => r.group !== 'algebra').every((r) => r.scores[0] === 1));
  // Rows without a subject are never judged.
  const noGroups = { ...d, rows: d.rows.map(({ group: _, ...r }) => r) };
  assert.deepEqual(gradingFailures([noGroups]), []);
});

void test("with mode 'rows' the failing subject's rows are left out altogether, the others kept as they are", () => {
  const d = dataset();
  const [clean] = withoutGradingFailures([d], 'rows');
  assert.equal(clean!.rows.length, 200);
  assert.ok(clean!.rows.every((r) => r.group !== 'algebra'));
  assert.deepEqual(
    clean!.rows.map((r) => r.scores),
    d.rows.filter((r) => r.group !== 'algebra').map((r) => r.scores),
  );
});
