import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCandidates, isLoopbackUrl, noCandidateError } from '../../../daemon/core/candidates';
import { buildEnsemble } from '../../../daemon/core/chain';
import { CooldownTracker } from '../../../daemon/core/cooldown';
import { CostStrategy } from '../../../daemon/core/cost';
import { EnsembleStrategy, forcedPlan } from '../../../daemon/core/ensemble';
import { FallbackStrategy } from '../../../daemon/core/fallback';
import { routingInput } from '../../../daemon/core/features';
import type { RoutingStrategy, StrategyVerdict } from '../../../daemon/core/ports';
import { FugusashiError } from '../../../shared/errors';
import { input, local, model, noCooldown } from './helpers';

const mini = model('gpt-4o-mini', {
  cost_per_input_token: 0.00000015,
  cost_per_output_token: 0.0000006,
  capabilities: ['chat', 'code', 'reasoning', 'tools', 'vision'],
  context_window: 128_000,
  supports_tools: true,
  supports_vision: true,
});
const sonnet = model('claude-sonnet', {
  provider: 'anthropic',
  api_base: 'https://api.anthropic.com',
  cost_per_input_token: 0.000003,
  cost_per_output_token: 0.000015,
  capabilities: ['chat', 'code', 'reasoning', 'tools', 'vision', 'writing', 'long_context'],
  context_window: 200_000,
});
const llama = local('llama3.2-local', { capabilities: ['chat', 'reasoning'], context_window: 8_192 });
const pool = [llama, mini, sonnet];

const names = (cs: { config: { name: string } }[]) => cs.map((c) => c.config.name);

test('tools and images filter out models that lack them, with reasons', () => {
  const tools = [{ type: 'function' as const, function: { name: 'f' } }];
  const withTools = buildCandidates(pool, input({ tools }), noCooldown);
  assert.deepEqual(names(withTools.candidates), ['gpt-4o-mini', 'claude-sonnet']);
  assert.deepEqual(withTools.excluded, [{ model: 'llama3.2-local', reason: 'does not support tools' }]);

  // supports_tools: false wins over a 'tools' capability tag.
  const noTools = model('x', { capabilities: ['tools'], supports_tools: false });
  assert.equal(buildCandidates([noTools], input({ tools }), noCooldown).candidates.length, 0);

  const image = input({
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] }],
  });
  const withImages = buildCandidates(pool, image, noCooldown);
  assert.deepEqual(names(withImages.candidates), ['gpt-4o-mini', 'claude-sonnet']);
  assert.equal(withImages.excluded[0]?.reason, 'does not support images');
});

test('the context window must hold the estimated prompt plus the expected answer', () => {
  const long = input({ prompt: 'lorem ipsum '.repeat(3_000) }); // ≈ 9,000 tokens
  const set = buildCandidates(pool, long, noCooldown);
  assert.deepEqual(names(set.candidates), ['gpt-4o-mini', 'claude-sonnet']);
  assert.match(set.excluded[0]!.reason, /^context window 8192 < ~\d+ tokens needed$/);

  const huge = input({ prompt: 'lorem ipsum '.repeat(50_000) }); // ≈ 150,000 tokens
  assert.deepEqual(names(buildCandidates(pool, huge, noCooldown).candidates), ['claude-sonnet']);
  // Unknown window: fine for ordinary prompts, excluded for long ones unless tagged long_context.
  const unknown = model('unknown-window');
  assert.equal(buildCandidates([unknown], input(), noCooldown).candidates.length, 1);
  assert.equal(buildCandidates([unknown], huge, noCooldown).candidates.length, 0);
});

