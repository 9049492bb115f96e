// routing_decision.explanation says truthfully why a model was picked: a model with no ratings of
// its own is not "learned from" the user's ratings, the strong-win threshold says when it decided
// (and the scores rank the models as it did), and the trade-off names the model the pick beat.
// The real strategies over the real bundled prior; the store's outcomes sit in a small embedding
// space (4 dimensions) so no encoder is loaded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelConfig } from '../../../shared/config';
import { bundledPrior } from '../../../daemon/assets/bundled-prior';
import { seededRandom } from '../../../daemon/benchmark/folds';
import { expectedCost } from '../../../daemon/core/candidates';
import { textFeatures } from '../../../daemon/core/learned/features';
import { decideFromPrior, PoolPrior } from '../../../daemon/core/learned/pool-prior';
import { staticPriorLogits } from '../../../daemon/core/learned/prior-offsets';
import { DEFAULT_QUALITY_MODEL, QualityModel } from '../../../daemon/core/learned/quality-model';
import { DEFAULT_LEARNED_OPTIONS, LearnedStrategy, SimilarityStrategy } from '../../../daemon/core/learned/strategies';
import type { Candidate, RouteInput, StrategyVerdict } from '../../../daemon/core/ports';
import { candidate, routeInput } from '../../helpers/learning';

const pool = new PoolPrior(bundledPrior());

function config(
  name: string,
  model: string,
  usdPerMillionIn: number,
  usdPerMillionOut: number,
  provider: ModelConfig['provider'] = 'openai',
): ModelConfig {
  return {
    name,
    provider,
    model,
    cost_per_input_token: usdPerMillionIn / 1e6,
    cost_per_output_token: usdPerMillionOut / 1e6,
    capabilities: [],
  };
}

const MINI = config('gpt-4o-mini', 'gpt-4o-mini', 0.15, 0.6);
const GPT4O = config('gpt-4o', 'gpt-4o', 2.5, 10);
const input = (text: string, costWeight: number, embedding?: Float32Array) =>
  routeInput(text, { costWeight, embedding, estimatedInputTokens: 20, expectedOutputTokens: 400 });
const candidatesFor = (configs: ModelConfig[], at: RouteInput): Candidate[] =>
  configs.map((c) => ({
    config: c,
    local: c.provider === 'ollama',
    expectedCost: expectedCost(c, at.features.estimatedInputTokens, at.features.expectedOutputTokens),
  }));

const CODE = [
  'Write a Python function that reverses a linked list.',
  'Write a Python function that checks whether a string is a palindrome.',
  'Write a Python function that merges two sorted lists.',
  'Write a Python function that computes the nth Fibonacci number.',
  'Write a Python function that counts word frequencies in a text.',
  'Write a Python function that flattens a nested list.',
  'Write a Python function that removes duplicates from a list while keeping order.',
  'Write a Python function that finds the maximum subarray sum.',
  'Write a Python function that validates an email address with a regex.',
  'Write a Python function that converts Roman numerals to integers.',
];
/** The code prompts' corner of the small embedding space. */
const near = (i: number) => Float32Array.from([1, 0.01 * i, 0, 0]);

/** A store of 3-star ratings (0.5) on every code prompt for each of `rated`, refitted as the learner does. */
async function storeWith(rated: ModelConfig[]): Promise<QualityModel> {
  const model = new QualityModel(4, DEFAULT_QUALITY_MODEL);
  CODE.forEach((prompt, i) => {
    const features = textFeatures(prompt);
    const logits = staticPriorLogits(pool, features, null, rated);
    rated.forEach((c, m) => model.add(prompt, near(i), features, c.name, 0.5, 1, logits[m]));
  });
  await model.refit(seededRandom(1), undefined, 'exact');
  return model;
}

function decide(model: QualityModel, configs: ModelConfig[], text: string, costWeight: number, threshold = 0.5) {
  const strategy = new LearnedStrategy(
    model,
    { ...DEFAULT_LEARNED_OPTIONS, explorationRate: 0, strongWinThreshold: threshold },
    pool,
  );
  const at = input(text, costWeight, near(3));
  return strategy.decide(at, candidatesFor(configs, at));
}

function assertScoresFollowThePick(verdict: StrategyVerdict): void {
  const scores = verdict.ranked.map((r) => r.score);
  assert.deepEqual(
    scores,
    [...scores].sort((a, b) => b - a),
    `the pick ${verdict.ranked[0]!.model} should have the highest score: ${JSON.stringify(verdict.ranked)}`,
  );
}

