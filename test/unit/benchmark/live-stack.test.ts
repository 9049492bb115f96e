// `fugusashi benchmark FILE --folds K --live-stack`: each test fold of a multi-model file is decided
// by the live router's own stack (MultiStack, as the daemon fits it on its store) fitted without
// that fold's rows; a fold with too few prompts for the daemon's stack is decided by the learned
// strategy, as the daemon would. And the stack's training prompts are a uniform sample of the
// store's, not its most recent: a score table imported sorted by task keeps every task.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { benchmarkCommand } from '../../../daemon/benchmark/cli';
import { foldOf, seededRandom } from '../../../daemon/benchmark/folds';
import { liveStackFolds } from '../../../daemon/benchmark/live-stack-run';
import type { Prepared } from '../../../daemon/benchmark/run';
import type { EvalRow } from '../../../daemon/benchmark/data';
import { textFeatures } from '../../../daemon/core/learned/features';
import { DEFAULT_LIVE_STACK, stackPrompts } from '../../../daemon/core/learned/multi-stack-live';
import type { BenchmarkReport } from '../../../shared/api';
import { sink } from '../../helpers/sink';

const MODELS = ['poet', 'calc', 'big'];
const DIMS = 16;

/**
 * Three kinds of prompt, each a cluster of the (synthetic, 16-d) embedding: `poet` answers poems,
 * `calc` sums, `big` (the best single model) both but misses every fourth row of each.
 */
function rows(count: number): Prepared[] {
  const random = seededRandom(3);
  return Array.from({ length: count }, (_, i) => {
    const kind = i % 3;
    const prompt =
      kind === 0
        ? `Write a poem about harbour ${i}`
        : kind === 1
          ? `Add ${i} and ${i * 7}`
          : `Tell me about topic ${i}`;
    const vector = new Float32Array(DIMS);
    vector[kind] = 1;
    for (let d = 3; d < DIMS; d++) vector[d] = (random() - 0.5) * 0.2;
    const scores = [kind === 0 ? 1 : 0, kind === 1 ? 1 : 0, i % 4 === 0 ? 0 : kind === 2 ? 0.9 : 1];
    const row: EvalRow = { uid: `u${i}`, prompt, scores, costs: null };
    return { row, key: `k${i}`, vector, features: textFeatures(prompt), learnScores: scores, priorLogits: null };
  });
}

void test('live stack run: each fold decided by a stack fitted without it, routing each kind to its expert', async () => {
  const data = rows(900);
  const k = 3;
  const { predictions, folds } = await liveStackFolds(data, MODELS, DIMS, 1, k, [1, 2], () => {});
  assert.deepEqual(
    folds.map((f) => f.fold),
    [1, 2],
  );
  for (const f of folds) {
    // Fitted on the other folds' rows only.
    const outside = data.filter((r) => foldOf(r.row.prompt, k) !== f.fold).length;
    assert.equal(f.prompts, Math.min(outside, DEFAULT_LIVE_STACK.maxPrompts));
    assert.match(f.weights ?? '', /kNN \d\.\d \+ heads \d\.\d/);
  }
  let routed = 0;
  let best = 0;
  let scored = 0;
  data.forEach((r, i) => {
    const p = predictions[i];
    const fold = foldOf(r.row.prompt, k);
    if (fold === 0) return assert.equal(p, null, 'fold 0 is not scored');
    assert.ok(p);
    const pick = p.quality.indexOf(Math.max(...p.quality));
    routed += r.row.scores[pick]!;
    best += r.row.scores[2]!;
    scored++;
  });
  assert.ok(routed / scored > best / scored + 0.1, `routed ${routed / scored} vs big ${best / scored}`);
});

void test('live stack run: a fold with fewer prompts than the daemon needs is left to the learned strategy', async () => {
  const { predictions, folds } = await liveStackFolds(rows(120), MODELS, DIMS, 1, 2, [0, 1], () => {});
  assert.deepEqual(
    folds.map((f) => f.prompts),
    [null, null],
  );
  assert.ok(predictions.every((p) => p === null));
});

void test('the stack learns from a uniform sample of the prompts, so a table sorted by task keeps every task', () => {
  // Four tasks stored one after another, 1,000 prompts each; the stack takes 400.
  const items = Array.from({ length: 4000 }, (_, i) => ({ task: Math.floor(i / 1000), i }));
  const chosen = stackPrompts(items, 400, seededRandom(5));
  assert.equal(chosen.length, 400);
  assert.equal(new Set(chosen.map((c) => c.i)).size, 400, 'no prompt twice');
  for (let t = 0; t < 4; t++) {
    const n = chosen.filter((c) => c.task === t).length;
    assert.ok(n > 60 && n < 140, `task ${t}: ${n} of 400`);
  }
  assert.ok(
    chosen.every((c, j) => j === 0 || c.i > chosen[j - 1]!.i),
    'kept in stored order',
  );
  assert.deepEqual(stackPrompts(items, 400, seededRandom(5)), chosen, 'seeded');
  assert.equal(stackPrompts(items.slice(0, 10), 400, seededRandom(5)).length, 10);
});

void test('fugusashi benchmark FILE --live-stack: says which folds the daemon stack decided', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-live-stack-'));
  const lines = ['uid,prompt,poet,calc,big'];
  for (let i = 0; i < 60; i++)
    lines.push(
      `u${i},"${i % 2 ? `Add ${i} and ${i + 4}` : `Write a poem about the harbour at ${i}`}",${i % 2 ? 0 : 1},${i % 2},1`,
    );
  const file = path.join(dir, 'three.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const stdout = sink();
  const stderr = sink();
  const code = await benchmarkCommand([file, '--folds', '2', '--live-stack', '--cache-dir', path.join(dir, 'cache')], {
    stdout,
    stderr,
  });
  assert.equal(code, 0, stderr.text());
  // 60 rows: fewer than the daemon's 200 prompts per stack, so the learned strategy decided.
  assert.match(stdout.text(), /decided by the live router's multi-model stack/);
  assert.match(stdout.text(), /fold 0: too few prompts scored for every model; the learned strategy decided/);
  const json = sink();
  await benchmarkCommand([file, '--folds', '2', '--live-stack', '--json', '--cache-dir', path.join(dir, 'cache')], {
    stdout: json,
    stderr,
  });
  const report = JSON.parse(json.text()) as BenchmarkReport & {
    live_stack?: { fold: number; prompts: number | null }[];
  };
  assert.deepEqual(report.live_stack, [
    { fold: 0, prompts: null, weights: null },
    { fold: 1, prompts: null, weights: null },
  ]);
});
