// orchestrator.auto_escalate_below through the real daemon: when the deciding strategy predicts
// that its pick answers below the threshold, an `auto` request is answered by the orchestrator's
// team instead, and says so in its routing decision; at or above it, the single model answers.
// The learned strategy is replaced by one whose predicted quality the test sets (no embedder).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Candidate, Learner, RouteInput, StrategyVerdict } from '../../../daemon/core/ports';
import type { Trace } from '../../../shared/api';
import type { ChatCompletion, ChatCompletionChunk, ChatMessage, RoutingDecision } from '../../../shared/openai';
import { ChatChunkNotification, ChatRequest } from '../../../shared/protocol';
import type { FakeRequest } from '../../fakes';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { connectWindow } from '../../helpers/rpc-window';

let predicted = 0.9;
/** The best prediction over the pool (undefined: the strategy does not report one). */
let best: number | undefined;
/** A "learned" strategy that always picks model-a and predicts `predicted` for it. */
const learner: Learner = {
  strategy: (name) =>
    name === 'learned'
      ? {
          name,
          decide: (_input: RouteInput, candidates: readonly Candidate[]): StrategyVerdict => ({
            strategy: 'learned',
            abstain: false,
            confidence: 0.9,
            ranked: candidates.map((c, i) => ({ model: c.config.name, score: 1 - i / 10 })),
            explanation: 'scripted prediction',
            predictedQuality: predicted,
            ...(best !== undefined ? { bestPredictedQuality: best } : {}),
          }),
        }
      : undefined,
  prepare: () => Promise.resolve(undefined),
  observe: () => undefined,
  retrain: () => Promise.resolve(),
  status: () => ({ outcomes: 0, last_retrain_at: null, retraining: false, embeddings: 'ready' }),
};

function systemText(req: FakeRequest): string {
  const first = (req.body?.messages as { role: string; content: unknown }[] | undefined)?.[0];
  return first?.role === 'system' && typeof first.content === 'string' ? first.content : '';
}

const plan = {
  subtasks: [{ id: 'a', capability: 'chat', instructions: 'Answer the question.', depends_on: [] }],
};

const hardQuestion: ChatMessage[] = [{ role: 'user', content: 'a hard question' }];

/** `auto` streamed through the chat completions door: the response and its chunks. */
async function streamChat(d: TestDaemon): Promise<{ res: Response; chunks: ChatCompletionChunk[] }> {
  const res = await fetch(`${d.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'auto', stream: true, messages: hardQuestion }),
  });
  const chunks = (await res.text())
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)) as ChatCompletionChunk);
  return { res, chunks };
}

interface MessagesEvent {
  type: string;
  message?: { model: string; routing_decision?: RoutingDecision };
  routing_decision?: RoutingDecision;
}

/** `auto` streamed through the Anthropic Messages door: the response and its events. */
async function streamMessages(d: TestDaemon): Promise<{ res: Response; events: MessagesEvent[] }> {
  const res = await fetch(`${d.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'auto', stream: true, max_tokens: 100, messages: hardQuestion }),
  });
  const events = (await res.text())
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)) as MessagesEvent);
  return { res, events };
}

/** `auto` streamed over JSON-RPC as a VS Code window asks: the collected completion and the chunks. */
async function streamRpc(d: TestDaemon): Promise<{ completion: ChatCompletion; chunks: ChatCompletionChunk[] }> {
  const window = await connectWindow(d.dataDir);
  const chunks: ChatCompletionChunk[] = [];
  window.connection.onNotification(ChatChunkNotification, (p) => {
    chunks.push(p.chunk);
  });
  try {
    const completion = await window.connection.sendRequest(ChatRequest, {
      request: { model: 'auto', messages: hardQuestion },
      streamId: 'escalated',
      source: 'vscode-chat',
    });
    return { completion, chunks };
  } finally {
    window.close();
  }
}