void test('a model with no ratings of its own is not explained as learned from the ratings: its figure is the public data', async () => {
  // 20 ratings on two names of the same model, then gpt-4o joins the pool with none.
  const mini = { ...MINI, name: 'mini' };
  const store = await storeWith([MINI, mini]);
  const verdict = decide(store, [MINI, mini, GPT4O], 'Write a Python function that inverts a binary tree.', 0);
  assert.equal(verdict.abstain, false, verdict.explanation);
  assert.equal(verdict.ranked[0]!.model, 'gpt-4o', verdict.explanation);
  assert.doesNotMatch(verdict.explanation, /^Learned from/, verdict.explanation);
  assert.match(verdict.explanation, /^From the public-data prior and 20 past outcomes \(\d+ similar prompts?\): /);
  assert.match(
    verdict.explanation,
    /gpt-4o has no ratings yet \(public data rates it \d\.\d[^)]*\) vs (gpt-4o-)?mini rated \d\.\d \(public data's (\d\.\d, moved|figure, not moved yet) by its 10 outcomes\)/,
  );

  // A renamed pool model: its old ratings stay under the old name, the new name has none.
  const renamed = { ...MINI, name: 'mini4o' };
  const after = decide(store, [MINI, renamed], CODE[0]!, 1);
  assert.equal(after.ranked[0]!.model, 'mini4o', after.explanation);
  assert.match(after.explanation, /^From the public-data prior and 20 past outcomes/);
  assert.match(
    after.explanation,
    /mini4o has no ratings yet \(public data rates it \d\.\d[^)]*\) vs gpt-4o-mini rated/,
  );
  // Both rated: the sentence stays as it was.
  const both = decide(store, [MINI, mini], CODE[0]!, 1);
  assert.match(
    both.explanation,
    /^Learned from 20 past outcomes \(\d+ similar prompts?\): (gpt-4o-)?mini rated \d\.\d vs/,
  );
});

const ARITHMETIC = 'What is 1234 * 5678?';

void test('a non-default strong_win_threshold that overrides quality against cost says so with its figures, and the scores follow the pick', async () => {
  // λ = 30 (a cent three times auto:cost's weight): quality against cost keeps arithmetic on
  // gpt-4o-mini; a threshold of 0.3 sends it to gpt-4o.
  const at = input(ARITHMETIC, 30);
  const candidates = candidatesFor([MINI, GPT4O], at);
  const byCost = decideFromPrior(pool, at, candidates, { strongWinThreshold: 0.5, confidence: 0.5 }, 'no ratings yet');
  assert.equal(byCost.ranked[0]!.model, 'gpt-4o-mini', byCost.explanation);
  assert.doesNotMatch(byCost.explanation, /strong_win_threshold/);

  const verdict = decideFromPrior(pool, at, candidates, { strongWinThreshold: 0.3, confidence: 0.5 }, 'no ratings yet');
  assert.equal(verdict.ranked[0]!.model, 'gpt-4o', verdict.explanation);
  assertScoresFollowThePick(verdict);
  assert.doesNotMatch(verdict.explanation, /cheapest model expected/);
  assert.match(
    verdict.explanation,
    /routing\.strong_win_threshold 0\.3 picked gpt-4o: its chance to beat gpt-4o-mini, 0\.\d+, reaches 0\.3 \+ 0\.\d+ for its 0\.\d+ ¢ more; by quality against cost alone gpt-4o-mini would win/,
  );
  // The other way round: a high threshold keeps a proof on the cheap model that auto:quality upgrades.
  const quality = input('Prove that there are infinitely many primes.', 0);
  const high = decideFromPrior(
    pool,
    quality,
    candidatesFor([MINI, GPT4O], quality),
    {
      strongWinThreshold: 0.9,
      confidence: 0.5,
    },
    'no ratings yet',
  );
  assert.equal(high.ranked[0]!.model, 'gpt-4o-mini', high.explanation);
  assertScoresFollowThePick(high);
  assert.match(
    high.explanation,
    /routing\.strong_win_threshold 0\.9 picked gpt-4o-mini: gpt-4o's chance to beat it, 0\.\d+, falls short of 0\.90?; by quality against cost alone gpt-4o would win/,
  );

  // The store's decisions (once both models are rated) follow the same rule and say so too.
  const store = await storeWith([MINI, GPT4O]);
  const learned = decide(store, [MINI, GPT4O], CODE[2]!, 10, 0.01);
  assert.equal(learned.ranked[0]!.model, 'gpt-4o', learned.explanation);
  assertScoresFollowThePick(learned);
  assert.match(
    learned.explanation,
    /; routing\.strong_win_threshold 0\.01 picked gpt-4o: its chance to beat gpt-4o-mini/,
  );
});