test('disabled models are never candidates; expected cost uses both prices', () => {
  const set = buildCandidates(
    [{ ...mini, enabled: false }, sonnet],
    input({ prompt: 'hi', max_tokens: 100 }),
    noCooldown,
  );
  assert.deepEqual(names(set.candidates), ['claude-sonnet']);
  assert.deepEqual(set.excluded, [{ model: 'gpt-4o-mini', reason: 'disabled' }]);
  const est = set.candidates[0]!;
  const inTokens = input({ prompt: 'hi', max_tokens: 100 }).features.estimatedInputTokens;
  assert.ok(Math.abs(est.expectedCost - (inTokens * 0.000003 + 100 * 0.000015)) < 1e-12);
});

test('local = ollama, vscode-lm, or a loopback api_base, and free: a priced loopback upstream is not local', () => {
  const free = { cost_per_input_token: 0, cost_per_output_token: 0 };
  const lmStudio = model('lm-studio', { api_base: 'http://127.0.0.1:1234/v1', ...free });
  const meteredProxy = model('metered-proxy', { api_base: 'http://127.0.0.1:4000/v1' });
  const pricedOllama = local('priced-ollama', { cost_per_output_token: 0.00001 });
  const set = buildCandidates(
    [llama, lmStudio, mini, model('vs', { provider: 'vscode-lm', ...free }), meteredProxy, pricedOllama],
    input(),
    noCooldown,
  );
  assert.deepEqual(
    set.candidates.map((c) => c.local),
    [true, true, false, true, false, false],
  );
  assert.ok(isLoopbackUrl('http://[::1]:8080/v1'));
  assert.ok(isLoopbackUrl('http://user:pw@localhost/v1'));
  assert.ok(!isLoopbackUrl('https://localhost.evil.com/v1'));
  assert.ok(!isLoopbackUrl('http://10.0.0.1:11434'));
});

test('cooling-down models are left out while others remain, kept when all are cooling', () => {
  const cooling = new Set(['gpt-4o-mini']);
  const set = buildCandidates(pool, input(), { isCoolingDown: (n) => cooling.has(n) });
  assert.deepEqual(names(set.candidates), ['llama3.2-local', 'claude-sonnet']);
  assert.deepEqual(set.excluded, [{ model: 'gpt-4o-mini', reason: 'cooling down after repeated failures' }]);
  const all = buildCandidates(pool, input(), { isCoolingDown: () => true });
  assert.equal(all.candidates.length, 3);
});

test('CostStrategy: capability fit first, then price', () => {
  const router = new CostStrategy({ preferLocal: false });
  const code = input({ prompt: 'Write a Python function that parses ISO dates' });
  const set = buildCandidates(pool, code, noCooldown);
  const v = router.decide(code, set.candidates);
  assert.deepEqual(
    v.ranked.map((r) => r.model),
    ['gpt-4o-mini', 'claude-sonnet', 'llama3.2-local'],
  );
  assert.match(v.explanation, /^Cheapest model with code: gpt-4o-mini \(\$0\.000\d+ est\.\)\.$/);
  assert.equal(v.confidence, 0.8);
  assert.ok(v.ranked[0]!.score > v.ranked[1]!.score && v.ranked[1]!.score > v.ranked[2]!.score);

  // No special needs: the free local model is simply the cheapest.
  const chat = router.decide(input({ prompt: 'hi' }), buildCandidates(pool, input(), noCooldown).candidates);
  assert.equal(chat.ranked[0]!.model, 'llama3.2-local');
  assert.match(chat.explanation, /free, local/);
});

test('CostStrategy: a required capability shows in the explanation; writing prefers the writer', () => {
  const router = new CostStrategy({ preferLocal: false });
  const tools = input({ prompt: 'Fix this bug in my code', tools: [{ type: 'function', function: { name: 'f' } }] });
  const v = router.decide(tools, buildCandidates(pool, tools, noCooldown).candidates);
  assert.match(v.explanation, /^Cheapest model with tools \+ code: gpt-4o-mini/);
  const poem = input({ prompt: 'Write a short poem about autumn' });
  assert.equal(
    router.decide(poem, buildCandidates(pool, poem, noCooldown).candidates).ranked[0]!.model,
    'claude-sonnet',
  );
});

