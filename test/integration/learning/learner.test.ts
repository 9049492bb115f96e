import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promptFeatureVector } from '../../../daemon/core/learned/features';
import type { Outcome } from '../../../daemon/core/ports';
import { createLearner } from '../../../daemon/services/learner';
import { candidate, outcomeStore, routeInput, standInEmbedder } from '../../helpers/learning';

const outcome = (prompt: string, model: string, score: number): Omit<Outcome, 'id'> => ({
  prompt,
  model,
  score,
  weight: 1,
  source: 'seed',
  request_id: null,
  created_at: Date.now(),
});

const input = (text: string, embedding: Float32Array | undefined) =>
  routeInput(text, { embedding, costWeight: 1, estimatedInputTokens: 10 });

const codePrompts = [
  'Write a Python function that reverses a linked list.',
  'Implement binary search in Python and explain its complexity.',
  'Fix this Python code: def add(a, b): return a - b',
  'Write a Python class for a stack with push and pop.',
  'How do I read a CSV file in Python with the csv module?',
  'Write a Python generator that yields Fibonacci numbers.',
];

void test('loads stored outcomes, decides with an explanation, and a rating changes the next decision online', async () => {
  const rows = codePrompts.flatMap((p) => [outcome(p, 'cheap', 0.9), outcome(p, 'dear', 0.92)]);
  const store = outcomeStore(rows);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-learner-'));
  const learner = createLearner({ store, dataDir, retrainEvery: 0 });
  assert.equal(learner.status().embeddings === 'loading' || learner.status().embeddings === 'not-loaded', true);
  await learner.ready();
  await learner.retrain();
  assert.equal(learner.status().embeddings, 'ready');
  assert.equal(learner.status().outcomes, 12);
  assert.ok(learner.status().last_retrain_at);

  const prompt = 'Write a Python function that merges two sorted lists.';
  const embedding = await learner.prepare(prompt);
  assert.equal(embedding?.length, 512);
  // 2 quality points are not worth 5 cents at λ = 1 point per cent.
  const pool = [candidate('cheap', 0.0001), candidate('dear', 0.05)];
  for (const name of ['learned', 'similarity'] as const) {
    const verdict = learner.strategy(name)!.decide(input(prompt, embedding), pool);
    assert.equal(verdict.abstain, false, verdict.explanation);
    assert.equal(verdict.ranked[0]!.model, 'cheap', verdict.explanation);
    assert.match(
      verdict.explanation,
      /similar (past )?prompts?\)?: cheap rated \d\.\d vs dear \d\.\d at \d+× the price/,
    );
  }

  // The user rates the cheap model's answer to this very prompt 1/5: no retrain, next decision differs.
  const before = learner.status().last_retrain_at;
  learner.observe([{ ...outcome(prompt, 'cheap', 0), id: 100, request_id: 'r1', source: 'explicit' }]);
  const after = learner.strategy('similarity')!.decide(input(prompt, embedding), pool);
  assert.equal(after.ranked[0]!.model, 'dear', after.explanation);
  assert.equal(learner.status().last_retrain_at, before);
  assert.equal(learner.status().outcomes, 13);
  learner.close();
});

void test('abstains without an embedding, with no outcomes, and for models it has never seen', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-learner-'));
  // Without the bundled prior (prior: null) the store alone decides, as before the prior existed.
  const learner = createLearner({ store: outcomeStore([]), dataDir, prior: null });
  const pool = [candidate('a', 0.001), candidate('b', 0.002)];
  assert.equal(learner.strategy('learned')!.decide(input('hi', undefined), pool).abstain, true);
  await learner.ready();
  const e = await learner.prepare('hello there');
  const empty = learner.strategy('learned')!.decide(input('hello there', e), pool);
  assert.equal(empty.abstain, true);
  assert.match(empty.explanation, /no past outcomes/);
  learner.observe([{ ...outcome('hello there', 'zzz', 1), id: 1 }]);
  await learner.retrain();
  const unknown = learner.strategy('similarity')!.decide(input('hello there', e), pool);
  assert.equal(unknown.abstain, true);
  assert.equal(learner.strategy('cost'), undefined);
  learner.close();
});

