// `model: "auto:orchestrate"` through the REAL daemon (HTTP door, chat service, Gateway, providers,
// store) with loopback fake upstreams as the models. One fake acts as the planner: its per-request
// hook answers the planner prompt with valid, invalid or cyclic plans.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { FeedbackStats, Trace } from '../../../shared/api';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../../shared/openai';
import { ChatRequest } from '../../../shared/protocol';
import type { FakeBehaviour, FakeRequest } from '../../fakes';
import { connectWindow } from '../../helpers/rpc-window';
import { startTestDaemon, type TestDaemon, type TestModel } from '../../helpers/daemon';

const PLANNER_PROMPT = 'You are the planner';
const SYNTHESIS_PROMPT = 'You write the final answer';

// The real cost router sends a sub-task to the cheapest model that fits its capability, and a
// reasoning model also fits math and writing: the planner is priced so the specialists are cheaper.
const plannerPrice = { cost_per_output_token: 0.000005 };
const models: TestModel[] = [
  { name: 'planner', config: { capabilities: ['reasoning'], ...plannerPrice } },
  { name: 'coder', config: { capabilities: ['code'], cost_per_output_token: 0.000001 } },
  { name: 'coder-backup', config: { capabilities: ['code'], cost_per_output_token: 0.000002 } },
  { name: 'mathy', config: { capabilities: ['math'], cost_per_output_token: 0.000001 } },
  { name: 'writer', config: { capabilities: ['chat', 'writing'] } },
];

const routing = { prefer_local: false, cooldown_failures: 100, strategies: ['cost' as const, 'fallback' as const] };

const teamPlan = {
  subtasks: [
    { id: 'a', capability: 'code', instructions: 'Write is_prime(n) in Python.', depends_on: [] },
    { id: 'b', capability: 'math', instructions: 'Compute 17 * 23.', depends_on: [] },
    {
      id: 'c',
      capability: 'writing',
      instructions: 'Summarize both results in one paragraph.',
      depends_on: ['a', 'b'],
    },
  ],
};

function systemText(req: FakeRequest): string {
  const first = (req.body?.messages as { role: string; content: unknown }[] | undefined)?.[0];
  return first?.role === 'system' && typeof first.content === 'string' ? first.content : '';
}

/** The planner fake answers planner prompts with these replies in turn (the last one repeats). */
function plannerSays(d: TestDaemon, ...replies: string[]): void {
  let n = 0;
  d.fakes['planner']!.hook = (req): FakeBehaviour | undefined => {
    if (!systemText(req).startsWith(PLANNER_PROMPT)) return undefined;
    return { text: replies[Math.min(n++, replies.length - 1)]! };
  };
}

function writerSynthesizes(d: TestDaemon): void {
  d.fakes['writer']!.hook = (req) =>
    systemText(req).startsWith(SYNTHESIS_PROMPT) ? { text: 'THE FINAL ANSWER' } : undefined;
}