test('CostStrategy prefer_local: a fitting free local model goes first; a priced loopback one is not preferred', () => {
  const freeLocal = model('lm-studio', {
    api_base: 'http://localhost:1234/v1',
    cost_per_input_token: 0,
    cost_per_output_token: 0,
    capabilities: ['chat', 'code'],
  });
  // A loopback gateway that bills per token, at 100× the cloud model's price.
  const pricedLoopback = model('local-gateway', {
    api_base: 'http://127.0.0.1:4000/v1',
    cost_per_input_token: 0.00001,
    cost_per_output_token: 0.00001,
    capabilities: ['chat', 'code'],
  });
  const cheapCloud = model('cheap-cloud', {
    cost_per_input_token: 0.0000001,
    cost_per_output_token: 0.0000001,
    capabilities: ['chat', 'code'],
  });
  const code = input({ prompt: 'Refactor this JavaScript function' });
  const priced = buildCandidates([pricedLoopback, cheapCloud], code, noCooldown).candidates;
  const notFree = new CostStrategy({ preferLocal: true }).decide(code, priced);
  assert.equal(notFree.ranked[0]!.model, 'cheap-cloud');
  assert.doesNotMatch(notFree.explanation, /[Ll]ocal/);
  const cands = buildCandidates([cheapCloud, freeLocal], code, noCooldown).candidates;
  const preferred = new CostStrategy({ preferLocal: true }).decide(code, cands);
  assert.equal(preferred.ranked[0]!.model, 'lm-studio');
  assert.match(preferred.explanation, /^Local model preferred with code: lm-studio \(free, local\)/);
  // A local model that lacks what the prompt needs is not promoted.
  const cands2 = buildCandidates([llama, mini], code, noCooldown).candidates;
  assert.equal(new CostStrategy({ preferLocal: true }).decide(code, cands2).ranked[0]!.model, 'gpt-4o-mini');
});

test('CostStrategy with λ = 0 (auto:quality): the priciest fitting model, since price is the only quality signal', () => {
  const router = new CostStrategy({ preferLocal: false });
  const code = routingInput(
    { model: 'auto:quality', messages: [{ role: 'user', content: 'Write a Python function that parses ISO dates' }] },
    { costWeight: 0, explore: false, random: () => 0.5 },
  );
  const v = router.decide(code, buildCandidates(pool, code, noCooldown).candidates);
  assert.deepEqual(
    v.ranked.map((r) => r.model),
    ['claude-sonnet', 'gpt-4o-mini', 'llama3.2-local'],
  );
  assert.match(v.explanation, /^Quality mode, no ratings yet: the priciest model with code, claude-sonnet/);
  assert.ok(v.ranked[0]!.score > v.ranked[1]!.score);
});

test('FallbackStrategy: the default model when it can serve, else the first candidate', () => {
  const cands = buildCandidates(pool, input(), noCooldown).candidates;
  const v = new FallbackStrategy('claude-sonnet').decide(input(), cands);
  assert.equal(v.ranked[0]!.model, 'claude-sonnet');
  assert.ok(v.confidence < 0.35);
  const tools = input({ tools: [{ type: 'function', function: { name: 'f' } }] });
  const v2 = new FallbackStrategy('llama3.2-local').decide(tools, buildCandidates(pool, tools, noCooldown).candidates);
  assert.equal(v2.ranked[0]!.model, 'gpt-4o-mini');
  assert.match(v2.explanation, /default model llama3.2-local cannot serve/);
});

/** A scripted strategy, standing in for the learner's (the chain only sees RoutingStrategy). */
function scripted(name: string, verdict: Partial<StrategyVerdict>): RoutingStrategy & { calls: number } {
  const s = {
    name,
    calls: 0,
    decide(): StrategyVerdict {
      s.calls++;
      return {
        strategy: name,
        abstain: false,
        confidence: 0.9,
        ranked: [],
        explanation: `${name} says so`,
        ...verdict,
      };
    },
  };
  return s;
}