void test('the first outcome is counted in the singular (a failed first request makes one)', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-learner-'));
  const learner = createLearner({ store: outcomeStore([outcome('hello there', 'a', 0)]), dataDir });
  await learner.ready();
  await learner.retrain();
  const e = await learner.prepare('hello there');
  const verdict = learner
    .strategy('learned')!
    .decide(input('hello there', e), [candidate('a', 0.001), candidate('b', 0.002)]);
  assert.equal(verdict.abstain, false, verdict.explanation);
  // a failed, so the unrated b is picked on the prior's figure: not "learned from" the outcome.
  assert.match(
    verdict.explanation,
    /^From the public-data prior and 1 past outcome \(1 similar prompt\): b has no ratings yet \(public data rates it \d\.\d\) vs a rated \d\.\d \(public data's (\d\.\d, moved|figure, not moved yet) by its 1 outcome\),/,
  );
  learner.close();
});

void test('a restart reads outcome embeddings from the disk cache and retrain keeps serving decisions', async () => {
  const rows = codePrompts.map((p) => outcome(p, 'cheap', 1));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-learner-'));
  const first = createLearner({ store: outcomeStore(rows), dataDir });
  await first.ready();
  first.close();
  const second = createLearner({ store: outcomeStore(rows), dataDir });
  await second.ready();
  const e = await second.prepare(codePrompts[0]!);
  const pool = [candidate('cheap', 0.001), candidate('dear', 0.01)];
  // Decisions made while a refit is running still answer (the refit yields to the event loop).
  const before = second.status().last_retrain_at;
  const refit = second.retrain();
  const verdict = second.strategy('learned')!.decide(input(codePrompts[0]!, e), pool);
  assert.equal(verdict.strategy, 'learned');
  await refit;
  assert.equal(second.status().retraining, false);
  assert.ok(second.status().last_retrain_at! >= before!);
  second.close();
  assert.equal(promptFeatureVector('x').length > 5, true);
});