async function post(d: TestDaemon, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${d.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}

async function trace(d: TestDaemon, id: string): Promise<Trace> {
  const res = await fetch(`${d.url}/v1/trace/${id}`);
  assert.equal(res.status, 200);
  return (await res.json()) as Trace;
}

const ask = {
  model: 'auto:orchestrate',
  messages: [{ role: 'user', content: 'Write is_prime, prove primes are infinite, relate them.' }],
};

describe('auto:orchestrate through the daemon', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon({
      models,
      config: {
        routing,
        orchestrator: { planner: 'planner', synthesizer: 'writer', max_parallel: 2, max_seconds: 30 },
      },
    });
  });
  after(async () => d.close());
  beforeEach(() => {
    for (const f of Object.values(d.fakes)) f.reset();
    writerSynthesizes(d);
  });

  test('a valid plan: specialists answer their parts, the synthesizer answers, the trace has every step', async () => {
    plannerSays(d, `Here is the plan:\n\`\`\`json\n${JSON.stringify(teamPlan)}\n\`\`\``);
    const res = await post(d, ask);
    assert.equal(res.status, 200);
    const completion = (await res.json()) as ChatCompletion;
    assert.equal(completion.choices[0]?.message.content, 'THE FINAL ANSWER');
    const decision = completion.routing_decision!;
    assert.equal(decision.strategy, 'orchestrator');
    assert.deepEqual(
      decision.plan?.map((p) => [p.id, p.capability, p.model, p.status]),
      [
        ['plan', 'plan', 'planner', 'ok'],
        ['a', 'code', 'coder', 'ok'],
        ['b', 'math', 'mathy', 'ok'],
        ['c', 'writing', 'writer', 'ok'],
        ['synthesis', 'synthesis', 'writer', 'ok'],
      ],
    );
    // The specialists got their own instructions; the dependent one got both results.
    assert.match(d.fakes['coder']!.requests[0]!.lastUserText, /Your sub-task:\nWrite is_prime\(n\) in Python\./);
    const c = d.fakes['writer']!.requests.find((r) => r.lastUserText.includes('Your sub-task:\nSummarize both'));
    assert.ok(c);
    assert.match(c.lastUserText, /sub-task "a" \(code\):\nfake answer from coder-upstream/);
    assert.match(c.lastUserText, /sub-task "b" \(math\):\nfake answer from mathy-upstream/);

    const t = await trace(d, completion.id);
    assert.deepEqual(
      t.steps?.map((s) => [s.id, s.kind, s.model, s.status]),
      decision.plan?.map((p) => [
        p.id,
        p.id === 'plan' ? 'plan' : p.id === 'synthesis' ? 'synthesis' : 'subtask',
        p.model,
        p.status,
      ]),
    );
    assert.ok(t.steps?.find((s) => s.id === 'plan')?.reason.includes('repaired: extracted the JSON'));

    // A rating credits each specialist's (capability, model) pair: one outcome per answered sub-task.
    const before = (await (await fetch(`${d.url}/v1/feedback/stats`)).json()) as FeedbackStats;
    const rate = await fetch(`${d.url}/v1/feedback/rate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request_id: completion.id, rating: 5 }),
    });
    assert.equal(rate.status, 200);
    const afterRating = (await (await fetch(`${d.url}/v1/feedback/stats`)).json()) as FeedbackStats;
    assert.equal(afterRating.outcomes - before.outcomes, 3);
  });

  test('streaming shows progress events first, then the answer', async () => {
    plannerSays(d, JSON.stringify(teamPlan));
    const res = await post(d, { ...ask, stream: true });
    assert.equal(res.status, 200);
    const chunks: ChatCompletionChunk[] = [];
    for (const line of (await res.text()).split('\n'))
      if (line.startsWith('data: ') && line !== 'data: [DONE]')
        chunks.push(JSON.parse(line.slice(6)) as ChatCompletionChunk);
    const phases = chunks.filter((c) => c.orchestration).map((c) => c.orchestration!.phase);
    assert.deepEqual([phases[0], phases[1], phases.at(-1)], ['planning', 'planned', 'synthesizing']);
    assert.equal(phases.filter((p) => p === 'subtask-finished').length, 3);
    const lastProgress = chunks.map((c) => Boolean(c.orchestration)).lastIndexOf(true);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, 'THE FINAL ANSWER');
    const firstContent = chunks.findIndex((c) => (c.choices[0]?.delta.content ?? '') !== '');
    assert.ok(firstContent > lastProgress, 'the answer comes after the progress events');
  });

  test('an invalid plan is retried once; a cyclic plan twice falls back to one model with the reason', async () => {
    plannerSays(d, 'I would split this into code and math.', JSON.stringify(teamPlan));
    const retried = (await (await post(d, ask)).json()) as ChatCompletion;
    assert.equal(retried.routing_decision?.strategy, 'orchestrator');
    assert.deepEqual(
      retried.routing_decision?.plan?.slice(0, 2).map((p) => [p.id, p.status]),
      [
        ['plan', 'failed'],
        ['plan-retry', 'ok'],
      ],
    );

    const cyclic = JSON.stringify({
      subtasks: [
        { id: 'x', capability: 'code', instructions: 'x', depends_on: ['y'] },
        { id: 'y', capability: 'math', instructions: 'y', depends_on: ['x'] },
      ],
    });
    plannerSays(d, cyclic);
    const res = await post(d, ask);
    assert.equal(res.status, 200);
    const fallback = (await res.json()) as ChatCompletion;
    assert.match(
      fallback.routing_decision?.explanation ?? '',
      /fell back to single-model routing because the planner's plan was invalid twice/,
    );
    assert.match(fallback.routing_decision?.explanation ?? '', /cycle: x → y → x/);
    const t = await trace(d, fallback.id);
    assert.deepEqual(
      t.steps?.map((s) => [s.id, s.status]),
      [
        ['plan', 'failed'],
        ['plan-retry', 'failed'],
        ['fallback', 'ok'],
      ],
    );
  });

  test('a failing specialist: the Gateway falls back to the next model for that sub-task', async () => {
    plannerSays(d, JSON.stringify(teamPlan));
    d.fakes['coder']!.set({ error: { status: 500, message: 'coder is down' } });
    const completion = (await (await post(d, ask)).json()) as ChatCompletion;
    const a = completion.routing_decision?.plan?.find((p) => p.id === 'a');
    assert.equal(a?.model, 'coder-backup');
    assert.match(a?.reason ?? '', /coder failed; coder-backup answered/);
    assert.equal(d.fakes['coder']!.requests.length, 1);
    assert.equal(completion.choices[0]?.message.content, 'THE FINAL ANSWER');
  });

  test('cancellation mid-run: the client disconnects and every running upstream call is stopped', async () => {
    plannerSays(d, JSON.stringify(teamPlan));
    d.fakes['coder']!.set({ hang: true });
    d.fakes['mathy']!.set({ hang: true });
    const controller = new AbortController();
    const pending = post(d, ask, controller.signal).catch((err: unknown) => err);
    const [coderReq, mathyReq] = await Promise.all([
      d.fakes['coder']!.waitForRequest(1, 10_000),
      d.fakes['mathy']!.waitForRequest(1, 10_000),
    ]);
    controller.abort();
    assert.ok((await pending) instanceof Error);
    const outcomes = await Promise.all([coderReq.closed, mathyReq.closed]);
    assert.deepEqual(outcomes, ['client-closed', 'client-closed']);
    // Nothing ran after the cancel: no synthesis, no dependent sub-task.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(d.fakes['writer']!.requests.length, 0);
    // The cancelled request's record shows how far the team got (before: no steps at all).
    const rows = (await (await fetch(`${d.url}/v1/routing/decisions?limit=1`)).json()) as {
      data: { request_id: string; requested_model: string; status: string }[];
    };
    const row = rows.data[0]!;
    assert.deepEqual([row.requested_model, row.status], ['auto:orchestrate', 'error']);
    const t = await trace(d, row.request_id);
    assert.deepEqual(
      t.steps?.map((s) => [s.id, s.status]),
      [
        ['plan', 'ok'],
        ['a', 'failed'],
        ['b', 'failed'],
      ],
    );
  });

  test('a VS Code window that goes away while its team runs stops the team', async () => {
    // The window's extension host is gone (window closed, reloaded) without cancelling: nobody will
    // read the answer. Before, the team kept running (and paying) until it finished.
    plannerSays(d, JSON.stringify(teamPlan));
    d.fakes['coder']!.set({ hang: true });
    d.fakes['mathy']!.set({ hang: true });
    const window = await connectWindow(d.dataDir);
    void window.connection
      .sendRequest(ChatRequest, { request: ask as ChatCompletionRequest, streamId: 'gone', source: 'vscode-chat' })
      .catch(() => undefined);
    const [coderReq, mathyReq] = await Promise.all([
      d.fakes['coder']!.waitForRequest(1, 10_000),
      d.fakes['mathy']!.waitForRequest(1, 10_000),
    ]);
    window.close();
    assert.deepEqual(await Promise.all([coderReq.closed, mathyReq.closed]), ['client-closed', 'client-closed']);
    // Stopped because the window left, not by max_seconds (30 s here) running out.
    const rows = (await (await fetch(`${d.url}/v1/routing/decisions?limit=1`)).json()) as {
      data: { request_id: string; source: string }[];
    };
    assert.equal(rows.data[0]?.source, 'vscode-chat');
    const t = await trace(d, rows.data[0].request_id);
    assert.match(t.error ?? '', /cancelled/);
  });
});

describe('auto:orchestrate budget', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon({
      models: models.map((m) =>
        m.name === 'planner' ? { name: 'planner', config: { capabilities: ['reasoning'] } } : m,
      ),
      // The planner is free; each code sub-task is estimated at ~$0.0007 (700 output tokens at $1/M).
      config: {
        routing,
        orchestrator: { planner: 'planner', synthesizer: 'writer', max_parallel: 2, max_cost_usd: 0.001 },
      },
    });
  });
  after(async () => d.close());

  test('hitting max_cost_usd stops the run with 422 budget_exceeded and a message naming the limit', async () => {
    plannerSays(d, JSON.stringify({ subtasks: [teamPlan.subtasks[0], { ...teamPlan.subtasks[0], id: 'a2' }] }));
    d.fakes['coder']!.set({ firstByteDelayMs: 200 });
    const res = await post(d, ask);
    assert.equal(res.status, 422);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'budget_exceeded');
    assert.match(body.error.message, /^Orchestration stopped: max_cost_usd \$0\.0010 would be passed by sub-task "a2"/);
    assert.equal(d.fakes['writer']!.requests.length, 0);
  });
});