test('EnsembleStrategy: abstaining and unconfident strategies pass; the first confident one decides', () => {
  const similarity = scripted('similarity', { abstain: true, explanation: 'Only 2 similar past prompts.' });
  const learned = scripted('learned', {
    confidence: 0.2,
    ranked: [{ model: 'claude-sonnet', score: 0.7 }],
    explanation: 'Unsure.',
  });
  const router = new EnsembleStrategy(
    [similarity, learned, new CostStrategy({ preferLocal: false }), new FallbackStrategy('llama3.2-local')],
    {
      minConfidence: 0.35,
    },
  );
  const code = input({ prompt: 'Write a Python function that parses ISO dates' });
  const plan = router.plan(code, buildCandidates(pool, code, noCooldown).candidates);
  assert.equal(plan.decision.strategy, 'cost');
  assert.equal(plan.decision.model, 'gpt-4o-mini');
  assert.equal(plan.decision.latency_ms, 0);
  assert.deepEqual(plan.decision.chain, [
    { strategy: 'similarity', abstained: true, reason: 'Only 2 similar past prompts.' },
    { strategy: 'learned', abstained: false, reason: 'confidence 0.20 < 0.35: Unsure.' },
  ]);
  assert.deepEqual(plan.order, ['gpt-4o-mini', 'claude-sonnet', 'llama3.2-local']);
  assert.deepEqual(
    plan.decision.alternatives.map((a) => a.model),
    ['gpt-4o-mini', 'claude-sonnet', 'llama3.2-local'],
  );
  assert.ok(plan.decision.estimated_cost > 0);
});

test('EnsembleStrategy: a confident learned verdict decides, with exploration, and unknown models are ignored', () => {
  const learned = scripted('learned', {
    confidence: 0.8,
    exploration: true,
    predictedQuality: 0.2,
    bestPredictedQuality: 0.3,
    ranked: [
      { model: 'not-in-pool', score: 0.99 },
      { model: 'claude-sonnet', score: 0.9 },
    ],
  });
  const cost = new CostStrategy({ preferLocal: false });
  const costSpy = {
    name: 'cost',
    calls: 0,
    decide: (...a: Parameters<CostStrategy['decide']>) => (costSpy.calls++, cost.decide(...a)),
  };
  const router = new EnsembleStrategy([learned, costSpy], { minConfidence: 0.35 });
  const plan = router.plan(input(), buildCandidates(pool, input(), noCooldown).candidates);
  assert.equal(plan.decision.model, 'claude-sonnet');
  assert.equal(plan.decision.strategy, 'learned');
  assert.equal(plan.decision.exploration, true);
  // Exploring is not a judgement of quality: nothing for auto-escalation to act on.
  assert.equal(plan.predictedQuality, undefined);
  assert.equal(plan.bestPredictedQuality, undefined);
  assert.equal(plan.decision.explanation, 'learned says so');
  assert.deepEqual(plan.decision.chain, []);
  assert.equal(costSpy.calls, 0, 'later strategies are not consulted');
  // The rest of the ranking, then the other candidates in pool order.
  assert.deepEqual(plan.order, ['claude-sonnet', 'llama3.2-local', 'gpt-4o-mini']);
});

test('EnsembleStrategy: the fallback decides last even with low confidence; a throwing strategy is skipped', () => {
  const broken: RoutingStrategy = {
    name: 'learned',
    decide() {
      throw new Error('index not loaded');
    },
  };
  const router = new EnsembleStrategy([broken], { minConfidence: 0.35, defaultModel: 'claude-sonnet' });
  const plan = router.plan(input(), buildCandidates(pool, input(), noCooldown).candidates);
  assert.equal(plan.decision.strategy, 'fallback');
  assert.equal(plan.decision.model, 'claude-sonnet');
  assert.deepEqual(plan.decision.chain, [{ strategy: 'learned', abstained: true, reason: 'failed: index not loaded' }]);
  assert.deepEqual(router.chainNames, ['learned', 'fallback']);
  assert.throws(
    () => router.plan(input(), []),
    (e: unknown) => e instanceof FugusashiError && e.kind === 'NoModels',
  );
});