void test("the prior's trade-off names the model the pick beat, and a dearer pick is not called the cheapest", () => {
  // The example config.yaml's pool.
  const local = config('llama3.2-local', 'llama3.2:1b', 0, 0, 'ollama');
  const sonnet = config('claude-sonnet', 'claude-sonnet-4-5', 3, 15, 'anthropic');
  const at = input('Prove that there are infinitely many primes.', 1);
  const verdict = decideFromPrior(
    pool,
    at,
    candidatesFor([local, MINI, sonnet], at),
    {
      strongWinThreshold: 0.5,
      confidence: 0.5,
    },
    'no ratings yet',
  );
  const [pick, runnerUp] = verdict.ranked.map((r) => r.model);
  assert.equal(pick, 'claude-sonnet', verdict.explanation);
  assert.equal(runnerUp, 'gpt-4o-mini', verdict.explanation);
  assert.doesNotMatch(verdict.explanation, /cheapest model expected|over llama3\.2-local/);
  assert.match(
    verdict.explanation,
    /claude-sonnet is worth its price here \(rated \d\.\d; \+0\.\d\d over gpt-4o-mini for 0\.\d+ ¢ more\)/,
  );
  // auto:cost (λ = 10): gpt-4o-mini; claude-sonnet's gain is not worth its cents ×10.
  const cost = input('Prove that there are infinitely many primes.', 10);
  const cheap = decideFromPrior(
    pool,
    cost,
    candidatesFor([local, MINI, sonnet], cost),
    { strongWinThreshold: 0.5, confidence: 0.5 },
    'no ratings yet',
  );
  assert.equal(cheap.ranked[0]!.model, 'gpt-4o-mini', cheap.explanation);
  assert.equal(cheap.ranked[1]!.model, 'claude-sonnet', cheap.explanation);
  assert.match(
    cheap.explanation,
    /gpt-4o-mini is the best value \(rated \d\.\d; claude-sonnet would add \+0\.\d\d for 0\.\d+ ¢ more\)/,
  );
});

void test("the similarity strategy's two-model rule reads its own figures (the kNN), as its scores and its sentence do", async () => {
  // 100 prompts where cheap answers and dear fails, 2 close to the new prompt where it is the other
  // way round: the nearest neighbours favour dear, the heads (which read every prompt) favour cheap.
  const model = new QualityModel(4, DEFAULT_QUALITY_MODEL);
  const random = seededRandom(2);
  const add = (text: string, vector: Float32Array, cheap: number) => {
    model.add(text, vector, textFeatures(text), 'cheap', cheap);
    model.add(text, vector, textFeatures(text), 'dear', 1 - cheap);
  };
  for (let i = 0; i < 100; i++)
    add(`Write a function number ${i}`, Float32Array.from([1, random() / 10, random(), random()]), 1);
  for (let i = 0; i < 2; i++) add(`Write a function number ${1000 + i}`, Float32Array.from([0, 1, 0.01 * i, 0]), 0);
  await model.refit(seededRandom(1), undefined, 'exact');
  const text = 'Write a function number 5000';
  const embedding = Float32Array.from([0, 1, 0.005, 0]);
  const [cheap, dear] = model.predict(embedding, textFeatures(text), ['cheap', 'dear']).models;
  assert.ok(dear!.knn > cheap!.knn && cheap!.quality > dear!.quality, 'the kNN and the blend disagree');

  const strategy = new SimilarityStrategy(model, { ...DEFAULT_LEARNED_OPTIONS, explorationRate: 0 });
  const verdict = strategy.decide(routeInput(text, { embedding, costWeight: 1 }), [
    candidate('cheap', 0.0001),
    candidate('dear', 0.001),
  ]);
  assert.equal(verdict.abstain, false, verdict.explanation);
  assert.equal(verdict.ranked[0]!.model, 'dear', verdict.explanation);
  assertScoresFollowThePick(verdict);
  assert.match(verdict.explanation, /^2 similar past prompts: dear rated \d\.\d vs cheap \d\.\d, worth 10× the price$/);
});
