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

void test('a scan returns the exact top k, best first, across code chunks, skipping the excluded point', () => {
  const random = seededRandom(11);
  const dims = 16;
  const index = new PromptIndex(dims);
  const vectors = Array.from({ length: 2500 }, () => unit(Float32Array.from({ length: dims }, () => random() - 0.5)));
  vectors.forEach((v, i) => index.add(`k${i}`, v, 'm', 1, 1));
  const q = vectors[2100]!;
  const expected = vectors
    .map((_, p) => ({ p, s: index.similarity(q, p) }))
    .filter((x) => x.p !== 2100)
    .sort((a, b) => b.s - a.s)
    .slice(0, 7);
  const found = index.search(q, 7, 2100);
  assert.deepEqual(
    found.map((n) => n.point),
    expected.map((x) => x.p),
  );
  const back = index.vectorOf(2100);
  assert.ok(back.every((x, i) => Math.abs(x - q[i]!) < 0.01));
  assert.equal(index.search(q, 3000).length, 2500);
});

void test('stats merge per prompt and model, and read the same through statOf, forEachStat and stats[p]', () => {
  const index = new PromptIndex(4);
  const v = unit(Float32Array.from([1, 2, 3, 4]));
  const p = index.add('a', v, 'x', 1, 1);
  index.add('a', v, 'x', 0, 3);
  index.add('a', v, 'y', 0.5, 2);
  const other = index.add('b', unit(Float32Array.from([4, 3, 2, 1])), 'y', 1, 1);
  assert.notEqual(p, other);
  const x = index.findModel('x')!;
  const y = index.findModel('y')!;
  assert.deepEqual(index.statOf(p, x), { sum: 1, weight: 4 });
  assert.deepEqual(index.statOf(p, y), { sum: 1, weight: 2 });
  assert.deepEqual(index.statOf(other, x), undefined);
  assert.deepEqual(index.statOf(other, y), { sum: 1, weight: 1 });
  assert.equal(index.size, 2);
  const seen: [number, number, number][] = [];
  index.forEachStat(p, (m, sum, weight) => seen.push([m, sum, weight]));
  assert.deepEqual(
    seen.sort((a, b) => a[0] - b[0]),
    [
      [x, 1, 4],
      [y, 1, 2],
    ],
  );
});

void test('points added while the inverted file is being built are searchable afterwards', async () => {
  const random = seededRandom(13);
  const dims = 8;
  const index = new PromptIndex(dims);
  const rand = () => unit(Float32Array.from({ length: dims }, () => random() - 0.5));
  for (let p = 0; p < SCAN_LIMIT + 100; p++) index.add(`p${p}`, rand(), 'm', 1, 1);
  const during: Float32Array[] = [];
  let yields = 0;
  await index.buildCells(random, async () => {
    if (yields++ % 3 === 0) {
      const v = rand();
      during.push(v);
      index.add(`during${during.length}`, v, 'm', 1, 1);
    }
  });
  assert.ok(during.length > 0);
  for (const [i, v] of during.entries()) {
    assert.equal(index.search(v, 1)[0]!.point, index.pointOf(`during${i + 1}`));
  }
});

void test('a scan reports each point with exactly similarity()’s value, two points at a time or one (odd counts and widths)', () => {
  const random = seededRandom(13);
  for (const [count, dims] of [
    [1, 8],
    [2, 5],
    [1027, 18],
    [1030, 16],
  ] as const) {
    const index = new PromptIndex(dims);
    const vectors = Array.from({ length: count }, () =>
      unit(Float32Array.from({ length: dims }, () => random() - 0.5)),
    );
    vectors.forEach((v, i) => index.add(`k${i}`, v, 'm', 1, 1));
    const q = unit(Float32Array.from({ length: dims }, () => random() - 0.5));
    const found = index.search(q, count);
    assert.equal(found.length, count);
    for (const n of found)
      assert.equal(n.similarity, index.similarity(q, n.point), `${count}×${dims}, point ${n.point}`);
    assert.deepEqual(new Set(found.map((n) => n.point)).size, count);
  }
});