describe('orchestrator.auto_escalate_below', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon({
      learner: () => learner,
      config: {
        routing: { strategies: ['learned', 'cost', 'fallback'], prefer_local: false },
        orchestrator: { planner: 'model-b', synthesizer: 'model-b', auto_escalate_below: 0.6 },
      },
    });
    d.fakes['model-b']!.hook = (req) => {
      const system = systemText(req);
      if (system.startsWith('You are the planner')) return { text: '```json\n' + JSON.stringify(plan) + '\n```' };
      if (system.startsWith('You write the final answer')) return { text: 'TEAM ANSWER' };
      return undefined;
    };
  });
  after(async () => d.close());

  const ask = (stream = false) =>
    fetch(`${d.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', stream, messages: [{ role: 'user', content: 'a hard question' }] }),
    });

  test('predicted quality at or above the threshold: the single model answers', async () => {
    predicted = 0.8;
    const answer = (await (await ask()).json()) as ChatCompletion;
    assert.equal(answer.routing_decision?.strategy, 'learned');
    assert.equal(answer.model, 'model-a');
  });

  test('the pick below the threshold but a pricier model predicted above it: the single model answers', async () => {
    // auto:cost picks the cheap model knowing it answers worse; a team is worth its calls only
    // when no single model is expected to reach the bar. Before, the pick's 0.30 alone escalated.
    predicted = 0.3;
    best = 0.8;
    try {
      const answer = (await (await ask()).json()) as ChatCompletion;
      assert.equal(answer.routing_decision?.strategy, 'learned');
      assert.equal(answer.model, 'model-a');
    } finally {
      best = undefined;
    }
  });

  test('below the threshold: the team answers, and the decision says why', async () => {
    predicted = 0.3;
    const answer = (await (await ask()).json()) as ChatCompletion;
    assert.equal(answer.choices[0]?.message.content, 'TEAM ANSWER');
    assert.equal(answer.routing_decision?.strategy, 'orchestrator');
    assert.match(
      answer.routing_decision?.explanation ?? '',
      /Escalated to the orchestrator: learned predicts at most 0\.30/,
    );

    const { res, chunks } = await streamChat(d);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-fugusashi-model'), 'auto:orchestrate');
    assert.match(chunks[0]?.routing_decision?.explanation ?? '', /Escalated to the orchestrator/);
    assert.ok(chunks.some((c) => c.choices[0]?.delta.content === 'TEAM ANSWER'));
  });

  test("streamed: the team's progress reaches the client while the team still runs", async () => {
    // The specialist (model-a) never answers: the planner's progress must arrive before any answer
    // could exist (a stream held until the team finished would show nothing here).
    predicted = 0.3;
    d.fakes['model-a']!.set({ hang: true });
    const controller = new AbortController();
    try {
      const res = await fetch(`${d.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', stream: true, messages: hardQuestion }),
        signal: controller.signal,
      });
      assert.equal(res.headers.get('x-fugusashi-model'), 'auto:orchestrate');
      const reader = res.body!.getReader();
      let seen = '';
      while (!seen.includes('"phase":"planned"')) {
        const { value, done } = await reader.read();
        assert.ok(!done, `the stream ended before the plan was shown: ${seen}`);
        seen += new TextDecoder().decode(value);
      }
    } finally {
      controller.abort();
      d.fakes['model-a']!.reset();
    }
  });
});

/** A daemon whose `auto` requests escalate (predicted 0.3 < 0.6) to a team with this budget. */
function startEscalatingDaemon(maxCostUsd: number, extra: Record<string, unknown> = {}): Promise<TestDaemon> {
  predicted = 0.3;
  return startTestDaemon({
    learner: () => learner,
    config: {
      routing: { strategies: ['learned', 'cost', 'fallback'], prefer_local: false },
      orchestrator: { planner: 'model-b', synthesizer: 'model-b', auto_escalate_below: 0.6, max_cost_usd: maxCostUsd },
      ...extra,
    },
  });
}

