// The daemon's idle collection (daemon/app/idle-memory.ts): it runs once the event loop has been
// quiet, never while it is busy, not again while nothing happened, and it gives back the young
// generation a burst of work grew (V8 keeps it committed for as long as the process stays idle).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getHeapSpaceStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fullCollection, IdleMemory } from '../../../daemon/app/idle-memory';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const newSpaceMb = () =>
  (getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0) / 2 ** 20;

/** Keeps the event loop busy about half the time until stopped. */
function busyLoop(): () => void {
  const timer = setInterval(() => {
    const end = Date.now() + 25;
    while (Date.now() < end);
  }, 50);
  return () => clearInterval(timer);
}

/** A burst whose objects survive a while: it grows the young generation to its maximum. */
function burstOfWork(): void {
  let keep: object[] = [];
  for (let i = 0; i < 1_000_000; i++) {
    keep.push({ i, s: `item ${i}` });
    if (keep.length > 200_000) keep = keep.slice(100_000);
  }
}

describe('idle memory', () => {
  test('a full collection is had without --expose-gc, and no context is left with a gc global', async () => {
    const collect = fullCollection();
    assert.equal(typeof collect, 'function');
    assert.equal(runInNewContext('typeof gc'), 'undefined');
    const ref = new WeakRef({ payload: new Array(1000).fill('x') });
    await sleep(0); // a WeakRef holds its target until the end of the job that made it
    collect!();
    assert.equal(ref.deref(), undefined);
  });

  test('collects once the event loop is quiet, never while it is busy, and not again with nothing done', async () => {
    const seen: number[] = [];
    const idle = new IdleMemory({
      checkMs: 100,
      quietChecks: 2,
      minWorkMs: 50,
      settleMs: 200,
      onCollected: () => seen.push(1),
    });
    assert.ok(idle.start());
    const stopBusy = busyLoop();
    try {
      await sleep(1000);
      assert.equal(idle.collections, 0, 'no collection while the event loop is busy');
    } finally {
      stopBusy();
    }
    const quietSince = Date.now();
    while (idle.collections === 0 && Date.now() - quietSince < 15_000) await sleep(100);
    assert.equal(idle.collections, 1, 'one collection once quiet');
    await sleep(800);
    assert.equal(idle.collections, 1, 'no second collection while nothing happened');
    assert.equal(seen.length, 1, 'told what the collection did');
    idle.stop();
  });

  test('light traffic never meets a collection: a reading with a request in it is not quiet', async () => {
    let lastRequestAt = 0;
    const requests = setInterval(() => (lastRequestAt = Date.now()), 60);
    const idle = new IdleMemory({
      checkMs: 100,
      quietChecks: 2,
      minWorkMs: 0,
      settleMs: 200,
      lastRequestAt: () => lastRequestAt,
    });
    idle.start();
    try {
      await sleep(1200);
      assert.equal(idle.collections, 0, 'no collection while requests come in');
    } finally {
      clearInterval(requests);
    }
    const quietSince = Date.now();
    while (idle.collections === 0 && Date.now() - quietSince < 15_000) await sleep(100);
    assert.equal(idle.collections, 1, 'one collection once the requests stopped');
    idle.stop();
  });

  test('gives back the young generation a burst of work grew, once quiet for V8 to see a low allocation rate', async () => {
    burstOfWork();
    const grown = newSpaceMb();
    assert.ok(grown >= 8, `the burst grew the young generation (${grown} MB)`);
    const results: number[] = [];
    // The daemon's settle time between its two collections; quiet sooner than the daemon's 5 s.
    const idle = new IdleMemory({ checkMs: 250, quietChecks: 2, onCollected: (r) => results.push(r.newSpaceMb) });
    idle.start();
    while (results.length === 0) await sleep(250);
    idle.stop();
    assert.ok(results[0]! <= 4, `young generation ${grown} MB → ${results[0]} MB after the idle collection`);
  });
});
