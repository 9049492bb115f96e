// The live multi-model stack reads embeddings projected onto their principal directions: for
// vectors that lie in a low-dimensional subspace, the projection keeps their cosines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../../daemon/benchmark/folds';
import { Projection } from '../../../daemon/core/learned/multi-projection';

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

void test('projecting 64-d vectors that span 8 directions onto 8 keeps every cosine', async () => {
  const random = seededRandom(3);
  const basis = Array.from({ length: 8 }, () => unit(Float32Array.from({ length: 64 }, () => random() - 0.5)));
  const vectors = Array.from({ length: 300 }, () => {
    const v = new Float32Array(64);
    basis.forEach((b) => {
      const w = random() - 0.3;
      b.forEach((x, i) => (v[i] = v[i]! + w * x));
    });
    return unit(v);
  });
  const projection = await Projection.fit(vectors, 8, seededRandom(1));
  assert.equal(projection.to, 8);
  const projected = vectors.map((v) => projection.apply(v));
  for (let i = 0; i < 50; i++) {
    const [a, b] = [i, 299 - i];
    assert.ok(Math.abs(dot(vectors[a]!, vectors[b]!) - dot(projected[a]!, projected[b]!)) < 1e-3);
  }
  assert.ok(Math.abs(Math.hypot(...projected[0]!) - 1) < 1e-5);
  // Onto fewer directions than the data spans, cosines are only approximated (and still unit).
  const coarse = await Projection.fit(vectors, 2, seededRandom(1));
  assert.equal(coarse.apply(vectors[0]!).length, 2);
});
