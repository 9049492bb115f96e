import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  decodeFastView,
  encodeFastView,
  loadFastView,
  locateFastViewAsset,
  textFor,
} from '../../../daemon/embeddings/fast-view';
import { BoundedBackground, fastViewFor } from '../../../daemon/embeddings/first-view';
import { createUseEmbedder, USE_ID } from '../../../daemon/embeddings/use';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

// Written for this test: none of them is in the eval data the fast view was fitted on.
const HELD_OUT = [
  'How do I reverse a linked list in Python without recursion?',
  'Will it rain in Paris tomorrow afternoon, and should I bring an umbrella?',
  'A train leaves at 3 pm going 60 miles per hour; when does it cover 150 miles?',
  'Summarise the causes of the French Revolution in three bullet points.',
  'Which enzyme breaks down starch in the human mouth?',
  'Write a SQL query that lists customers who ordered nothing last year.',
  'Translate "good morning, how are you?" into Spanish.',
  'My sourdough bread comes out dense. What am I doing wrong?',
];

void test('the shipped fast view is deterministic, 512-d, unit length, and small', () => {
  const file = locateFastViewAsset();
  assert.ok(file, 'daemon/assets/fast-embedding-v1.bin is missing');
  assert.ok(readFileSync(file).length <= 3 * 1024 * 1024, 'the asset should stay under 3 MB');
  const a = loadFastView();
  const b = loadFastView();
  assert.equal(a.header.space, USE_ID);
  for (const text of [...HELD_OUT, '', '   ', 'ü∂ 漢字 🙂']) {
    const v = a.embed(text);
    assert.equal(v.length, 512);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4, `not unit length for ${JSON.stringify(text)}`);
    assert.deepEqual(v, b.embed(text), 'two loads must give the same vector');
    assert.deepEqual(v, a.embed(text), 'the same call twice must give the same vector');
  }
});

void test('the fast view lands near USE on sentences it was never fitted on, nearer its own sentence than any other', async () => {
  const fast = loadFastView();
  const use = createUseEmbedder();
  const full = await use.embed(HELD_OUT.map(textFor));
  const cosines = HELD_OUT.map((t, i) => dot(fast.embed(t), full[i]!));
  const meanCosine = cosines.reduce((s, c) => s + c, 0) / cosines.length;
  assert.ok(meanCosine > 0.6, `mean cosine to USE ${meanCosine.toFixed(3)} (${cosines.map((c) => c.toFixed(2))})`);
  // Retrieval: each fast vector is closest to its own sentence's USE vector among all of them.
  HELD_OUT.forEach((t, i) => {
    const v = fast.embed(t);
    const best = full.map((u, j) => ({ j, s: dot(v, u) })).sort((x, y) => y.s - x.s)[0]!;
    assert.equal(best.j, i, `${JSON.stringify(t)} is closest to ${JSON.stringify(HELD_OUT[best.j])}`);
  });
});

void test('the asset format round-trips and refuses damaged or mismatched files with a clear error', () => {
  const file = locateFastViewAsset()!;
  const bytes = readFileSync(file);
  const decoded = decodeFastView(bytes);
  assert.deepEqual(encodeFastView(decoded), bytes);
  assert.throws(() => decodeFastView(bytes.subarray(0, bytes.length - 100)), /truncated/);
  assert.throws(() => decodeFastView(Buffer.from('not an asset at all')), /not a fast-view asset/);
  const other = path.join(os.tmpdir(), `fast-view-${process.pid}.bin`);
  writeFileSync(other, encodeFastView({ ...decoded, header: { ...decoded.header, vocabulary: 'ffffffffffffffff' } }));
  assert.throws(() => loadFastView(other), /another USE vocabulary/);
});

void test('the fast view applies only to the encoder whose space it shares, and can be turned off', () => {
  assert.ok(fastViewFor(USE_ID, undefined));
  assert.equal(fastViewFor(USE_ID, false), null);
  assert.equal(fastViewFor('Xenova/all-MiniLM-L6-v2', undefined), null);
  const shipped = loadFastView();
  assert.equal(fastViewFor(USE_ID, shipped), shipped);
  assert.equal(fastViewFor('other-encoder', shipped), null);
});

void test('background work is bounded: offers beyond the limit or too soon are dropped, a repeat joins, a failure is swallowed', async () => {
  const release: (() => void)[] = [];
  const started: string[] = [];
  let clock = 0;
  const background = new BoundedBackground(
    (text) => {
      started.push(text);
      return new Promise<void>((resolve, reject) =>
        release.push(text === 'bad' ? () => reject(new Error('x')) : resolve),
      );
    },
    2,
    100,
    () => clock,
  );
  assert.equal(background.offer('bad'), true);
  assert.equal(background.offer('b'), false, 'a second start within the gap is dropped');
  clock = 100;
  assert.equal(background.offer('b'), true);
  assert.equal(background.offer('b'), true, 'a text already running is not started twice');
  clock = 200;
  assert.equal(background.offer('c'), false, 'two running: full');
  assert.deepEqual(started, ['bad', 'b']);
  assert.equal(background.dropped, 2);
  for (const r of release) r();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(background.size, 0);
  clock = 300;
  assert.equal(background.offer('c'), true);
  release.at(-1)!();
});
