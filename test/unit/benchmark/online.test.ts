import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replayOnline, type Prepared } from '../../../daemon/benchmark/run';
import { textFeatures } from '../../../daemon/core/learned/features';
import { DEFAULT_QUALITY_MODEL } from '../../../daemon/core/learned/quality-model';

// Two topics on orthogonal axes: the weak model fails topic B, the strong model answers both.
function rows(n: number): Prepared[] {
  return Array.from({ length: n }, (_, i) => {
    const topicB = i % 2 === 1;
    const vector = Float32Array.from(topicB ? [0, 1, 0, 0] : [1, 0, 0, 0]);
    const prompt = `${topicB ? 'B' : 'A'} question ${i}`;
    const scores = [1, topicB ? 0 : 1];
    return {
      row: { uid: `u${i}`, prompt, scores, costs: null },
      key: prompt,
      vector,
      features: textFeatures(prompt),
      learnScores: scores,
      priorLogits: null,
    };
  });
}

void test('online replay reveals only the chosen model per prompt and learns to send topic B to the strong model', async () => {
  const all = rows(400);
  const phases: string[] = [];
  const result = await replayOnline(
    all,
    ['strong', 'weak'],
    4,
    DEFAULT_QUALITY_MODEL,
    7,
    { strong: 0, weak: 1 },
    [50, 100],
    (p) => phases.push(p),
  );
  // One outcome per streamed row: never the scores of the models it did not pick.
  assert.equal(result.model.size, result.stream.length);
  assert.equal(result.stream.length + result.evaluated.length, all.length);
  const last = result.curve.at(-1)!;
  assert.equal(last.n, result.stream.length);
  assert.deepEqual(
    result.curve.map((p) => p.n),
    [50, 100, result.stream.length],
  );
  // Sending exactly topic B (half the rows) to strong is the oracle: PGR 0, .2, … 1 at 50 %, then 1
  // → APGR 8/11 ≈ .727; random would be .5.
  assert.ok(last.value > 0.7, `APGR ${last.value}`);
  assert.ok(phases.includes('online'));
});