/** `auto` asked once streamed, then again not streamed: the second answer's decision. */
async function streamedThenAgain(d: TestDaemon, question: string): Promise<RoutingDecision | undefined> {
  const messages = [{ role: 'user', content: question }];
  const streamed = await fetch(`${d.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'auto', stream: true, messages }),
  });
  assert.equal(streamed.status, 200);
  const chunks = (await streamed.text())
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)) as ChatCompletionChunk);
  const decisions = chunks.filter((c) => c.routing_decision).map((c) => c.routing_decision!);
  assert.equal(decisions.at(-1)?.model, 'model-a', JSON.stringify(decisions));
  const again = await fetch(`${d.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'auto', messages }),
  });
  assert.equal(again.status, 200);
  return ((await again.json()) as ChatCompletion).routing_decision;
}

describe('auto-escalation the orchestrator budget cannot pay for', () => {
  // The planner alone is expected to cost more than max_cost_usd: before, the `auto` request
  // failed with 422 budget_exceeded although the routed model could have answered it.
  let d: TestDaemon;
  before(async () => {
    d = await startEscalatingDaemon(0.0001);
  });
  after(async () => d.close());

  const ask = (stream: boolean) =>
    fetch(`${d.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', stream, messages: [{ role: 'user', content: 'a hard question' }] }),
    });

  test('the routed model answers, the decision says why the team did not, one record is kept', async () => {
    const res = await ask(false);
    const answer = (await res.json()) as ChatCompletion;
    assert.equal(res.status, 200, JSON.stringify(answer));
    assert.equal(answer.model, 'model-a');
    assert.equal(answer.routing_decision?.strategy, 'learned');
    assert.match(answer.routing_decision?.explanation ?? '', /^Not escalated: Orchestration stopped: max_cost_usd/);
    assert.equal(d.fakes['model-b']!.requests.length, 0, 'no planner call was paid for');
    const trace = (await (await fetch(`${d.url}/v1/trace/${answer.id}`)).json()) as { answered_by: string };
    assert.equal(trace.answered_by, 'model-a');
  });

  test('streamed: the routed model streams its answer, named as the model that answered', async () => {
    const { res, chunks } = await streamChat(d);
    assert.equal(res.status, 200);
    assert.ok(!chunks.some((c) => (c as { error?: unknown }).error), JSON.stringify(chunks));
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.match(text, /fake answer from model-a-upstream to: a hard question/);
    // Before, the header and every chunk said auto:orchestrate although model-a answered.
    assert.equal(res.headers.get('x-fugusashi-model'), 'model-a');
    const header = JSON.parse(res.headers.get('x-fugusashi-routing') ?? '{}') as RoutingDecision;
    assert.equal(header.model, 'model-a');
    assert.match(header.explanation, /^Not escalated: Orchestration stopped: max_cost_usd/);
    assert.deepEqual([...new Set(chunks.map((c) => c.model))], ['model-a']);
    assert.ok(!chunks.some((c) => c.orchestration), 'no team progress: the team never ran');
    assert.equal(chunks[0]?.routing_decision?.model, 'model-a');
  });

  test('streamed through the Anthropic Messages door: message_start names the model that answered', async () => {
    const { res, events } = await streamMessages(d);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-fugusashi-model'), 'model-a');
    const start = events.find((e) => e.type === 'message_start');
    assert.equal(start?.message?.model, 'model-a', JSON.stringify(events));
    assert.match(start?.message?.routing_decision?.explanation ?? '', /^Not escalated/);
  });

  test('streamed over JSON-RPC (a VS Code window): the completion names the model that answered', async () => {
    const { completion, chunks } = await streamRpc(d);
    assert.equal(completion.model, 'model-a');
    assert.equal(completion.routing_decision?.model, 'model-a');
    assert.match(completion.routing_decision?.explanation ?? '', /^Not escalated/);
    assert.match(completion.choices[0]?.message.content ?? '', /fake answer from model-a-upstream/);
    assert.ok(!chunks.some((c) => c.orchestration));
  });

  test('auto:orchestrate streamed, refused by the budget before any call: an error status, not a 200 stream', async () => {
    // Nothing was sent before the first budget check, so the client gets the status as with a
    // non-streamed request (before: 200, then the error inside the stream).
    const res = await fetch(`${d.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto:orchestrate', stream: true, messages: hardQuestion }),
    });
    const body = await res.text();
    assert.equal(res.status, 422, body);
    assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'budget_exceeded');
  });
});

