import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { contentKey } from '../../../daemon/embeddings/text';

// Keys name the entries of every on-disk embedding cache and the learner's prompts: a new way of
// computing them must give the keys the caches were written with.
void test('contentKey is the first 16 bytes of sha256(embedder id, NUL, text), in hex', () => {
  for (const text of ['', 'hello', 'Émile Zola «J’accuse…!»', '日本語 🎉', 'x'.repeat(5000), 'a\0b']) {
    for (const id of ['use-lite-512', 'Xenova/all-MiniLM-L6-v2']) {
      const expected = createHash('sha256').update(id).update('\0').update(text).digest('hex').slice(0, 32);
      assert.equal(contentKey(id, text), expected, JSON.stringify([id, text]));
    }
  }
});
