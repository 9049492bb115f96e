// The request path does not wait for USE: with stored outcomes, a new prompt is routed by the
// learned strategy from the fast first view even when the encoder never answers, and the rated
// outcome is learned with the encoder's (full) vector once it arrives. Real daemon, real HTTP, the
// official OpenAI client; the encoder is a stand-in that answers in USE's space (the fast view's
// own vectors, so the stored points are meaningful) until it is told to hang.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { Outcome } from '../../../daemon/core/ports';
import { loadFastView } from '../../../daemon/embeddings/fast-view';
import { USE_ID } from '../../../daemon/embeddings/use';
import { createLearner, type LearnerHandle } from '../../../daemon/services/learner';
import type { RoutedChatCompletion } from '../../../shared/client';
import { makeTempDir, startTestDaemon, type TestDaemon } from '../../helpers/daemon';

const fast = loadFastView();

/** A USE stand-in: 512-d vectors in USE's space; while `hanging`, calls never settle until released. */
class StandInEncoder {
  readonly id = USE_ID;
  readonly dimensions = 512;
  hanging = false;
  readonly asked: string[] = [];
  private held: (() => void)[] = [];

  embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.asked.push(...texts);
    // A distinct "full" vector: the fast view of the text said twice (near it, not equal to it).
    const answer = () => texts.map((t) => fast.embed(`${t} ${t}`));
    if (!this.hanging) return Promise.resolve(answer());
    return new Promise((resolve) => this.held.push(() => resolve(answer())));
  }

  release(): void {
    this.hanging = false;
    for (const r of this.held.splice(0)) r();
  }
}

const encoder = new StandInEncoder();
let learner: LearnerHandle;
let d: TestDaemon;

const hard = (i: number) =>
  `Prove that the sequence a(n+1) = a(n)^2 - 2 with a(0) = ${i + 3} grows doubly exponentially.`;
const easy = (i: number) => `What is a good name for a pet goldfish number ${i}?`;

/** Two models, one at twice the price of the other, routed by the learned strategy first. */
const POOL = [
  {
    name: 'small',
    config: { cost_per_input_token: 1e-7, cost_per_output_token: 1e-7, capabilities: ['chat' as const] },
  },
  {
    name: 'large',
    config: { cost_per_input_token: 2e-7, cost_per_output_token: 2e-7, capabilities: ['chat' as const] },
  },
];
const LEARNED_FIRST = {
  default_model: 'small',
  routing: { strategies: ['learned' as const, 'cost' as const, 'fallback' as const], prefer_local: false },
};

before(async () => {
  d = await startTestDaemon({
    models: POOL,
    config: LEARNED_FIRST,
    rpc: false,
    learner: (store) => {
      // Stored outcomes: the small model fails the proofs and does fine on pet names.
      const rows: Omit<Outcome, 'id'>[] = [];
      for (let i = 0; i < 40; i++) {
        for (const [prompt, small, large] of [
          [hard(i), 0, 1],
          [easy(i), 1, 1],
        ] as const) {
          const base = { prompt, weight: 1, source: 'seed', request_id: null, created_at: Date.now() };
          rows.push({ ...base, model: 'small', score: small }, { ...base, model: 'large', score: large });
        }
      }
      store.addOutcomes(rows);
      learner = createLearner({
        store,
        dataDir: makeTempDir('fugu-fast-view-'),
        embedder: encoder,
        retrainEvery: 0,
        random: () => 0.99,
      });
      return learner;
    },
  });
  await learner.ready();
  await learner.retrain();
});
after(async () => {
  encoder.release();
  await d.close();
});

test('a new prompt is routed by the learned strategy from the fast view while the encoder never answers', async () => {
  encoder.hanging = true;
  const client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused' });
  const prompt = 'Prove that the sequence a(n+1) = a(n)^2 - 2 with a(0) = 100 grows doubly exponentially fast.';
  const answer = (await client.chat.completions.create({
    model: 'auto',
    messages: [{ role: 'user', content: prompt }],
  })) as RoutedChatCompletion<OpenAI.ChatCompletion>;
  const decision = answer.routing_decision;
  assert.equal(decision.strategy, 'learned', decision.explanation);
  assert.equal(decision.model, 'large', decision.explanation);
  assert.match(decision.explanation, /fast first view/);
  // The full embedding was asked for in the background, and is still outstanding.
  assert.ok(encoder.asked.includes(prompt), 'the encoder should have been asked for the full vector');
  assert.equal(learner.status().outcomes, 160);

  // A rating arrives before the full vector: it is learned only once the vector lands.
  const rated = await fetch(`${d.url}/v1/feedback/rate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ request_id: answer.id, rating: 5 }),
  });
  assert.equal(rated.status, 200, await rated.text());
  assert.equal(learner.status().outcomes, 160, 'not learned before its full vector exists');
  encoder.release();
  await waitFor(() => learner.status().outcomes > 160);

  // Now the prompt's full vector is cached: the same prompt is read in full, not through the fast view.
  const view = await learner.prepareView(prompt);
  assert.equal(view?.view, 'full');
  assert.deepEqual(view?.vector, fast.embed(`${prompt} ${prompt}`));
  const again = (await client.chat.completions.create({
    model: 'auto',
    messages: [{ role: 'user', content: prompt }],
  })) as RoutedChatCompletion<OpenAI.ChatCompletion>;
  assert.equal(again.routing_decision.strategy, 'learned');
  assert.doesNotMatch(again.routing_decision.explanation, /fast first view/);
});

test("a decision from the prior does not say it read the fast view: the prior reads the prompt's words", async () => {
  // The store's outcomes are of a model no longer in the pool: the prompt is read through the fast
  // view (the store is not empty), and the prior decides for the pool's unrated models.
  let fresh: LearnerHandle | undefined;
  const other = await startTestDaemon({
    models: POOL,
    config: LEARNED_FIRST,
    rpc: false,
    learner: (store) => {
      const base = { weight: 1, source: 'seed', request_id: null, created_at: Date.now() };
      store.addOutcomes([0, 1, 2].map((i) => ({ ...base, prompt: easy(i), model: 'retired', score: 1 })));
      fresh = createLearner({ store, dataDir: makeTempDir('fugu-fast-view-prior-'), embedder: new StandInEncoder() });
      return fresh;
    },
  });
  try {
    await fresh!.ready();
    const prompt = 'Prove that there are infinitely many primes of the form 4k + 3.';
    const client = new OpenAI({ baseURL: `${other.url}/v1`, apiKey: 'unused' });
    const answer = (await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: prompt }],
    })) as RoutedChatCompletion<OpenAI.ChatCompletion>;
    const decision = answer.routing_decision;
    assert.equal(decision.strategy, 'learned', decision.explanation);
    assert.match(decision.explanation, /^Prior from public outcome data \(no ratings yet for these models\)/);
    assert.doesNotMatch(decision.explanation, /fast first view/);
    // The prompt was read through the fast view (the prior did not need it).
    assert.equal((await fresh!.prepareView('Prove that 17 is prime.'))?.view, 'fast');
  } finally {
    await other.close();
  }
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(condition(), 'condition not reached');
}
