// The daemon's benchmark service runs one benchmark at a time: runs share the data dir's embedding
// cache (one append-only file), which two threads appending at once could corrupt for both runs.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { BenchmarkReport, LiveEvent } from '../../../shared/api';
import { FugusashiError } from '../../../shared/errors';
import type { BenchmarkOptions } from '../../../daemon/benchmark/run';
import { BenchmarkService } from '../../../daemon/services/benchmark';

const events = { emit: (_e: LiveEvent) => undefined, subscribe: () => () => undefined, listeners: 0 };

/** A runner that holds each run until the test lets it go, and records how many ran at once. */
function heldRunner() {
  let active = 0;
  let most = 0;
  const started: string[] = [];
  const release = new Map<string, () => void>();
  const runner = async (options: BenchmarkOptions): Promise<BenchmarkReport> => {
    const name = options.file ?? options.train ?? '?';
    active++;
    most = Math.max(most, active);
    started.push(name);
    await new Promise<void>((resolve) => release.set(name, resolve));
    active--;
    return { dataset: name, mode: 'folds', rows: 1, models: [], duration_ms: 0 };
  };
  const waitStarted = async (n: number) => {
    while (started.length < n) await new Promise((r) => setImmediate(r));
  };
  return { runner, started, release, waitStarted, most: () => most };
}

void test('benchmark runs take turns; a run cancelled while it waits never starts, and the next still waits', async () => {
  const held = heldRunner();
  const service = new BenchmarkService({
    dataDir: mkdtempSync(path.join(os.tmpdir(), 'fugusashi-bench-turns-')),
    embeddings: () => ({ backend: 'use' }),
    events,
    runner: held.runner,
  });
  const never = new AbortController();
  const run = (dataset: string, signal: AbortSignal = never.signal) =>
    service.run({ dataset, mode: 'folds', runId: dataset }, { signal });
  const a = run('a.csv');
  const cancelB = new AbortController();
  const b = run('b.csv', cancelB.signal);
  const c = run('c.csv');
  await held.waitStarted(1);
  // B is cancelled while A runs: it ends with the cancellation, without starting.
  cancelB.abort();
  await assert.rejects(b, (err) => err instanceof FugusashiError && err.kind === 'Cancelled');
  // C still waits for A (B's end did not let it in).
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(held.started, ['a.csv']);
  held.release.get('a.csv')!();
  assert.equal((await a).dataset, 'a.csv');
  await held.waitStarted(2);
  held.release.get('c.csv')!();
  assert.equal((await c).dataset, 'c.csv');
  assert.deepEqual(held.started, ['a.csv', 'c.csv']);
  assert.equal(held.most(), 1);
});