test('cost with no fitting model passes to the default model', () => {
  const { router, skipped } = buildEnsemble({
    strategies: ['learned', 'similarity', 'cost', 'fallback'],
    preferLocal: true,
    minConfidence: 0.35,
    defaultModel: 'llama3.2-local',
  });
  assert.deepEqual(skipped, ['learned', 'similarity']);
  const poem = input({ prompt: 'Write a short poem about autumn' });
  const plan = router.plan(poem, buildCandidates([llama, mini], poem, noCooldown).candidates);
  assert.equal(plan.decision.strategy, 'fallback');
  assert.equal(plan.decision.model, 'llama3.2-local');
  assert.equal(plan.decision.chain?.[0]?.strategy, 'cost');
  assert.match(plan.decision.chain?.[0]?.reason ?? '', /^confidence 0\.30 < 0\.35: .*no model is marked for writing/);
});

test('a reasoning model counts for math', () => {
  const math = input({ prompt: 'Solve for x: 3x + 5 = 20' });
  assert.deepEqual(math.preferred, ['math']);
  const v = new CostStrategy({ preferLocal: true }).decide(math, buildCandidates(pool, math, noCooldown).candidates);
  assert.equal(v.ranked[0]!.model, 'llama3.2-local');
  assert.equal(v.confidence, 0.8);
  assert.match(v.explanation, /with reasoning \(for math\): llama3\.2-local/);
});

test('buildEnsemble takes learned strategies from the learner', () => {
  const learned = scripted('learned', { ranked: [{ model: 'gpt-4o-mini', score: 0.8 }] });
  const { router, skipped } = buildEnsemble({
    strategies: ['learned', 'similarity', 'cost', 'fallback'],
    preferLocal: false,
    minConfidence: 0.35,
    learner: { strategy: (n) => (n === 'learned' ? learned : undefined) },
  });
  assert.deepEqual(skipped, ['similarity']);
  assert.deepEqual(router.chainNames, ['learned', 'cost', 'fallback']);
  assert.equal(
    router.plan(input(), buildCandidates(pool, input(), noCooldown).candidates).decision.strategy,
    'learned',
  );
});

test('forcedPlan honours a pool model with no fallbacks; unknown names are 404', () => {
  const tools = input({ tools: [{ type: 'function', function: { name: 'f' } }] });
  const set = buildCandidates(pool, tools, noCooldown);
  const plan = forcedPlan('claude-sonnet', set.candidates, pool);
  assert.deepEqual(plan.order, ['claude-sonnet']);
  assert.equal(plan.decision.strategy, 'override');
  assert.equal(plan.decision.confidence, 1);
  assert.equal(plan.decision.explanation, 'Forced by the request');
  assert.ok(plan.decision.estimated_cost > 0);
  // Forced even though the tools filter excluded it.
  assert.deepEqual(forcedPlan('llama3.2-local', set.candidates, pool, tools).order, ['llama3.2-local']);
  assert.throws(
    () => forcedPlan('gpt-5', set.candidates, pool),
    (e: unknown) => e instanceof FugusashiError && e.kind === 'ModelNotFound' && /llama3\.2-local/.test(e.message),
  );
});

test('noCandidateError: 503 with how to add a model for an empty pool, 400 with reasons otherwise', () => {
  assert.equal(noCandidateError([], []).kind, 'NoModels');
  assert.match(noCandidateError([], []).message, /config\.yaml/);
  const tools = input({ tools: [{ type: 'function', function: { name: 'f' } }] });
  const set = buildCandidates([llama], tools, noCooldown);
  const err = noCandidateError([llama], set.excluded);
  assert.equal(err.kind, 'InvalidRequest');
  assert.match(err.message, /llama3\.2-local: does not support tools/);
});

