import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../../daemon/benchmark/folds';
import { PromptIndex, SCAN_LIMIT } from '../../../daemon/core/learned/neighbours';

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

void test('int8 storage keeps similarities within 0.01 of the float values', () => {
  const random = seededRandom(3);
  const index = new PromptIndex(64);
  const vectors = Array.from({ length: 50 }, () => unit(Float32Array.from({ length: 64 }, () => random() - 0.5)));
  vectors.forEach((v, i) => index.add(`k${i}`, v, 'm', 1, 1));
  const q = vectors[7]!;
  vectors.forEach((v, p) => {
    const exact = v.reduce((s, x, i) => s + x * q[i]!, 0);
    assert.ok(Math.abs(index.similarity(q, p) - exact) < 0.01);
  });
  assert.equal(index.search(q, 3)[0]!.point, 7);
});

void test('above the scan limit the inverted file still finds the nearest points of a cluster', async () => {
  const random = seededRandom(5);
  const dims = 32;
  const centres = Array.from({ length: 60 }, () => unit(Float32Array.from({ length: dims }, () => random() - 0.5)));
  const index = new PromptIndex(dims);
  const n = SCAN_LIMIT + 2000;
  const points: Float32Array[] = [];
  for (let p = 0; p < n; p++) {
    const c = centres[p % centres.length]!;
    const v = unit(c.map((x) => x + 0.05 * (random() - 0.5)));
    points.push(v);
    index.add(`p${p}`, v, 'm', 1, 1);
  }
  await index.buildCells(random);
  let hits = 0;
  for (let t = 0; t < 50; t++) {
    const p = Math.floor(random() * n);
    const found = index.search(points[p]!, 5);
    if (found[0]!.point === p) hits++;
  }
  assert.ok(hits >= 48, `recall@1 ${hits}/50`);
  // A point added after the build goes into its cell and is found.
  const late = unit(centres[3]!.map((x) => x + 0.01));
  const id = index.add('late', late, 'm', 1, 1);
  assert.equal(index.search(late, 1)[0]!.point, id);
});
