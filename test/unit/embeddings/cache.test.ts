import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Embedder } from '../../../daemon/core/ports';
import { CachingEmbedder } from '../../../daemon/embeddings/cached';
import { DiskEmbeddingCache } from '../../../daemon/embeddings/disk-cache';
import { LruCache } from '../../../daemon/embeddings/lru';
import { boundForEmbedding } from '../../../daemon/embeddings/text';

/** A deterministic 4-d embedder that records what it was asked to embed. */
function countingEmbedder(): Embedder & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    id: 'count-4',
    dimensions: 4,
    calls,
    embed(texts) {
      calls.push([...texts]);
      return Promise.resolve(
        texts.map((t) => {
          const v = Float32Array.from([t.length, t.charCodeAt(0) || 1, 1, 2]);
          const n = Math.hypot(...v);
          return v.map((x) => x / n);
        }),
      );
    },
  };
}

void test('LRU evicts the least recently used entry', () => {
  const lru = new LruCache<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  lru.get('a');
  lru.set('c', 3);
  assert.equal(lru.get('b'), undefined);
  assert.equal(lru.get('a'), 1);
  assert.equal(lru.get('c'), 3);
});

void test('repeats are served from memory and each distinct text is embedded once', async () => {
  const inner = countingEmbedder();
  const e = new CachingEmbedder(inner);
  const [a1, b1, a2] = await e.embed(['alpha', 'beta', 'alpha']);
  assert.deepEqual(a1, a2);
  assert.notDeepEqual(a1, b1);
  await e.embed(['beta', 'alpha']);
  assert.deepEqual(inner.calls.flat().sort(), ['alpha', 'beta']);
  assert.equal(e.misses, 2);
  assert.ok(e.peek('alpha'));
  assert.equal(e.peek('gamma'), undefined);
});

void test('the disk cache survives a restart and ignores a torn last record', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-emb-'));
  const inner = countingEmbedder();
  const disk = new DiskEmbeddingCache(dir, inner.id, 4);
  const first = await new CachingEmbedder(inner, { disk }).embed(['one', 'two']);
  disk.close();
  appendFileSync(disk.file, Buffer.from([1, 2, 3])); // a crash mid-append

  const again = countingEmbedder();
  const reopened = new DiskEmbeddingCache(dir, again.id, 4);
  assert.equal(reopened.size, 2);
  const second = await new CachingEmbedder(again, { disk: reopened }).embed(['two', 'one', 'three']);
  assert.deepEqual(second[0], first[1]);
  assert.deepEqual(second[1], first[0]);
  assert.deepEqual(again.calls, [['three']]);
  reopened.close();
  // The torn bytes were cut before appending: whole records only.
  assert.equal(statSync(reopened.file).size % (16 + 4 * 4), 0);
  assert.equal(new DiskEmbeddingCache(dir, again.id, 4).size, 3);
});

void test('a long text is embedded by its focus: the last block when it is a question, else head and tail', () => {
  const long = `${'a'.repeat(2000)}QUESTION${'b'.repeat(900)}`;
  const bounded = boundForEmbedding(long);
  assert.ok(bounded.length <= 610);
  assert.ok(bounded.startsWith('aaaa'));
  assert.ok(bounded.endsWith('bbbb'));
  assert.equal(boundForEmbedding('  short  '), 'short');
  // Few-shot layout: the worked examples repeat in every prompt, the last block is the question.
  const shots = Array.from({ length: 30 }, (_, i) => `Example ${i}: what is ${i} + ${i}?\nAnswer: ${2 * i}`).join(
    '\n\n',
  );
  const question = 'A train leaves at noon at 60 km/h; when has it covered 150 km?\nAnswer:';
  assert.equal(boundForEmbedding(`${shots}\n\n${question}`), question);
  assert.equal(boundForEmbedding(`${shots}\\n\\n${question}`), question, 'escaped line breaks (string literals)');
});

void test('the disk cache gives back each stored vector exactly, in the session that wrote it and after reopening', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-emb-'));
  const dims = 8;
  const key = (i: number) => i.toString(16).padStart(32, '0');
  const vector = (i: number) => Float32Array.from({ length: dims }, (_, j) => Math.sin(i * 31 + j) / (j + 1));
  const disk = new DiskEmbeddingCache(dir, 'exact', dims);
  for (let batch = 0; batch < 3; batch++) {
    disk.putMany(
      Array.from({ length: 700 }, (_, i) => ({ key: key(batch * 700 + i), vector: vector(batch * 700 + i) })),
    );
  }
  // A key stored before keeps its first vector.
  disk.putMany([
    { key: key(5), vector: vector(99_999) },
    { key: key(3000), vector: vector(3000) },
  ]);
  assert.equal(disk.size, 2101);
  for (const i of [0, 5, 699, 700, 1399, 2099, 3000]) assert.deepEqual(disk.get(key(i)), vector(i));
  assert.equal(disk.get(key(2100)), undefined);
  disk.close();
  const reopened = new DiskEmbeddingCache(dir, 'exact', dims);
  assert.equal(reopened.size, 2101);
  for (let i = 0; i < 2100; i += 97) assert.deepEqual(reopened.get(key(i)), vector(i));
  assert.deepEqual(reopened.get(key(3000)), vector(3000));
  reopened.close();
});

void test("vectors asked into the caller's buffer: disk hits are read there, misses copied there, each exact; reusing the buffer changes nothing cached", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-emb-'));
  const texts = ['one', 'two', 'three', 'four'];
  const expected = await new CachingEmbedder(countingEmbedder()).embed(texts);
  const into = new Float32Array(texts.length * 4 + 3);
  for (const disk of [undefined, new DiskEmbeddingCache(dir, 'count-4', 4)]) {
    const inner = countingEmbedder();
    const e = new CachingEmbedder(inner, { disk });
    // First call: misses (computed, then copied in); second: hits (from disk, or from the LRU).
    for (const round of [1, 2]) {
      const order = round === 1 ? texts : [...texts].reverse();
      const vectors = await e.embed(order, into);
      vectors.forEach((v, i) => {
        assert.equal(v.buffer, into.buffer, `${disk ? 'disk' : 'memory'} round ${round}: a view of the buffer`);
        assert.equal(v.byteOffset, i * 16);
        assert.deepEqual(v, expected[texts.indexOf(order[i]!)]);
      });
      into.fill(0); // the caller reuses its buffer: what is cached must not change with it
    }
    assert.deepEqual(inner.calls.flat().sort(), [...texts].sort());
    assert.deepEqual(await e.embed(['two']), [expected[1]]);
    assert.deepEqual(e.peek('four'), expected[3]);
    disk?.close();
  }
  await assert.rejects(new CachingEmbedder(countingEmbedder()).embed(texts, new Float32Array(15)), /do not fit/);
});