test('CooldownTracker: N consecutive failures cool a model for S seconds; a success resets', () => {
  let now = 1_000_000;
  const cd = new CooldownTracker({ failures: 3, seconds: 30, now: () => now });
  cd.recordFailure('m');
  cd.recordFailure('m');
  assert.equal(cd.isCoolingDown('m'), false);
  cd.recordSuccess('m');
  cd.recordFailure('m');
  cd.recordFailure('m');
  assert.equal(cd.isCoolingDown('m'), false, 'the success reset the count');
  cd.recordFailure('m');
  assert.equal(cd.isCoolingDown('m'), true);
  assert.equal(cd.remainingSeconds('m'), 30);
  assert.deepEqual(cd.coolingDown(), [{ model: 'm', consecutive_failures: 3, remaining_s: 30 }]);
  now += 30_001;
  assert.equal(cd.isCoolingDown('m'), false);
  cd.recordFailure('m'); // the trial request failed: straight back into cooldown
  assert.equal(cd.isCoolingDown('m'), true);
  cd.recordSuccess('m');
  assert.equal(cd.isCoolingDown('m'), false);
  // Cooldown candidates integrate with buildCandidates.
  cd.recordFailure('gpt-4o-mini');
  cd.recordFailure('gpt-4o-mini');
  cd.recordFailure('gpt-4o-mini');
  assert.ok(!names(buildCandidates(pool, input(), cd).candidates).includes('gpt-4o-mini'));
});

test('a decision over 20 models takes well under 0.1 ms', () => {
  const big = Array.from({ length: 20 }, (_, i) =>
    i % 4 === 0
      ? local(`local-${i}`, { capabilities: ['chat', 'code'] })
      : model(`cloud-${i}`, {
          cost_per_input_token: 0.000001 * (i + 1),
          cost_per_output_token: 0.000003 * (i + 1),
          capabilities: i % 2 ? ['chat', 'code', 'tools'] : ['chat', 'reasoning', 'math'],
          context_window: 128_000,
        }),
  );
  const { router } = buildEnsemble({
    strategies: ['cost', 'fallback'],
    preferLocal: true,
    minConfidence: 0.35,
  });
  const req = input({ prompt: 'Write a TypeScript function that merges two sorted arrays and explain why it is O(n)' });
  const cd = new CooldownTracker({ failures: 3, seconds: 30, now: () => 0 });
  const run = () => router.plan(req, buildCandidates(big, req, cd).candidates);
  for (let i = 0; i < 2_000; i++) run(); // warm up the JIT
  // CPU time, not wall time: the machine is shared, and time spent preempted is not the router's.
  const n = 20_000;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) run();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6 / n;
  const cpu = process.cpuUsage(cpu0);
  const perDecisionMs = (cpu.user + cpu.system) / 1000 / n;
  console.log(
    `decision over 20 models (candidates + chain): ${(perDecisionMs * 1000).toFixed(1)} µs CPU, ${(wallMs * 1000).toFixed(1)} µs wall`,
  );
  assert.ok(perDecisionMs < 0.1, `${perDecisionMs} ms`);
});

test('a model with an unset ${KEY} is no candidate; when no model can be called the error names the variables', () => {
  const keyless = model('gpt-4o-mini', { unavailable: 'OPENAI_API_KEY is not set (api_key: ${OPENAI_API_KEY})' });
  const set = buildCandidates([keyless, llama], input(), noCooldown);
  assert.deepEqual(names(set.candidates), ['llama3.2-local']);
  assert.match(set.excluded[0]!.reason, /OPENAI_API_KEY is not set/);
  const none = buildCandidates([keyless], input(), noCooldown);
  const err = noCandidateError([keyless], none.excluded);
  assert.equal(err.kind, 'NoModels');
  assert.match(err.message, /gpt-4o-mini: OPENAI_API_KEY is not set/);
});
