import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createUseEmbedder, USE_ID } from '../../../daemon/embeddings/use';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

void test('the bundled USE model gives 512-d unit vectors; similar sentences are closer than unrelated ones', async () => {
  const embedder = createUseEmbedder();
  assert.equal(embedder.id, USE_ID);
  const [code1, code2, weather, empty] = await embedder.embed([
    'How do I reverse a linked list in Python?',
    'Write Python code that reverses a singly linked list.',
    'Will it rain in Paris tomorrow afternoon?',
    '',
  ]);
  for (const v of [code1!, code2!, weather!, empty!]) {
    assert.equal(v.length, 512);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4);
  }
  assert.ok(dot(code1!, code2!) > dot(code1!, weather!) + 0.2, `${dot(code1!, code2!)} vs ${dot(code1!, weather!)}`);
  assert.ok(dot(code2!, weather!) < 0.5);
});
