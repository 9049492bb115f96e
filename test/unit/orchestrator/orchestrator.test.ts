import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OrchestrationProgress } from '../../../shared/api';
import type { OrchestratorConfig } from '../../../shared/config';
import { FugusashiError } from '../../../shared/errors';
import type { ChatCompletionRequest } from '../../../shared/openai';
import { createOrchestrator, type OrchestrationStopDetails } from '../../../daemon/orchestrator';
import { ScriptedGateway, lastUserText, model, slow, type ScriptedModel } from './scripted-gateway';

const request: ChatCompletionRequest = {
  model: 'auto:orchestrate',
  messages: [{ role: 'user', content: 'Write a sort function, prove its bound, and explain both.' }],
};

const plan = (subtasks: { id: string; capability: string; depends_on?: string[] }[]): string =>
  JSON.stringify({
    subtasks: subtasks.map((s) => ({ instructions: `do ${s.id}`, depends_on: [], ...s })),
  });

const teamPlan = plan([
  { id: 'a', capability: 'code' },
  { id: 'b', capability: 'math' },
  { id: 'c', capability: 'writing', depends_on: ['a', 'b'] },
]);

const pool = [
  model('planner', ['reasoning']),
  model('coder', ['code']),
  model('coder2', ['code']),
  model('mathy', ['math']),
  model('writer', ['writing', 'chat']),
];

/** Specialists answer "<model>:<sub-task instructions>"; the writer also synthesizes. */
function team(planner: ScriptedModel, overrides: Record<string, ScriptedModel> = {}): Record<string, ScriptedModel> {
  const echo: ScriptedModel = ({ model: name, request: r }) =>
    `${name} did ${lastUserText(r).split('Your sub-task:\n')[1] ?? '?'}`;
  return {
    planner,
    coder: echo,
    coder2: echo,
    mathy: echo,
    writer: ({ request: r }) =>
      lastUserText(r).startsWith("Specialists' results")
        ? 'FINAL ANSWER'
        : echo({ model: 'writer', request: r, signal: new AbortController().signal }),
    ...overrides,
  };
}

function setup(
  planner: ScriptedModel,
  config: OrchestratorConfig = { planner: 'planner', synthesizer: 'writer' },
  overrides = {},
) {
  const gateway = new ScriptedGateway(pool, team(planner, overrides), { code: ['coder', 'coder2', 'writer'] });
  const orchestrator = createOrchestrator({ gateway, config: () => config });
  return { gateway, orchestrator };
}

async function stopped(promise: Promise<unknown>): Promise<FugusashiError & { details: OrchestrationStopDetails }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof FugusashiError, String(err));
    return err as FugusashiError & { details: OrchestrationStopDetails };
  }
  assert.fail('expected the run to stop with an error');
}