void test('routing.embeddings.wait_ms: a slow embedding does not hold the decision; the words decide and the embedding is cached', async () => {
  const embedded: string[] = [];
  let slow = false;
  const slowEmbedder = {
    id: 'slow-test',
    dimensions: 8,
    async embed(texts: string[]) {
      embedded.push(...texts);
      if (slow) await new Promise((resolve) => setTimeout(resolve, 400));
      return texts.map((t) => {
        const v = new Float32Array(8);
        for (let i = 0; i < t.length; i++) v[i % 8]! += t.charCodeAt(i) / 1000;
        return v;
      });
    },
  };
  // Enough outcomes per model for the learned strategy to be confident without neighbours.
  const prompts = Array.from({ length: 10 }, (_, i) => codePrompts.map((p) => `${p} (case ${i})`)).flat();
  const rows = prompts.flatMap((p) => [outcome(p, 'cheap', 0.3), outcome(p, 'dear', 0.95)]);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-learner-'));
  const learner = createLearner({ store: outcomeStore(rows), dataDir, retrainEvery: 0, embedder: slowEmbedder });
  await learner.ready();
  await learner.retrain();
  slow = true;
  const prompt = 'Write a Python function that parses ISO dates.';
  const pool = [candidate('cheap', 0.0001), candidate('dear', 0.0002)];

  assert.equal(await learner.prepare(prompt, 5), undefined, 'the 5 ms budget passes before the 400 ms embedding');
  const verdict = learner.strategy('learned')!.decide(input(prompt, undefined), pool);
  assert.equal(verdict.abstain, false, verdict.explanation);
  assert.equal(verdict.ranked[0]!.model, 'dear');
  assert.match(verdict.explanation, /prompt's words; its embedding was not ready/);
  assert.equal(learner.strategy('similarity')!.decide(input(prompt, undefined), pool).abstain, true);

  // The embedding finished in the background: the next call is served from the cache.
  const vector = await learner.prepare(prompt);
  assert.equal(vector?.length, 8);
  assert.deepEqual(await learner.prepare(prompt, 0), vector);
  assert.equal(embedded.filter((t) => t === prompt).length, 1);
  learner.close();
});

void test("an outcome's model is placed in the prior from its pool entry, as when it is routed: two entries of one model rated alike are predicted alike", async () => {
  const embedder = {
    id: 'test-8',
    dimensions: 8,
    async embed(texts: string[]) {
      return texts.map((t) => {
        const v = new Float32Array(8);
        for (let i = 0; i < t.length; i++) v[i % 8]! += t.charCodeAt(i) / 1000;
        return v;
      });
    },
  };
  // The same upstream model twice: one pool name is its id, the other is not. The old stand-in
  // placed "mini" as a model nothing is known about when its outcomes were stored.
  const entry = (name: string) => ({
    ...candidate(name, 0.0002).config,
    model: 'gpt-4o-mini',
    cost_per_output_token: 6e-7,
  });
  const pool = [entry('mini'), entry('gpt-4o-mini')];
  const prompts = Array.from({ length: 10 }, (_, i) => codePrompts.map((p) => `${p} (case ${i})`)).flat();
  const rows = prompts.flatMap((p) => [outcome(p, 'mini', 0.5), outcome(p, 'gpt-4o-mini', 0.5)]);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-learner-'));
  const learner = createLearner({ store: outcomeStore(rows), dataDir, retrainEvery: 0, embedder, pool: () => pool });
  await learner.ready();
  await learner.retrain();
  const prompt = 'Write a Python function that parses ISO dates.';
  const candidates = pool.map((config) => ({ config, local: false, expectedCost: 0.0002 }));
  const verdict = learner
    .strategy('learned')!
    .decide(routeInput(prompt, { embedding: await learner.prepare(prompt), costWeight: 0 }), candidates);
  const [a, b] = verdict.ranked;
  assert.ok(Math.abs(a!.score - b!.score) < 1e-6, `${verdict.explanation} ${JSON.stringify(verdict.ranked)}`);
  learner.close();
});

void test('embeddings that fail to load: the prior still decides, and stored and new ratings still refine it from the words', async () => {
  const broken = {
    id: 'broken',
    dimensions: 8,
    load: () => Promise.reject(new Error('model files missing')),
    embed: () => Promise.reject(new Error('not loaded')),
  };
  const entry = (name: string, model: string) => ({
    ...candidate(name).config,
    model,
    cost_per_output_token: 1e-6,
  });
  const pool = [entry('big', 'gpt-4o'), entry('small', 'gpt-4o-mini')];
  const candidates = pool.map((config) => ({ config, local: false, expectedCost: 0.0002 }));
  const prompt = 'Write a Python function that parses ISO dates.';
  const decide = (l: ReturnType<typeof createLearner>) =>
    l.strategy('learned')!.decide(routeInput(prompt, { costWeight: 0 }), candidates);
  // Stored before this start: the small model did better on code prompts.
  const stored = codePrompts.flatMap((p) => [outcome(p, 'big', 0), outcome(p, 'small', 1)]);
  const log: string[] = [];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-learner-'));
  const learner = createLearner({
    store: outcomeStore(stored),
    dataDir,
    retrainEvery: 0,
    embedder: broken,
    pool: () => pool,
    log: (l) => log.push(l),
  });
  await learner.ready();
  assert.equal(learner.status().embeddings, 'failed');
  const verdict = decide(learner);
  assert.equal(verdict.ranked[0]!.model, 'small', verdict.explanation);
  assert.match(verdict.explanation, /refined by 12 outcome\(s\) from the prompts' words/);
  // New ratings count too.
  learner.observe(
    Array.from({ length: 20 }, (_, i) => ({
      ...outcome(`${prompt} (${i})`, 'small', 0),
      id: 100 + i,
      request_id: null,
    })),
  );
  assert.equal(decide(learner).ranked[0]!.model, 'big', decide(learner).explanation);
  assert.ok(
    log.some((l) => /the prior decides, refined by ratings/.test(l)),
    log.join('\n'),
  );
  learner.close();
});

void test("forget takes back a request's judgements and keeps its failed attempts' outcomes, as the store does", async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-learner-'));
  const learner = createLearner({ store: outcomeStore([]), dataDir, retrainEvery: 0, embedder: standInEmbedder });
  await learner.ready();
  const judged = (id: number, source: string, model: string, score: number) => ({
    ...outcome('What is a closure?', model, score),
    id,
    source,
    request_id: 'fugu-r1',
  });
  learner.observe([judged(1, 'implicit:error', 'broken', 0), judged(2, 'explicit', 'good', 1)]);
  await learner.retrain(); // the prompts are embedded and learned
  assert.equal(learner.status().outcomes, 2);
  learner.forget('fugu-r1');
  assert.equal(learner.status().outcomes, 1, 'the failed attempt stays');
  learner.forget('fugu-r1');
  assert.equal(learner.status().outcomes, 1);

  // The same while the prompts still wait for their embedding.
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const slow = {
    ...standInEmbedder,
    embed: async (texts: string[]) => {
      await gate;
      return standInEmbedder.embed(texts);
    },
  };
  const waiting = createLearner({ store: outcomeStore([]), dataDir, retrainEvery: 0, embedder: slow });
  const judgedLater = (id: number, source: string, model: string, score: number) => ({
    ...judged(id, source, model, score),
    prompt: 'What is a monad?',
    request_id: 'fugu-r2',
  });
  waiting.observe([judgedLater(3, 'implicit:error', 'broken', 0), judgedLater(4, 'explicit', 'good', 1)]);
  waiting.forget('fugu-r2');
  release();
  await waiting.retrain();
  assert.equal(waiting.status().outcomes, 1, 'the failed attempt stays');
  waiting.close();
  learner.close();
});

void test("forget takes back the prior's online step too, and only the outcome ids another replica names", async () => {
  // Embeddings failed: the prior alone decides, refined online by each rating.
  const broken = {
    id: 'broken',
    dimensions: 8,
    load: () => Promise.reject(new Error('model files missing')),
    embed: () => Promise.reject(new Error('not loaded')),
  };
  const entry = (name: string, model: string) => ({ ...candidate(name).config, model, cost_per_output_token: 1e-6 });
  const pool = [entry('big', 'gpt-4o'), entry('small', 'gpt-4o-mini')];
  const candidates = pool.map((config) => ({ config, local: false, expectedCost: 0.0002 }));
  const prompt = 'Prove that there are infinitely many primes.';
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-learner-'));
  const learner = createLearner({
    store: outcomeStore([]),
    dataDir,
    retrainEvery: 0,
    embedder: broken,
    pool: () => pool,
  });
  await learner.ready();
  const scores = () =>
    learner
      .strategy('learned')!
      .decide(routeInput(prompt, { costWeight: 0 }), candidates)
      .ranked.map((r) => r.score);
  const rating = (id: number, requestId: string, model: string, score: number) => ({
    ...outcome(prompt, model, score),
    id,
    source: 'explicit',
    request_id: requestId,
  });
  const before = scores();
  learner.observe([rating(1, 'fugu-a', 'big', 0)]);
  const rated = scores();
  assert.notDeepEqual(rated, before);
  // The user changes that rating: the step is taken back (it stayed in the prior before).
  learner.forget('fugu-a');
  assert.deepEqual(scores(), before);

  // Another replica retracted outcome 2 of request fugu-b; outcome 3 (the new rating) stays.
  const explanation = () =>
    learner.strategy('learned')!.decide(routeInput(prompt, { costWeight: 0 }), candidates).explanation;
  learner.observe([rating(2, 'fugu-b', 'big', 0), rating(3, 'fugu-b', 'big', 0)]);
  assert.match(explanation(), /refined by 2 outcome\(s\)/);
  learner.forget('fugu-b', [2]);
  assert.match(explanation(), /refined by 1 outcome\(s\)/);
  assert.notDeepEqual(scores(), before);
  learner.forget('fugu-b');
  // Steps taken one after the other undo to within the pull's shrink of the first one.
  scores().forEach((s, i) => assert.ok(Math.abs(s - before[i]!) < 0.01, `${s} vs ${before[i]}`));
  learner.close();
});

void test('forget reaches an outcome whose prompt is being embedded at that moment', async () => {
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let embedding = (): void => undefined;
  const started = new Promise<void>((resolve) => (embedding = resolve));
  const slow = {
    ...standInEmbedder,
    embed: async (texts: string[]) => {
      if (texts.some((t) => t.includes('monoid'))) {
        embedding();
        await gate;
      }
      return standInEmbedder.embed(texts);
    },
  };
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-learner-'));
  const learner = createLearner({ store: outcomeStore([]), dataDir, retrainEvery: 0, embedder: slow });
  await learner.ready();
  learner.observe([{ ...outcome('What is a monoid?', 'good', 1), id: 7, source: 'explicit', request_id: 'fugu-r3' }]);
  await started; // the learner's drain is embedding it now
  learner.forget('fugu-r3');
  release();
  await learner.retrain();
  assert.equal(learner.status().outcomes, 0, 'the replaced rating was learned after all');
  learner.close();
});