describe('auto-escalation its budget stops after the planner ran', () => {
  // The planner (model-b) fits max_cost_usd, the synthesis would not: the team stops with the
  // planner paid for, and model-a answers. That spend is the request's too (stats, key budgets).
  let d: TestDaemon;
  before(async () => {
    d = await startEscalatingDaemon(0.025);
    d.fakes['model-b']!.hook = (req) =>
      systemText(req).startsWith('You are the planner')
        ? { text: '```json\n' + JSON.stringify(plan) + '\n```' }
        : undefined;
  });
  after(async () => d.close());

  test("the record's cost counts the team's spend before it stopped", async () => {
    const res = await fetch(`${d.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'a hard question' }] }),
    });
    const answer = (await res.json()) as ChatCompletion;
    assert.equal(res.status, 200, JSON.stringify(answer));
    assert.match(answer.routing_decision?.explanation ?? '', /^Not escalated: Orchestration stopped: max_cost_usd/);
    assert.ok(d.fakes['model-b']!.requests.length >= 1, 'the planner ran (and was paid for)');
    const usage = answer.usage!;
    const single = usage.prompt_tokens * 0.000001 + usage.completion_tokens * 0.000002;
    const trace = (await (await fetch(`${d.url}/v1/trace/${answer.id}`)).json()) as Trace;
    assert.ok(trace.cost_usd > single + 1e-9, `recorded ${trace.cost_usd}, model-a alone ${single}`);
    // The trace shows what that spend was: the planner's step (before, the record had no steps).
    const planStep = trace.steps?.find((s) => s.id === 'plan');
    assert.equal(planStep?.status, 'ok', JSON.stringify(trace.steps));
    assert.ok(planStep.cost_usd > 0);
    assert.equal(trace.answered_by, 'model-a');

    // A rating of that answer is model-a's, not the team's that stopped before answering.
    const rate = await fetch(`${d.url}/v1/feedback/rate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request_id: answer.id, rating: 5 }),
    });
    assert.equal(rate.status, 200);
    const outcomes = (await (await fetch(`${d.url}/v1/outcomes/export`)).text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { model: string; source: string; weight: number; request_id: string | null })
      .filter((o) => o.request_id === answer.id);
    assert.deepEqual(
      outcomes.map((o) => [o.model, o.source, o.weight]),
      [['model-a', 'explicit', 1]],
    );
  });

  test('streamed: the same', async () => {
    const res = await fetch(`${d.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'auto',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'a hard question' }],
      }),
    });
    const chunks = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)) as ChatCompletionChunk);
    const usage = chunks.find((c) => c.usage)?.usage;
    assert.ok(usage, JSON.stringify(chunks));
    const single = usage.prompt_tokens * 0.000001 + usage.completion_tokens * 0.000002;
    const trace = (await (await fetch(`${d.url}/v1/trace/${chunks[0]!.id}`)).json()) as { cost_usd: number };
    assert.ok(trace.cost_usd > single + 1e-9, `recorded ${trace.cost_usd}, model-a alone ${single}`);
  });

  test('streamed: the team was shown live, and the last decision names the model that answered', async () => {
    const { res, chunks } = await streamChat(d);
    assert.equal(res.status, 200);
    // The header left with the team's progress, before the budget stopped it.
    assert.equal(res.headers.get('x-fugusashi-model'), 'auto:orchestrate');
    assert.ok(chunks.some((c) => c.orchestration?.phase === 'planned'));
    const decisions = chunks.filter((c) => c.routing_decision).map((c) => c.routing_decision!);
    const last = decisions.at(-1);
    assert.equal(last?.model, 'model-a', JSON.stringify(decisions));
    assert.match(last?.explanation ?? '', /^Not escalated: Orchestration stopped: max_cost_usd/);
    const answer = chunks.filter((c) => c.choices[0]?.delta.content);
    assert.deepEqual([...new Set(answer.map((c) => c.model))], ['model-a']);
  });

  test('streamed through the Anthropic Messages door: message_delta names the model that answered', async () => {
    const { res, events } = await streamMessages(d);
    assert.equal(res.status, 200);
    const delta = events.find((e) => e.type === 'message_delta');
    assert.equal(delta?.routing_decision?.model, 'model-a', JSON.stringify(events));
    assert.match(delta?.routing_decision?.explanation ?? '', /^Not escalated: Orchestration stopped: max_cost_usd/);
  });

  test('streamed through the Responses door: the final response names the model that answered', async () => {
    const res = await fetch(`${d.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', stream: true, input: 'a hard question' }),
    });
    const events = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map(
        (l) =>
          JSON.parse(l.slice(6)) as { type: string; response?: { model: string; routing_decision?: RoutingDecision } },
      );
    const done = events.find((e) => e.type === 'response.completed')?.response;
    assert.equal(done?.model, 'model-a', JSON.stringify(events.map((e) => e.type)));
    assert.match(done?.routing_decision?.explanation ?? '', /^Not escalated: Orchestration stopped: max_cost_usd/);
  });

  test('streamed over JSON-RPC (a VS Code window): the completion names the model that answered', async () => {
    const { completion } = await streamRpc(d);
    // Before, the completion said auto:orchestrate (the stream's start) although model-a answered.
    assert.equal(completion.model, 'model-a');
    assert.equal(completion.routing_decision?.model, 'model-a');
    assert.match(completion.routing_decision?.explanation ?? '', /^Not escalated: Orchestration stopped: max_cost_usd/);
    assert.match(completion.choices[0]?.message.content ?? '', /fake answer from model-a-upstream/);
  });

  test('auto:orchestrate stopped by the same budget: its 422 record counts what the planner cost', async () => {
    const res = await fetch(`${d.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto:orchestrate', messages: [{ role: 'user', content: 'a hard question' }] }),
    });
    assert.equal(res.status, 422, await res.text());
    const rows = (await (await fetch(`${d.url}/v1/routing/decisions?limit=1`)).json()) as {
      data: { request_id: string; requested_model: string; status: string; cost_usd: number }[];
    };
    const row = rows.data[0]!;
    assert.equal(row.requested_model, 'auto:orchestrate');
    assert.equal(row.status, 'error');
    assert.ok(row.cost_usd > 0, `recorded ${row.cost_usd}`);
    // Its trace lists the steps that ran (and were paid for) before the budget stopped the team.
    const trace = (await (await fetch(`${d.url}/v1/trace/${row.request_id}`)).json()) as Trace;
    assert.deepEqual(
      trace.steps?.map((s) => [s.id, s.status]),
      [
        ['plan', 'ok'],
        ['a', 'ok'],
        ['synthesis', 'failed'],
      ],
    );
  });
});

describe('the response cache keeps what the routed model wrote after the team stopped', () => {
  // The same answer given whole was cached (it names model-a); streamed after the team's progress
  // went out, it was not: the stream was opened as the team's, a model the cache does not price.
  // (A team stopped before its progress went out hands over a stream opened as model-a's: cached.)
  test('streamed after the team was shown live: asked again, the answer comes from the cache', async () => {
    const d = await startEscalatingDaemon(0.025, { cache: { exact: true } });
    try {
      d.fakes['model-b']!.hook = (req) =>
        systemText(req).startsWith('You are the planner')
          ? { text: '```json\n' + JSON.stringify(plan) + '\n```' }
          : undefined;
      const decision = await streamedThenAgain(d, 'a hard question to cache');
      assert.equal(decision?.strategy, 'cache', JSON.stringify(decision));
      assert.equal(decision?.model, 'model-a');
    } finally {
      await d.close();
    }
  });
});
