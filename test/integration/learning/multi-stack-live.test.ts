// Issue 10: the live learned strategy routes a pool of 3+ models with the multi-model stack once the
// store holds enough prompts scored for every model of the pool (an imported score table), refitted
// in the background after the learner's refit; two-model pools, pools with a model it does not know
// and a store with too few such prompts keep the learned strategy's own decision.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Outcome } from '../../../daemon/core/ports';
import { createLearner } from '../../../daemon/services/learner';
import { candidate, outcomeStore, routeInput } from '../../helpers/learning';

const SUBJECTS = [
  'the sea',
  'autumn leaves',
  'a lighthouse',
  'first snow',
  'an old cat',
  'the moon',
  'a train at night',
  'city rain',
  'a garden',
  'the desert',
  'a violin',
  'mountains',
  'a river',
  'winter dawn',
  'a candle',
  'the harbour',
  'spring birds',
  'a library',
  'the stars',
  'a bridge',
];
const TABLES = ['orders', 'customers', 'invoices', 'products', 'employees', 'shipments', 'payments', 'accounts'];
const COLUMNS = ['price', 'created_at', 'quantity', 'salary', 'total', 'weight', 'balance', 'age'];

/** Three kinds of prompt; `poet`, `calc` and `sql` each answer one kind well (scores 0..1). */
function prompts(count: number, offset = 0): { text: string; kind: 0 | 1 | 2 }[] {
  return Array.from({ length: count }, (_, j) => {
    const i = j + offset;
    const kind = (i % 3) as 0 | 1 | 2;
    const n = Math.floor(i / 3);
    const text =
      kind === 0
        ? `${['Write a short poem about', 'Compose a haiku on', 'Write a sonnet about', 'Write four rhyming lines about'][n % 4]} ${SUBJECTS[n % SUBJECTS.length]}, in at most ${n + 20} words.`
        : kind === 1
          ? `Compute the definite integral of x^${(n % 5) + 2} + ${n}x from 0 to ${(n % 4) + 1}.`
          : `Write a SQL query that lists all ${TABLES[n % TABLES.length]} whose ${COLUMNS[n % COLUMNS.length]} is above ${10 * n}.`;
    return { text, kind };
  });
}

const MODELS = ['poet', 'calc', 'sql'];

/** An imported score table: every model scored on every prompt. */
function scored(list: { text: string; kind: number }[]): Omit<Outcome, 'id'>[] {
  return list.flatMap((p, i) =>
    MODELS.map((model, m) => ({
      prompt: p.text,
      model,
      score: m === p.kind ? 0.9 - (i % 4) * 0.05 : 0.3 + (i % 3) * 0.05,
      weight: 1,
      source: 'import',
      request_id: null,
      created_at: Date.now(),
    })),
  );
}

void test('a 3-model pool is routed by the multi-model stack once the store has enough prompts scored for all three', async () => {
  const logs: string[] = [];
  // 150 prompts scored for all three: below the stack's minimum of 200, the learned blend decides.
  const store = outcomeStore(scored(prompts(150)));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-multi-live-'));
  const learner = createLearner({ store, dataDir, retrainEvery: 0, prior: null, log: (m) => logs.push(m) });
  await learner.ready();
  await learner.retrain();
  const pool = MODELS.map(candidate);
  const sqlPrompt = 'Write a SQL query that lists all suppliers whose rating is above 4.';
  const sqlVector = await learner.prepare(sqlPrompt);
  const before = learner.strategy('learned')!.decide(routeInput(sqlPrompt, { embedding: sqlVector }), pool);
  assert.doesNotMatch(before.explanation, /Multi-model stack/);

  // 150 more (an import): the next refit fits the stack in the background of the learner's refit.
  const more = store.addOutcomes(scored(prompts(150, 150)));
  learner.observe(more);
  await learner.retrain();
  assert.ok(
    logs.some((l) => /multi-model stack for poet, calc, sql on 300 prompts/.test(l)),
    logs.join('\n'),
  );

  const learned = learner.strategy('learned')!;
  const cases: [string, string][] = [
    [sqlPrompt, 'sql'],
    ['Compose a haiku on the quiet forest.', 'poet'],
    ['Compute the definite integral of x^3 + 7x from 0 to 2.', 'calc'],
  ];
  for (const [text, expected] of cases) {
    const verdict = learned.decide(routeInput(text, { embedding: await learner.prepare(text) }), pool);
    assert.equal(verdict.strategy, 'learned');
    assert.equal(verdict.abstain, false, verdict.explanation);
    assert.match(
      verdict.explanation,
      /^Multi-model stack \(kNN \d\.\d \+ heads \d\.\d; fitted on 300 prompts scored for all 3 models\)/,
    );
    assert.equal(verdict.ranked[0]!.model, expected, verdict.explanation);
    assert.ok(verdict.predictedQuality! > 0.6, verdict.explanation);
  }

  // Two of the models, or a model the stack has not seen: the learned strategy's own decision.
  const two = learned.decide(routeInput(sqlPrompt, { embedding: sqlVector }), pool.slice(1));
  assert.doesNotMatch(two.explanation, /Multi-model stack/);
  const unknown = learned.decide(routeInput(sqlPrompt, { embedding: sqlVector }), [...pool, candidate('newcomer')]);
  assert.doesNotMatch(unknown.explanation, /Multi-model stack/);
  learner.close();
});
