import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { ModelConfig } from '../../../shared/config';
import { textFeatures } from '../../../daemon/core/learned/features';
import { PoolPrior } from '../../../daemon/core/learned/pool-prior';
import { canonicalModelName } from '../../../daemon/core/learned/prior';
import { PRICE_TABLE } from '../../../daemon/core/prices/table';
import {
  fitPriceGuess,
  guessFromPrice,
  PUBLIC_QUALITY,
  publicQualityOf,
} from '../../../daemon/core/learned/public-quality';
import type { Candidate } from '../../../daemon/core/ports';
import { bundledPrior } from '../../../daemon/assets/bundled-prior';
import { createLearner } from '../../../daemon/services/learner';
import { outcomeStore, routeInput } from '../../helpers/learning';

function config(name: string, model: string, usdPerMillionOut: number, quality?: number): ModelConfig {
  return {
    name,
    provider: 'openai',
    model,
    cost_per_input_token: 0,
    cost_per_output_token: usdPerMillionOut / 1e6,
    capabilities: [],
    ...(quality !== undefined ? { quality } : {}),
  };
}

const strong: Candidate = { config: config('gpt-4', 'gpt-4-1106-preview', 30), local: false, expectedCost: 0.01 };
const weak: Candidate = {
  config: config('mixtral', 'mistralai/Mixtral-8x7B-Instruct-v0.1', 0.6),
  local: false,
  expectedCost: 0.0002,
};

const input = (text: string, costWeight: number) => routeInput(text, { costWeight, expectedOutputTokens: 200 });

/** The learned strategy's verdict from a fresh learner over an empty store: the prior decides. */
function decideWithPrior(text: string, costWeight: number, candidates: Candidate[]) {
  const learner = createLearner({ store: outcomeStore(), dataDir: mkdtempSync(path.join(os.tmpdir(), 'fp-')) });
  try {
    return learner.strategy('learned')!.decide(input(text, costWeight), candidates);
  } finally {
    learner.close();
  }
}

// Prompts on either side of the shipped prior's line: a proof (the strong model's edge is large in
// public data) and a short routine coding request (both models usually get it right).
const HARD = 'Prove that there are infinitely many primes p such that p ≡ 3 (mod 4).';
const EASY = 'Write a Python function that returns the n-th Fibonacci number.';
// λ (quality points per cent): the strong model costs 0.98 cents more here, so it is chosen when it
// is predicted ≥ λ × 0.98 / 100 = 0.137 more likely to answer well. (The shipped prior expects gpt-4
// to add about 0.155 on the proof and 0.126 on the Fibonacci function.)
const LAMBDA = 14;
const BAR = (LAMBDA * 0.98) / 100;

void test('the bundled prior is small, names its training data and licences, and knows both models of the pair', () => {
  const a = bundledPrior();
  assert.equal(a.format, 'fugusashi-prior');
  assert.ok(JSON.stringify(a).length < 5 * 1024 * 1024);
  assert.deepEqual(
    a.trained_on.map((t) => t.file),
    [
      'routellm_mmlu_responses.csv',
      'routellm_gsm8k_responses.csv',
      'routerbench_arc_challenge.csv',
      'routerbench_mbpp.csv',
      'routerbench_winogrande.csv',
      'llmrouter_dcrouter_scores.csv',
    ],
  );
  for (const t of a.trained_on) assert.match(t.licence, /Apache-2.0|MIT/);
  assert.ok(a.models[canonicalModelName('gpt-4-1106-preview')]);
  assert.ok(a.models[canonicalModelName('mistralai/mixtral-8x7b-chat')]);
});

