import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createThreadedUseEmbedder } from '../../../daemon/embeddings/threaded';
import { createUseEmbedder } from '../../../daemon/embeddings/use';

void test('the worker-thread embedder returns the in-thread vectors and leaves the event loop free', async () => {
  const logs: string[] = [];
  const threaded = createThreadedUseEmbedder((msg) => logs.push(msg));
  await threaded.load();
  const texts = ['How do I reverse a list in Python?', 'Translate "good morning" into Japanese.'];
  const [a, b] = await Promise.all([threaded.embed(texts), createUseEmbedder().embed(texts)]);
  assert.equal(a.length, 2);
  a.forEach((v, i) => assert.deepEqual([...v], [...b[i]!]));
  assert.ok(!logs.some((l) => /in-thread/.test(l)), logs.join('\n'));

  // While the worker embeds a long text, timers on this thread keep firing.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  await threaded.embed(['Explain the difference between processes and threads, with examples. '.repeat(7)]);
  clearInterval(timer);
  assert.ok(ticks > 0, 'no timer fired during the embedding: the event loop was blocked');
});