test('a valid plan runs each sub-task on its routed specialist, passes results on, and synthesizes', async () => {
  const { gateway, orchestrator } = setup(() => teamPlan);
  const events: OrchestrationProgress[] = [];
  const out = await orchestrator.run(request, {
    signal: new AbortController().signal,
    onProgress: (e) => events.push(e),
  });

  assert.equal(out.completion.choices[0]?.message.content, 'FINAL ANSWER');
  assert.equal(out.decision.strategy, 'orchestrator');
  assert.equal(out.completion.routing_decision, out.decision);
  assert.deepEqual(
    out.steps.map((s) => [s.id, s.kind, s.model, s.status]),
    [
      ['plan', 'plan', 'planner', 'ok'],
      ['a', 'subtask', 'coder', 'ok'],
      ['b', 'subtask', 'mathy', 'ok'],
      ['c', 'subtask', 'writer', 'ok'],
      ['synthesis', 'synthesis', 'writer', 'ok'],
    ],
  );
  assert.deepEqual(
    out.decision.plan?.map((p) => [p.id, p.capability, p.model]),
    out.steps.map((s) => [s.id, s.capability ?? s.kind, s.model]),
  );
  // Sub-tasks are routed on their own text with their capability as the hint.
  assert.ok(gateway.routed.some((r) => r.text === 'do a' && r.capability === 'code'));
  // The dependent got both dependency results.
  const cCall = gateway.calls.find(
    (c) => c.model === 'writer' && lastUserText(c.request).includes('Your sub-task:\ndo c'),
  );
  assert.ok(cCall);
  assert.match(lastUserText(cCall.request), /sub-task "a" \(code\):\ncoder did do a/);
  assert.match(lastUserText(cCall.request), /sub-task "b" \(math\):\nmathy did do b/);
  // The synthesizer sees every result.
  const synth = gateway.calls.at(-1);
  assert.match(lastUserText(synth!.request), /### c \(writing\): do c\nwriter did do c/);
  // Progress: planning, the plan, sub-task starts/finishes, synthesis.
  assert.deepEqual(
    events.map((e) => e.phase).filter((p, i, a) => p !== a[i - 1]),
    [
      'planning',
      'planned',
      'subtask-started',
      'subtask-finished',
      'subtask-started',
      'subtask-finished',
      'synthesizing',
    ],
  );
  assert.deepEqual(
    events.find((e) => e.phase === 'planned')?.plan?.map((s) => s.id),
    ['a', 'b', 'c'],
  );
  assert.equal(out.completion.usage?.completion_tokens, 5000);
});

test('an invalid plan is retried once with the error, and the retried plan is used', async () => {
  let calls = 0;
  const { gateway, orchestrator } = setup(() => (++calls === 1 ? 'Here you go: {"subtasks": [' : teamPlan));
  const out = await orchestrator.run(request, { signal: new AbortController().signal });
  assert.equal(out.decision.strategy, 'orchestrator');
  assert.deepEqual(
    out.steps.slice(0, 2).map((s) => [s.id, s.status]),
    [
      ['plan', 'failed'],
      ['plan-retry', 'ok'],
    ],
  );
  const retry = gateway.calls.filter((c) => c.model === 'planner')[1];
  assert.match(lastUserText(retry!.request), /That plan cannot be used: the planner's reply is not valid JSON/);
});

test('a plan that is cyclic twice falls back to single-model routing with the reason recorded', async () => {
  const cyclic = plan([
    { id: 'a', capability: 'code', depends_on: ['b'] },
    { id: 'b', capability: 'math', depends_on: ['a'] },
  ]);
  const { orchestrator } = setup(() => cyclic);
  const out = await orchestrator.run(request, { signal: new AbortController().signal });
  assert.equal(out.decision.strategy, 'cost');
  assert.equal(out.decision.chain?.[0]?.strategy, 'orchestrator');
  assert.equal(out.decision.chain?.[0]?.abstained, true);
  assert.match(out.decision.chain?.[0]?.reason ?? '', /invalid twice .*cycle: a → b → a/);
  assert.match(out.decision.explanation, /^Orchestration fell back to single-model routing because/);
  assert.deepEqual(
    out.steps.map((s) => [s.id, s.status]),
    [
      ['plan', 'failed'],
      ['plan-retry', 'failed'],
      ['fallback', 'ok'],
    ],
  );
});

test('a failing specialist falls back to the next model in its route; all failing falls back to one model', async () => {
  const broken: ScriptedModel = () => {
    throw new Error('HTTP 500');
  };
  const one = setup(() => teamPlan, undefined, { coder: broken });
  const out = await one.orchestrator.run(request, { signal: new AbortController().signal });
  const a = out.steps.find((s) => s.id === 'a');
  assert.equal(a?.model, 'coder2');
  assert.match(a?.reason ?? '', /coder failed; coder2 answered/);

  // The writer is also in the code route; it fails specialist work but answers the original request.
  const soloOrBroken: ScriptedModel = ({ request: r }) => {
    if (lastUserText(r) !== request.messages[0]?.content) throw new Error('HTTP 503');
    return 'SOLO';
  };
  const all = setup(() => plan([{ id: 'a', capability: 'code' }]), undefined, {
    coder: broken,
    coder2: broken,
    writer: soloOrBroken,
  });
  const fallback = await all.orchestrator.run(request, { signal: new AbortController().signal });
  // The scripted router's default order puts the planner first for an un-hinted request.
  assert.deepEqual([fallback.steps.at(-1)?.id, fallback.steps.at(-1)?.model], ['fallback', 'planner']);
  assert.match(fallback.decision.chain?.[0]?.reason ?? '', /every sub-task failed/);
  assert.equal(fallback.steps.find((s) => s.id === 'a')?.status, 'failed');
});

test('independent sub-tasks run at most max_parallel at a time', async () => {
  const four = plan(['p', 'q', 'r', 's'].map((id) => ({ id, capability: 'math' })));
  const { gateway, orchestrator } = setup(
    () => four,
    { planner: 'planner', synthesizer: 'writer', max_parallel: 2 },
    { mathy: ({ signal }: { signal: AbortSignal }) => slow(30, 'ok', signal) },
  );
  await orchestrator.run(request, { signal: new AbortController().signal });
  assert.equal(gateway.peakActive, 2);
});

test('the cost budget stops the run with a message naming the limit, and the partial trace', async () => {
  const priced = [
    model('planner', ['reasoning'], 0.01),
    model('mathy', ['math'], 0.01),
    model('writer', ['writing'], 0.01),
  ];
  const gateway = new ScriptedGateway(priced, {
    planner: () =>
      plan([
        { id: 'a', capability: 'math' },
        { id: 'b', capability: 'math' },
      ]),
    mathy: ({ signal }) => slow(200, 'ok', signal),
    writer: () => 'never',
  });
  const orchestrator = createOrchestrator({
    gateway,
    config: () => ({ planner: 'planner', synthesizer: 'writer', max_cost_usd: 0.02, max_parallel: 2 }),
  });
  const err = await stopped(orchestrator.run(request, { signal: new AbortController().signal }));
  assert.equal(err.kind, 'BudgetExceeded');
  assert.match(err.message, /^Orchestration stopped: max_cost_usd \$0\.0200 would be passed by sub-task "b"/);
  assert.ok(err.details.cost_usd <= 0.02 + 1e-9, String(err.details.cost_usd));
  assert.deepEqual(
    err.details.steps.map((s) => [s.id, s.status]),
    [
      ['plan', 'ok'],
      ['a', 'failed'], // stopped with the run
      ['b', 'failed'],
    ],
  );
  assert.ok(!gateway.calls.some((c) => c.model === 'writer'));
});

test('the wall-time budget aborts running sub-tasks', async () => {
  const { orchestrator } = setup(
    () => plan([{ id: 'a', capability: 'math' }]),
    { planner: 'planner', synthesizer: 'writer', max_seconds: 1 },
    { mathy: ({ signal }: { signal: AbortSignal }) => slow(10_000, 'late', signal) },
  );
  const t0 = Date.now();
  const err = await stopped(orchestrator.run(request, { signal: new AbortController().signal }));
  assert.ok(Date.now() - t0 < 2_500);
  assert.equal(err.kind, 'BudgetExceeded');
  assert.match(err.message, /max_seconds 1 s passed/);
});

test('cancellation mid-run stops every running step and reports Cancelled with the steps so far', async () => {
  const signals: AbortSignal[] = [];
  const hang: ScriptedModel = ({ signal }) => {
    signals.push(signal);
    return slow(10_000, 'late', signal);
  };
  const { gateway, orchestrator } = setup(
    () =>
      plan([
        { id: 'a', capability: 'math' },
        { id: 'b', capability: 'code' },
        { id: 'c', capability: 'writing', depends_on: ['a'] },
      ]),
    undefined,
    { mathy: hang, coder: hang },
  );
  const controller = new AbortController();
  const run = orchestrator.run(request, {
    signal: controller.signal,
    onProgress: (e) => {
      if (e.phase === 'subtask-started' && e.step_id === 'b') setTimeout(() => controller.abort(), 10);
    },
  });
  const t0 = Date.now();
  const err = await stopped(run);
  assert.ok(Date.now() - t0 < 1_000);
  assert.equal(err.kind, 'Cancelled');
  assert.equal(signals.length, 2);
  assert.ok(signals.every((s) => s.aborted));
  assert.deepEqual(
    err.details.steps.map((s) => [s.id, s.status]),
    [
      ['plan', 'ok'],
      ['a', 'failed'],
      ['b', 'failed'],
    ],
  );
  assert.ok(!gateway.calls.some((c) => c.model === 'writer'));
});

test('ratings credit (capability, model) pairs and the pattern, and change which model gets a kind of sub-task', async () => {
  const { gateway, orchestrator } = setup(() => teamPlan);
  const first = await orchestrator.run(request, { signal: new AbortController().signal });
  assert.equal(first.steps.find((s) => s.id === 'a')?.model, 'coder');

  const outcomes = orchestrator.creditRating(first.steps, 1, { request_id: 'r1', created_at: 5 });
  assert.deepEqual(
    outcomes.map((o) => [o.prompt, o.model, o.score, o.weight, o.source, o.request_id]),
    [
      ['do a', 'coder', 0, 0.5, 'orchestrator:code@code+math>writing', 'r1'],
      ['do b', 'mathy', 0, 0.5, 'orchestrator:math@code+math>writing', 'r1'],
      ['do c', 'writer', 0, 0.5, 'orchestrator:writing@code+math>writing', 'r1'],
    ],
  );
  assert.ok(orchestrator.memory.patternScore('code+math>writing').score < 0.6);
  // Until Tier 1's pick has ratings nothing changes; then each of Tier 1's top candidates is tried.
  const run = () => orchestrator.run(request, { signal: new AbortController().signal });
  for (let i = 0; i < 3; i++) orchestrator.creditRating(first.steps, 1);
  const second = await run();
  const a2 = second.steps.find((s) => s.id === 'a');
  assert.equal(a2?.model, 'coder2');
  assert.match(
    a2?.reason ?? '',
    /trying coder2 for code sub-tasks \(0 of 2 ratings so far; Tier 1's first choice coder has 4\)/,
  );
  for (let i = 0; i < 2; i++) orchestrator.creditRating(second.steps, 5);
  const third = await run();
  assert.equal(third.steps.find((s) => s.id === 'a')?.model, 'writer'); // third of Tier 1's code candidates
  for (let i = 0; i < 2; i++) orchestrator.creditRating(third.steps, 2);
  // With every candidate rated, the best-rated one gets code sub-tasks, and the trace says why.
  const fourth = await run();
  const a4 = fourth.steps.find((s) => s.id === 'a');
  assert.equal(a4?.model, 'coder2');
  assert.match(
    a4?.reason ?? '',
    /code sub-tasks: coder2 rated 5\.0\/5 over 2 ratings in team answers vs coder 1\.0\/5 over 4 ratings/,
  );
  // The planner is told how that plan shape was rated.
  const plannerCall = gateway.calls
    .filter((c) => String(c.request.messages[0]?.content).startsWith('You are the planner'))
    .at(-1);
  assert.match(String(plannerCall?.request.messages[0]?.content), /code\+math>writing rated \d\.\d\/5 \(8 ratings\)/);

  // A restart rebuilds the same memory from the stored outcomes.
  const fresh = createOrchestrator({ gateway, config: () => undefined });
  fresh.restore(outcomes.map((o, i) => ({ ...o, id: i + 1 })));
  assert.deepEqual(fresh.memory.pairScore('code', 'coder'), { score: 0, n: 1 });
  assert.equal(fresh.memory.patternScore('code+math>writing').n, 1);
});

test("the client's system prompt reaches the synthesizer; specialists get only their part", async () => {
  const { gateway, orchestrator } = setup(() => teamPlan);
  const withSystem: ChatCompletionRequest = {
    ...request,
    messages: [{ role: 'system', content: 'Answer in French.' }, ...request.messages],
  };
  await orchestrator.run(withSystem, { signal: new AbortController().signal });
  const synth = gateway.calls.at(-1)!;
  assert.match(
    String(synth.request.messages[0]?.content),
    /The user's own instructions for answers:\nAnswer in French\./,
  );
  assert.ok(!synth.request.messages.slice(1).some((m) => m.role === 'system'));
  const coder = gateway.calls.find((c) => c.model === 'coder')!;
  assert.ok(!String(coder.request.messages[0]?.content).includes('French'));
});

test('onUnderway: called once when the first model call passed the budget, never when the budget refuses it', async () => {
  const priced = [model('planner', ['reasoning'], 0.01), model('writer', ['writing', 'chat'], 0.01)];
  const script = { planner: () => plan([{ id: 'a', capability: 'chat' }]), writer: () => 'FINAL ANSWER' };
  const run = async (max_cost_usd: number): Promise<{ underway: number; error: unknown }> => {
    const orchestrator = createOrchestrator({
      gateway: new ScriptedGateway(priced, script),
      config: () => ({ planner: 'planner', synthesizer: 'writer', max_cost_usd }),
    });
    let underway = 0;
    try {
      await orchestrator.run(request, { signal: new AbortController().signal, onUnderway: () => underway++ });
      return { underway, error: null };
    } catch (err) {
      return { underway, error: err };
    }
  };
  const refused = await run(0.000001);
  assert.equal((refused.error as FugusashiError | null)?.kind, 'BudgetExceeded');
  assert.equal(refused.underway, 0, 'the planner was never paid for: the team did not start');
  const ran = await run(1);
  assert.equal(ran.error, null);
  assert.equal(ran.underway, 1, 'once, however many calls followed');
});