void test('an empty store routes by the prior: a hard prompt to the strong model, an easy one to the cheap model', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-prior-'));
  const learner = createLearner({ store: outcomeStore(), dataDir, retrainEvery: 0 });
  await learner.ready();
  const learned = learner.strategy('learned')!;
  // Nothing learned yet: the decision needs no sentence embedding, so none is computed for it.
  assert.equal(await learner.prepare(HARD), undefined);
  const hard = learned.decide(input(HARD, LAMBDA), [weak, strong]);
  const easy = learned.decide(input(EASY, LAMBDA), [weak, strong]);
  assert.equal(hard.abstain, false, hard.explanation);
  assert.equal(hard.ranked[0]!.model, 'gpt-4', hard.explanation);
  assert.equal(easy.ranked[0]!.model, 'mixtral', easy.explanation);
  // The explanation says the prior decided, from what, and the predicted quality per model.
  assert.match(
    hard.explanation,
    /^Prior from public outcome data \(no ratings yet\): on prompts like this, public data expects a stronger model than mixtral to add (much|something);/,
  );
  assert.match(easy.explanation, /a stronger model than mixtral to add (little|nothing|something);/);
  assert.match(hard.explanation, /Predicted quality: gpt-4 0\.\d\d, mixtral 0\.\d\d/);
  assert.ok(hard.predictedQuality! > 0 && hard.predictedQuality! < 1);
  // The cheap pick answers worse than gpt-4 would: the verdict also says what the pool's best can
  // do (auto-escalation must not call a team when a single model is expected to reach the bar).
  const gpt4 = Number(/gpt-4 (0\.\d\d)/.exec(easy.explanation)![1]);
  assert.ok(easy.predictedQuality! < gpt4, easy.explanation);
  assert.equal(easy.bestPredictedQuality!.toFixed(2), gpt4.toFixed(2));
  // auto:quality (λ = 0) takes the stronger model for the easy prompt too.
  assert.equal(learned.decide(input(EASY, 0), [weak, strong]).ranked[0]!.model, 'gpt-4');
  learner.close();
});

void test('a handful of ratings move a decision made by the prior', () => {
  const pool = new PoolPrior(bundledPrior());
  const models = [strong.config, weak.config];
  const gap = () => {
    const v = pool.predict(textFeatures(HARD), null, models);
    return v.models[0]!.quality - v.models[1]!.quality;
  };
  const before = gap();
  assert.ok(before > BAR, `prior gap ${before}`);
  // The user's experience: the cheap model gets proofs right, the dear one does not.
  const proofs = [
    'Prove that the square root of 2 is irrational.',
    'Prove that there are infinitely many primes.',
    'Prove that every integer n > 1 has a prime factor.',
    'Prove that 3 divides n^3 - n for every integer n.',
    'Prove that the sum of two odd numbers is even.',
  ];
  for (const p of proofs) {
    pool.observe(textFeatures(p), 'mixtral', 1);
    pool.observe(textFeatures(p), 'gpt-4', 0);
  }
  const after = gap();
  assert.ok(after < BAR, `gap after ratings ${after} (before ${before})`);
  assert.equal(pool.online.outcomesOf('mixtral'), 5);
});

void test("unobserve takes a replaced rating's online step back, leaving the others", () => {
  const pool = new PoolPrior(bundledPrior());
  const models = [strong.config, weak.config];
  const qualities = () => pool.predict(textFeatures(HARD), null, models).models.map((m) => m.quality);
  const untouched = qualities();
  const kept = pool.observe(textFeatures('Prove that there are infinitely many primes.'), 'mixtral', 1);
  const afterKept = qualities();
  // The user rated gpt-4's answer to this very prompt 1/5, then changed it: that step must go.
  const replaced = pool.observe(textFeatures(HARD), 'gpt-4', 0);
  const moved = qualities().map((q, i) => Math.abs(q - afterKept[i]!));
  assert.ok(moved[0]! > 1e-3, `the step moved gpt-4 by ${moved[0]}`);
  pool.unobserve(textFeatures(HARD), 'gpt-4', replaced);
  // Exact but for the pull toward the prior the second step applied to the first one's words.
  qualities().forEach((q, i) =>
    assert.ok(Math.abs(q - afterKept[i]!) < 0.01 * moved[0]!, `${q} vs ${afterKept[i]} (moved ${moved[i]})`),
  );
  assert.equal(pool.online.outcomesOf('gpt-4'), 0);
  pool.unobserve(textFeatures('Prove that there are infinitely many primes.'), 'mixtral', kept);
  qualities().forEach((q, i) => assert.ok(Math.abs(q - untouched[i]!) < 0.01 * moved[0]!, `${q} vs ${untouched[i]}`));
});

