// The store at dashboard scale: 10,000 requests, 2,000 ratings and 100,000 outcomes. Prints the
// figures (CPU time is reported next to wall time because test machines are often shared) and
// fails on order-of-magnitude regressions: a page or an aggregate that turned into a full scan.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { openStore } from '../../../daemon/store';
import { POOL, T0, makeFeedback, makeOutcome, makeRequest } from '../../fixtures/store/records';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-store-perf-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function measure<T>(runs: number, work: () => T): { wallMs: number; cpuMs: number; result: T } {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let result!: T;
  for (let i = 0; i < runs; i++) result = work();
  const used = process.cpuUsage(cpu);
  return { wallMs: (performance.now() - started) / runs, cpuMs: (used.user + used.system) / 1000 / runs, result };
}
const fmt = (m: { wallMs: number; cpuMs: number }, unit: 'ms' | 'µs' = 'ms') =>
  unit === 'ms'
    ? `${m.wallMs.toFixed(2)} ms (cpu ${m.cpuMs.toFixed(2)} ms)`
    : `${(m.wallMs * 1000).toFixed(1)} µs (cpu ${(m.cpuMs * 1000).toFixed(1)} µs)`;

test(
  '10k requests and 100k outcomes: writes, aggregates, pages and snapshots stay fast',
  { timeout: 110_000 },
  async (t) => {
    const logs: string[] = [];
    const store = await openStore({ dataDir: dir, snapshotIntervalMs: 3_600_000, log: (m) => logs.push(m) });
    const REQUESTS = 10_000;
    const records = Array.from({ length: REQUESTS }, (_, i) => makeRequest(i));
    let next = 0;
    const save = measure(REQUESTS, () => store.saveRequest(records[next++] as (typeof records)[number]));
    // saveRequest applies its records to sql.js after returning (store.ts); let that happen here,
    // or the first addFeedback below (which reads) would be charged with all 10k of them.
    const applied = measure(1, () => store.countOutcomes());
    let rated = 0;
    const feedback = measure(2_000, () => store.addFeedback(makeFeedback(rated++ * 5)));
    const outcomes = measure(1, () => {
      for (let batch = 0; batch < 100; batch++)
        store.addOutcomes(Array.from({ length: 1_000 }, (_, k) => makeOutcome(batch * 1_000 + k)));
    });
    assert.equal(store.countOutcomes(), 100_000);

    const stats = measure(5, () => store.stats(POOL));
    assert.equal(stats.result.requests, REQUESTS);
    const statsRecent = measure(5, () => store.stats(POOL, T0 + (REQUESTS - 1_000) * 1000));
    assert.equal(statsRecent.result.requests, 1_000);
    const firstPage = measure(10, () => store.listDecisions({ limit: 50 }));
    const deepPage = measure(10, () => store.listDecisions({ limit: 50, before: T0 + 500 * 1000 }));
    assert.equal(deepPage.result[0]?.request_id, 'fugu-test-499');
    const rankings = measure(5, () => store.rankings(POOL));
    const usage = measure(5, () => store.usageOverTime(3_600_000));
    const trace = measure(100, () => store.getTrace('fugu-test-4242'));
    const newOutcomes = measure(10, () => store.listOutcomes(99_900));
    assert.equal(newOutcomes.result.length, 100);
    // The first background snapshot also starts the worker thread; the second shows the steady state.
    let inFlight: Promise<void> = store.snapshot();
    await inFlight;
    for (let i = 0; i < 100; i++) store.saveRequest(makeRequest(REQUESTS + 1 + i));
    const snapshot = measure(1, () => (inFlight = store.snapshot()));
    await inFlight;
    const written = logs.filter((l) => l.includes('snapshot written')).pop();
    assert.ok(written, logs.join('\n'));
    const close = measure(1, () => store.close());
    const fsyncDir = mkdtempSync(path.join(os.tmpdir(), 'fugu-store-fsync-'));
    const withFsync = await openStore({ dataDir: fsyncDir, fsync: true });
    let fsyncNext = 0;
    const fsynced = measure(200, () => withFsync.saveRequest(records[fsyncNext++] as (typeof records)[number]));
    withFsync.close();
    rmSync(fsyncDir, { recursive: true, force: true });
    const reopenStarted = performance.now();
    // The fallback without a worker thread: the export runs on the event loop.
    const reopened = await openStore({ dataDir: dir, snapshotWorker: false, log: (m) => logs.push(m) });
    const reopenMs = performance.now() - reopenStarted;
    assert.equal(reopened.countOutcomes(), 100_000);
    assert.equal(reopened.stats(POOL).requests, REQUESTS + 100);
    reopened.saveRequest(makeRequest(REQUESTS + 1000));
    const onLoop = measure(1, () => (inFlight = reopened.snapshot()));
    await inFlight;
    const exported = logs.filter((l) => l.includes('snapshot exported')).pop();
    reopened.close();

    t.diagnostic(
      `saveRequest: ${fmt(save, 'µs')} each, then applying the 10k to sql.js ${fmt(applied)}; ` +
        `addFeedback: ${fmt(feedback, 'µs')} each`,
    );
    t.diagnostic(`saveRequest with fsync: true (power-loss durability): ${fmt(fsynced, 'µs')} each`);
    t.diagnostic(`addOutcomes: 100 batches of 1,000 in ${fmt(outcomes)}`);
    t.diagnostic(`stats (10k requests): ${fmt(stats)}; stats since (last 1k): ${fmt(statsRecent)}`);
    t.diagnostic(`listDecisions 50: newest ${fmt(firstPage)}, deep page ${fmt(deepPage)}`);
    t.diagnostic(`rankings ${fmt(rankings)}; usageOverTime (hourly) ${fmt(usage)}; getTrace ${fmt(trace)}`);
    t.diagnostic(`listOutcomes(afterId) 100 of 100k: ${fmt(newOutcomes)}`);
    t.diagnostic(`background snapshot on the worker thread, blocking part: ${fmt(snapshot)}; ${written}`);
    t.diagnostic(
      `background snapshot without the worker, blocking part (commit + export): ${fmt(onLoop)}; ${exported}`,
    );
    t.diagnostic(`close (final snapshot): ${fmt(close)}; reopen: ${reopenMs.toFixed(0)} ms`);

    // Generous bounds: these catch a full scan per page or per write, not a slow machine.
    assert.ok(save.cpuMs < 1, `saveRequest cpu ${save.cpuMs} ms`);
    assert.ok(firstPage.cpuMs < 50 && deepPage.cpuMs < 50, 'a page of decisions must not scan the table');
    assert.ok(stats.cpuMs < 500, `stats cpu ${stats.cpuMs} ms`);
    assert.ok(newOutcomes.cpuMs < 50, 'listOutcomes(afterId) must not scan all outcomes');
    // The on-loop path costs ~190 ms of CPU here: 100 ms tells the two apart without timing the machine.
    assert.ok(snapshot.cpuMs < 100, `a worker snapshot blocked the event loop for ${snapshot.cpuMs} ms of CPU`);
  },
);
