import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { runDag, type DagNode } from '../../../daemon/orchestrator/scheduler';

const node = (id: string, ...depends_on: string[]): DagNode => ({ id, depends_on });

test('independent steps run in parallel but never more than maxParallel at once', async () => {
  let active = 0;
  let peak = 0;
  const started: string[] = [];
  const results = await runDag({
    nodes: ['a', 'b', 'c', 'd', 'e'].map((id) => node(id)),
    maxParallel: 2,
    signal: new AbortController().signal,
    run: async (n) => {
      started.push(n.id);
      active++;
      peak = Math.max(peak, active);
      await sleep(15);
      active--;
      return n.id;
    },
  });
  assert.equal(peak, 2);
  assert.deepEqual(started, ['a', 'b', 'c', 'd', 'e']); // plan order among ready steps
  assert.ok([...results.values()].every((r) => r.status === 'ok'));
});

test('with maxParallel 3, three independent steps overlap in time', async () => {
  const t0 = Date.now();
  await runDag({
    nodes: [node('a'), node('b'), node('c')],
    maxParallel: 3,
    signal: new AbortController().signal,
    run: async () => sleep(60),
  });
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 150, `took ${elapsed} ms; sequential would be ≥ 180`);
});

test('a step starts only after its dependencies finished and receives their results', async () => {
  const finished = new Set<string>();
  const seen: Record<string, string[]> = {};
  const results = await runDag({
    nodes: [node('a'), node('b'), node('c', 'a', 'b'), node('d', 'c')],
    maxParallel: 4,
    signal: new AbortController().signal,
    run: async (n, deps) => {
      for (const d of n.depends_on) assert.ok(finished.has(d), `${n.id} started before ${d} finished`);
      seen[n.id] = [...deps.entries()].map(([k, v]) => `${k}=${v}`);
      await sleep(n.id === 'a' ? 30 : 5);
      finished.add(n.id);
      return n.id.toUpperCase();
    },
  });
  assert.deepEqual(seen.c, ['a=A', 'b=B']);
  assert.deepEqual(seen.d, ['c=C']);
  assert.deepEqual(results.get('d'), { status: 'ok', value: 'D' });
});

test('a failed step skips its dependents while independent steps still run', async () => {
  const ran: string[] = [];
  const results = await runDag({
    nodes: [node('a'), node('b', 'a'), node('c', 'b'), node('x')],
    maxParallel: 2,
    signal: new AbortController().signal,
    run: async (n) => {
      ran.push(n.id);
      if (n.id === 'a') throw new Error('upstream 500');
      return n.id;
    },
  });
  assert.deepEqual(ran.sort(), ['a', 'x']);
  assert.equal(results.get('a')?.status, 'failed');
  assert.deepEqual(results.get('b'), { status: 'skipped', reason: 'depends on "a", which failed' });
  assert.deepEqual(results.get('c'), { status: 'skipped', reason: 'depends on "b", which skipped' });
  assert.equal(results.get('x')?.status, 'ok');
});

test('aborting stops every running step through its signal and skips the rest', async () => {
  const controller = new AbortController();
  const abortedSteps: string[] = [];
  const started: string[] = [];
  const pending = runDag({
    nodes: [node('a'), node('b'), node('c', 'a'), node('d')],
    maxParallel: 2,
    signal: controller.signal,
    run: (n, _deps, signal) =>
      new Promise<string>((resolve, reject) => {
        started.push(n.id);
        const timer = setTimeout(() => resolve(n.id), 5_000);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          abortedSteps.push(n.id);
          reject(new Error('aborted'));
        });
      }),
  });
  await sleep(20);
  const t0 = Date.now();
  controller.abort(new Error('client went away'));
  const results = await pending;
  assert.ok(Date.now() - t0 < 500);
  assert.deepEqual(started, ['a', 'b']);
  assert.deepEqual(abortedSteps.sort(), ['a', 'b']);
  assert.equal(results.get('a')?.status, 'failed');
  assert.deepEqual(results.get('c'), { status: 'skipped', reason: 'client went away' });
  assert.deepEqual(results.get('d'), { status: 'skipped', reason: 'client went away' });
});

test('an already aborted signal runs nothing', async () => {
  const controller = new AbortController();
  controller.abort('cancelled');
  let calls = 0;
  const results = await runDag({
    nodes: [node('a')],
    maxParallel: 1,
    signal: controller.signal,
    run: async () => ++calls,
  });
  assert.equal(calls, 0);
  assert.deepEqual(results.get('a'), { status: 'skipped', reason: 'cancelled' });
});
