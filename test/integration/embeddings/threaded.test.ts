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

void test('an idle worker is ended and the next embedding starts a new one with the same vectors', async () => {
  const logs: string[] = [];
  const threaded = createThreadedUseEmbedder((msg) => logs.push(msg), { idleMs: 200 });
  const text = 'Summarise the plot of Hamlet in five sentences.';
  const [first] = await threaded.embed([text]);
  assert.equal(threaded.running, true);
  const idleSince = Date.now();
  while (threaded.running) {
    assert.ok(Date.now() - idleSince < 10_000, 'the idle worker was not ended');
    await new Promise((r) => setTimeout(r, 50));
  }
  const [again] = await threaded.embed([text]);
  assert.equal(threaded.running, true);
  assert.deepEqual([...again!], [...first!]);
  // Ending an idle worker is not a failure: nothing falls back to embedding in-thread.
  assert.ok(!logs.some((l) => /in-thread|failed/.test(l)), logs.join('\n'));
});
