// Which repeats of a conversation are a user's "regenerate" (a weak 2-star signal on the first
// answer) and which are a program's. Real ImplicitSignals, Feedback and embedded store; the clock is
// the records' own times and the wait for the series to stop is run by hand (no sleeping).
// Before: any repeat of the same prompt text within 10 minutes, from anyone, concurrent or not, was
// a regenerate, so 30 identical requests made 29 of them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import type { RequestRecord, Store } from '../../../daemon/core/ports';
import type { ServiceDeps } from '../../../daemon/services/deps';
import { Feedback } from '../../../daemon/services/feedback';
import { ImplicitSignals, READING_MS, REPEAT_WINDOW_MS } from '../../../daemon/services/implicit';
import { openStore } from '../../../daemon/store';
import { makeRequest, T0 } from '../../fixtures/store/records';

let dir: string;
let store: Store;
let signals: ImplicitSignals;
/** Waits (the schedule's callbacks) not yet run; runWaits() plays them as time passing would. */
let waiting: (() => void)[];
let n = 0;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-implicit-'));
  store = await openStore({ dataDir: dir });
});
after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  const deps = {
    store,
    config: () => ({ feedback: { enabled: true, implicitSignals: true, retrainEvery: 1000 } }),
    now: () => T0,
  } as unknown as ServiceDeps;
  const events = { emit: () => undefined, subscribe: () => () => undefined, listeners: 0 };
  waiting = [];
  signals = new ImplicitSignals(deps, new Feedback(deps, events), {
    windowMs: REPEAT_WINDOW_MS,
    readingMs: READING_MS,
    schedule: (fn) => {
      const entry = { cancelled: false };
      waiting.push(() => entry.cancelled || fn());
      return () => (entry.cancelled = true);
    },
  });
});

function runWaits(): void {
  for (const fn of waiting.splice(0)) fn();
}

/** An answered request of `content` that started at `startMs` and took 1 s. */
function ask(
  content: string,
  startMs: number,
  options: { client?: string; model?: string; forced?: boolean } = {},
): RequestRecord {
  const record = makeRequest(++n * 10, {
    created_at: T0 + startMs + 1000,
    latency_ms: 1000,
    routing_text: content,
    messages: [{ role: 'user', content }],
    requested_model: options.forced ? (options.model ?? 'model-b') : 'auto',
    status: 'ok',
    answered_by: options.model ?? 'model-a',
    attempts: [],
  });
  store.saveRequest(record);
  signals.afterRequest(record, options.forced ?? false, options.client ?? 'http:one');
  return record;
}

const feedbackOf = (r: RequestRecord) => store.getTrace(r.request_id)!.feedback.map((f) => f.source);

test('a user re-asking once, after reading the answer, marks that answer as not kept', () => {
  const first = ask('Explain monads', 0);
  const again = ask('Explain monads', 20_000);
  assert.deepEqual(feedbackOf(first), [], 'recorded only once the series has stopped');
  runWaits();
  assert.deepEqual(feedbackOf(first), ['implicit:regenerate']);
  assert.deepEqual(feedbackOf(again), []);
});

test('a health check every 30 s records nothing', () => {
  const pings = Array.from({ length: 10 }, (_, i) => ask('ping', i * 30_000));
  runWaits();
  for (const p of pings) assert.deepEqual(feedbackOf(p), []);
});

test('a batch job sending one prompt back to back, or concurrently, records nothing', () => {
  const batch = Array.from({ length: 30 }, (_, i) => ask('Summarise: hello', i * 1_100));
  const concurrent = [ask('Translate: hi', 0), ask('Translate: hi', 200)];
  // A pair back to back (the second sent as the first ended) is not a reader's repeat either.
  const pair = [ask('Classify: spam?', 0), ask('Classify: spam?', 1_500)];
  runWaits();
  for (const r of [...batch, ...concurrent, ...pair]) assert.deepEqual(feedbackOf(r), []);
});

test('another client asking the same prompt is not a regenerate; neither is a repeat after the window', () => {
  const mine = ask('What is a closure?', 0, { client: 'http:alice' });
  ask('What is a closure?', 20_000, { client: 'http:bob' });
  const late = ask('What is a functor?', 0);
  ask('What is a functor?', REPEAT_WINDOW_MS + 60_000);
  runWaits();
  assert.deepEqual(feedbackOf(mine), []);
  assert.deepEqual(feedbackOf(late), []);
});

test('a longer conversation is its own: the same last prompt after different turns is not a repeat', () => {
  const record = ask('And in Rust?', 0);
  const other = makeRequest(++n * 10, {
    created_at: T0 + 21_000,
    latency_ms: 1000,
    routing_text: 'And in Rust?',
    messages: [
      { role: 'user', content: 'How do I sort in Go?' },
      { role: 'assistant', content: 'sort.Slice' },
      { role: 'user', content: 'And in Rust?' },
    ],
    status: 'ok',
    answered_by: 'model-a',
    attempts: [],
  });
  store.saveRequest(other);
  signals.afterRequest(other, false, 'http:one');
  runWaits();
  assert.deepEqual(feedbackOf(record), []);
});

test('forcing another model after an auto answer is an override, at once; not while that answer was running', () => {
  const auto = ask('Write a limerick', 0);
  ask('Write a limerick', 10_000, { forced: true, model: 'model-b' });
  assert.deepEqual(feedbackOf(auto), ['implicit:override']);
  const running = ask('Write a sonnet', 0);
  ask('Write a sonnet', 500, { forced: true, model: 'model-b' });
  assert.deepEqual(feedbackOf(running), []);
});