void test('pool models the data never saw: a public figure, a quality: override, or a price guess flagged as one', () => {
  const pool = new PoolPrior(bundledPrior());
  const mini = pool.placementOf(config('mini', 'gpt-4o-mini-2024-07-18', 0.6));
  assert.equal(mini.basis, 'quality');
  assert.match(mini.from, /Chatbot Arena.*gpt-4o-mini/);
  const overridden = pool.placementOf(config('house', 'acme-chat', 1, 1300));
  assert.equal(overridden.basis, 'quality');
  assert.match(overridden.from, /quality: in config\.yaml/);
  const guessed = pool.placementOf(config('mystery', 'acme-7b', 0.2));
  assert.equal(guessed.basis, 'price');
  // Higher public quality → higher predicted quality on the same prompt.
  const v = pool.predict(textFeatures(HARD), null, [
    config('low', 'acme-1', 1, 1050),
    config('high', 'acme-2', 1, 1300),
  ]);
  assert.ok(v.models[1]!.quality > v.models[0]!.quality);
  const mystery: Candidate = { config: config('mystery', 'acme-7b', 0.2), local: false, expectedCost: 0.0001 };
  // Before the embedder is ready the prior already decides (it reads the words).
  const verdict = decideWithPrior(EASY, 1, [mystery, strong]);
  assert.equal(verdict.abstain, false);
  // Flagged as a guess where its predicted quality is given, once.
  assert.match(
    verdict.explanation,
    /mystery 0\.\d\d \(a guess from its price \(\$0\.200 per 1M output tokens\): Arena 1\d{3}, a spread below the 1\d{3} of today's models at that price on the public quality table's scale; set quality: in config\.yaml\)/,
  );
  assert.equal(verdict.explanation.match(/guess/g)?.length, 1);
});

void test("a current model's price guess puts it where today's models of that price sit, not below 2024's gpt-4o-mini", () => {
  const guess = fitPriceGuess();
  assert.ok(guess, 'fitted on the models both bundled tables list');
  assert.ok(guess.models.includes('gpt-4.1') && guess.models.includes('gpt-4o-mini'), guess.models.join(', '));
  const pool = new PoolPrior(bundledPrior());
  // claude-sonnet-4-5 is in the price table ($15 per 1M output) but has no quality figure here.
  const sonnet = config('sonnet', 'claude-sonnet-4-5', 15);
  const mini = config('mini', 'gpt-4o-mini', 0.6);
  assert.equal(pool.placementOf(sonnet).basis, 'price');
  // Before: $15 was guessed ~1220, under gpt-4o-mini's 1273, so `auto` never chose the dearer model.
  const v = pool.predict(textFeatures('Prove that there are infinitely many primes.'), null, [sonnet, mini]);
  const quality = Object.fromEntries(v.models.map((m) => [m.model, m.quality]));
  assert.ok(quality['sonnet']! > quality['mini']!, JSON.stringify(quality));
  // The fit is by price: a dearer unknown model is guessed at least as good as a cheaper one.
  assert.ok(guess.slope > 0);
  // A guess errs low: one residual spread under the line, the spread being the fit's own.
  const points = guess.models.map((name) => {
    const price = PRICE_TABLE.find((p) => p.ids.includes(name))!;
    return { x: Math.log10(price.output), y: PUBLIC_QUALITY[name]!.value };
  });
  const squares = points.reduce((a, p) => a + (p.y - guess.intercept - guess.slope * p.x) ** 2, 0);
  assert.ok(Math.abs(guess.spread - Math.sqrt(squares / (points.length - 2))) < 1e-9);
  const { line, figure } = guessFromPrice(guess, 0.3);
  assert.ok(Math.abs(line - figure - guess.spread) < 1e-9 && guess.spread > 20, `spread ${guess.spread}`);
  // An unknown $0.3 model was guessed above every listed model under $1.6 (1312 against gpt-4o-mini's
  // 1273) when the guess was the line itself; one spread lower it is not.
  assert.ok(figure < PUBLIC_QUALITY['gpt-4o-mini']!.value, `$0.3: ${figure}`);
});

