import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apgr, cpt, qualityCurve } from '../../../daemon/benchmark/metrics';

// Ten rows, hand-computed: strong right on rows 0–7, weak right on rows 0–3 and 8.
// strong mean .8, weak mean .5, gap .3. Rows where strong − weak = 1: 4,5,6,7; = −1: 8.
const strong = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
const weak = [1, 1, 1, 1, 0, 0, 0, 0, 1, 0];

void test('a perfect router recovers the gap with the fewest strong calls', () => {
  // Scores rank rows 4–7 first, then the ties, then row 8 last.
  const score = [0, 0, 0, 0, 1, 1, 1, 1, -1, 0];
  const curve = qualityCurve(strong, weak, score);
  assert.equal(curve.length, 11);
  // 10 % strong = row 4 → quality .6, PGR 1/3; 40 % = rows 4–7 → .9, PGR 4/3.
  assert.ok(Math.abs(curve[1]!.quality - 0.6) < 1e-12);
  assert.ok(Math.abs(curve[1]!.pgr - 1 / 3) < 1e-12);
  assert.ok(Math.abs(curve[4]!.pgr - 4 / 3) < 1e-12);
  // Sending row 8 to strong (the last step) loses its point: back to .8, PGR 1.
  assert.ok(Math.abs(curve[10]!.pgr - 1) < 1e-12);
  // PGR per step: 0, 1/3, 2/3, 1, then 4/3 for 40–90 % (six steps), then 1. Trapezoid area:
  // (0/2 + 1/3 + 2/3 + 1 + 6 × 4/3 + 1/2) / 10 = 1.05 (a plain mean of the 11 points would say 1).
  assert.ok(Math.abs(apgr(curve) - 1.05) < 1e-12);
  // CPT(50 %): between 10 % (1/3) and 20 % (2/3) → 15 %. CPT(80 %): 20 % + 0.4 × 10 % = 24 %.
  assert.ok(Math.abs(cpt(curve, 0.5)! - 15) < 1e-9);
  assert.ok(Math.abs(cpt(curve, 0.8)! - 24) < 1e-9);
});

void test('a router that ranks backwards stays below the diagonal and never reaches 80 % early', () => {
  const score = [0, 0, 0, 0, -1, -1, -1, -1, 1, 0];
  const curve = qualityCurve(strong, weak, score);
  assert.ok(Math.abs(curve[1]!.pgr - -1 / 3) < 1e-12);
  assert.ok(apgr(curve) < 0.5);
  // Row 8 first, the ties next, rows 4–7 last: PGR −1/3 until 60 %, then 0, 1/3, 2/3, 1.
  // CPT(80 %) = 90 % + 0.4 × 10 % = 94 %.
  assert.ok(Math.abs(cpt(curve, 0.8)! - 94) < 1e-9);
  assert.equal(cpt(curve, 1.5), null);
});

void test('when every row gains the same, any order traces the straight line from weak to strong (APGR .5)', () => {
  const s = new Array(10).fill(1);
  const w = new Array(10).fill(0);
  const curve = qualityCurve(s, w, new Array(10).fill(0));
  assert.ok(Math.abs(apgr(curve) - 0.5) < 1e-12);
});

void test('cross-validation scores are ranked within their fold: a fold-level offset carries no credit or blame', async () => {
  const { rankWithinFolds } = await import('../../../daemon/benchmark/run');
  assert.deepEqual(rankWithinFolds([10, 20, 1, 2], [0, 0, 1, 1]), [0.25, 0.75, 0.25, 0.75]);
  // Fold 1 holds every row where the strong model gains; the router of fold 0 (trained on fold 1)
  // therefore scores all of fold 0 higher. Pooled, that offset alone ranks the losers first.
  const s = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
  const w = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
  const folds = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
  const informationless = folds.map((f) => (f === 0 ? 0.9 : 0.1));
  assert.ok(apgr(qualityCurve(s, w, informationless)) < 0.3);
  assert.ok(Math.abs(apgr(qualityCurve(s, w, rankWithinFolds(informationless, folds))) - 0.5) < 0.1);
});