void test("a smaller sibling or a minor version does not inherit its family's figure; a dated build does", () => {
  assert.equal(publicQualityOf('gpt-4.1-nano'), undefined);
  assert.equal(publicQualityOf('gemini-2.5-flash-lite'), undefined);
  assert.equal(publicQualityOf('gpt-4.1-mini-2025-04-14')?.name, 'gpt-4.1-mini');
  assert.equal(publicQualityOf('gpt-4.1-2025-04-14')?.name, 'gpt-4.1');
  assert.equal(publicQualityOf('claude-opus-4-20250514')?.name, 'claude-opus-4');
  assert.equal(publicQualityOf('claude-opus-4-5-20251101'), undefined);
  assert.equal(publicQualityOf('gemini-2.0-flash-001')?.name, 'gemini-2.0-flash');
  assert.equal(publicQualityOf('claude-opus-4-0')?.name, 'claude-opus-4');
  assert.equal(publicQualityOf(canonicalModelName('claude-opus-4@20250514'))?.name, 'claude-opus-4');
  assert.equal(publicQualityOf('deepseek-r1-distill-qwen-1.5b'), undefined);
  assert.equal(publicQualityOf('deepseek-r1-0528-qwen3-8b'), undefined);
  for (const other of ['o3-pro', 'gpt-5-chat-latest', 'gpt-5-codex', 'gpt-4o-audio-preview', 'gpt-4o-mini-tts'])
    assert.equal(publicQualityOf(other), undefined, other);
  // Bedrock's and OpenRouter's spellings of listed models.
  assert.equal(publicQualityOf(canonicalModelName('us.anthropic.claude-opus-4-20250514-v1:0'))?.name, 'claude-opus-4');
  assert.equal(publicQualityOf(canonicalModelName('anthropic/claude-3.5-sonnet'))?.name, 'claude-3-5-sonnet');
  assert.equal(canonicalModelName('claude-v1'), 'claude-v1', 'a name of the training data is left as it was');
  assert.equal(publicQualityOf('o3-mini-2025-01-31')?.name, 'o3-mini');
  // A later snapshot's figure is linked to the table's scale, and says so.
  const flash = publicQualityOf('gemini-2.5-flash')!;
  assert.equal(flash.value, 1418 - 14);
  assert.match(flash.source, /published 1418, −14 to this table's scale/);
  assert.equal(flash.date, '2025-07-01');
  const gpt5 = publicQualityOf('gpt-5-2025-08-07')!;
  assert.deepEqual([gpt5.name, gpt5.value, gpt5.date], ['gpt-5', 1455 - 34, '2025-08-21']);
  assert.equal(publicQualityOf('gpt-5-mini'), undefined);
});

void test("hosts' spellings and vendor aliases find the listed model; an alias that moved past it does not", () => {
  const listed = (id: string) => publicQualityOf(canonicalModelName(id))?.name;
  assert.equal(listed('meta-llama/Meta-Llama-3.1-8B-Instruct'), 'llama-3.1-8b-instruct');
  assert.equal(listed('meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo'), 'llama-3.1-70b-instruct');
  assert.equal(listed('llama3.1:8b'), 'llama-3.1-8b-instruct');
  assert.equal(listed('llama3.3:70b'), 'llama-3.3-70b-instruct');
  assert.equal(listed('llama-3.3-70b-versatile'), 'llama-3.3-70b-instruct');
  assert.equal(listed('llama-3.1-8b-instant'), 'llama-3.1-8b-instruct');
  assert.equal(listed('deepseek-chat'), 'deepseek-v3-0324');
  assert.equal(listed('deepseek/deepseek-chat'), 'deepseek-v3-0324');
  assert.equal(listed('deepseek/deepseek-chat-v3-0324'), 'deepseek-v3-0324');
  assert.equal(listed('deepseek-reasoner'), 'deepseek-r1-0528');
  // Large 3 since December 2025: not the table's Large 2; its dated builds still are.
  assert.equal(listed('mistral-large-latest'), undefined);
  assert.equal(listed('mistral-large-2411'), 'mistral-large');
  assert.equal(listed('llama3.1:405b'), 'llama-3.1-405b-instruct');
  // A size the table does not list, or no size at all, is not guessed.
  assert.equal(listed('llama3.2:3b'), undefined);
  assert.equal(listed('llama3.1'), undefined);
  // Names of the training data are untouched.
  assert.equal(listed('meta-llama/Llama-2-70b-chat-hf'), 'llama-2-70b-chat');
});

void test('a dearer pick from the prior says what it buys: the expected gain over the model it beat and the extra cents', () => {
  const verdict = decideWithPrior(HARD, 1, [weak, strong]);
  assert.equal(verdict.ranked?.[0]?.model, 'gpt-4');
  // expectedCost 0.01 vs 0.0002 USD: 0.98 cents more.
  assert.match(
    verdict.explanation,
    /gpt-4 is worth its price here \(rated [\d.]+; \+0\.\d\d over mixtral for 0\.98 ¢ more\)/,
  );
  // A gap of a dollar or more reads as cents, not in exponent notation (1.5e+2).
  const priced = decideWithPrior(HARD, 0, [weak, { ...strong, expectedCost: 1.5 }]);
  assert.match(priced.explanation, /over mixtral for 150 ¢ more\)/);
});

void test('an Ollama model is not rated as the hosted model its library name shares; a changed config re-places a model', () => {
  const pool = new PoolPrior(bundledPrior());
  assert.equal(canonicalModelName('deepseek-r1:7b'), 'deepseek-r1-7b');
  // Ollama's "deepseek-r1" is a small distilled build, not the hosted R1 the table rates.
  const local = { ...config('deepseek-r1', 'deepseek-r1', 0), provider: 'ollama' as const };
  assert.notEqual(pool.placementOf(local).basis, 'quality');
  assert.equal(pool.placementOf(config('deepseek-r1', 'deepseek-r1', 0)).basis, 'quality', 'hosted: the table');
  // quality: set, then removed (a reload): the second placement is not the first one's.
  assert.equal(pool.placementOf(config('house', 'acme-chat', 2, 1300)).basis, 'quality');
  assert.equal(pool.placementOf(config('house', 'acme-chat', 2)).basis, 'price');
  assert.equal(pool.placementOf(config('house', 'gpt-4o-mini', 0.6)).figure, 1273);
});

void test('models the data never saw keep their order on every prompt: a short sum does not rank a local 1B model above gpt-4o-mini and Claude', () => {
  const pool = new PoolPrior(bundledPrior());
  const local = { ...config('local', 'llama3.2', 0), provider: 'ollama' as const };
  const configs = [local, config('mini', 'gpt-4o-mini', 0.6), config('sonnet', 'claude-sonnet-4-5', 15)];
  for (const prompt of ['What is 2+2?', 'Calculate 15% of 240.', 'Solve for x: 3x + 5 = 20.', 'hi', HARD, EASY]) {
    const q = pool.predict(textFeatures(prompt), null, configs).models.map((m) => m.quality);
    assert.ok(q[0]! < q[1]! && q[1]! < q[2]!, `${prompt}: ${q.map((x) => x.toFixed(2)).join(' < ')}`);
  }
});
