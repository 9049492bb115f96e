// The cascade strategy on a real daemon over real HTTP: the cheapest model first, escalation on a
// refusal, invalid JSON for response_format, a judge's REJECT or an upstream error, acceptance on
// the judge's ACCEPT; every step in routing_decision.cascade and in the trace; a streamed request
// gets the accepted answer as SSE; the budget stops escalation.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import OpenAI from 'openai';
import type { Trace } from '../../../shared/api';
import type { RoutingDecision } from '../../../shared/openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
let client: OpenAI;
const price = (p: number) => ({ cost_per_input_token: p, cost_per_output_token: p, capabilities: ['chat'] });

before(async () => {
  d = await startTestDaemon({
    rpc: false,
    models: [
      { name: 'dear', config: price(1e-4) },
      { name: 'cheap', config: price(1e-7) },
      { name: 'mid', config: price(1e-6) },
      { name: 'judge', config: price(1e-8) },
    ],
    config: {
      routing: {
        strategies: ['cost', 'fallback'],
        cascade: { models: ['cheap', 'mid', 'dear'], judge: 'judge' },
      },
    },
  });
  client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => d.close());
beforeEach(() => {
  for (const f of Object.values(d.fakes)) f.reset();
  d.fakes['judge']!.hook = (req) => ({ text: /Answer:\n.*wrong/s.test(req.lastUserText) ? 'REJECT' : 'ACCEPT' });
});

async function ask(content: string, extra: Record<string, unknown> = {}) {
  const answer = await client.chat.completions.create({
    model: 'auto:cascade',
    messages: [{ role: 'user', content }],
    ...extra,
  } as OpenAI.ChatCompletionCreateParamsNonStreaming);
  return {
    id: answer.id,
    text: answer.choices[0]?.message.content,
    decision: (answer as unknown as { routing_decision: RoutingDecision }).routing_decision,
  };
}

test("the cheapest model's answer is accepted when the judge accepts it", async () => {
  const { text, decision } = await ask('What is 2 + 2?');
  assert.equal(decision.strategy, 'cascade');
  assert.equal(decision.model, 'cheap');
  assert.match(text!, /cheap-upstream/);
  assert.equal(decision.cascade?.length, 1);
  assert.deepEqual(
    decision.cascade[0]!.checks.map((c) => [c.check, c.passed]),
    [
      ['truncation', true],
      ['refusal', true],
      ['judge', true],
    ],
  );
  assert.equal(d.fakes['dear']!.requests.length, 0);
});

test('a refusal, a judge REJECT and an upstream error escalate; every step is in the decision and the trace', async () => {
  d.fakes['cheap']!.hook = () => ({ text: "I'm sorry, but I can't help with that." });
  d.fakes['mid']!.hook = () => ({ text: 'a wrong answer' });
  const first = await ask('Hard question');
  assert.equal(first.decision.model, 'dear');
  assert.deepEqual(
    first.decision.cascade!.map((s) => [s.model, s.status]),
    [
      ['cheap', 'rejected'],
      ['mid', 'rejected'],
      ['dear', 'accepted'],
    ],
  );
  assert.match(
    first.decision.explanation,
    /cheap rejected \(refusal.*mid rejected \(judge: judge: REJECT\); dear accepted/,
  );
  const trace = (await (await fetch(`${d.url}/v1/trace/${first.id}`)).json()) as Trace & { steps?: unknown[] };
  assert.equal(trace.steps?.length, 3);

  d.fakes['cheap']!.hook = () => ({ error: { status: 500, message: 'boom' } });
  d.fakes['mid']!.hook = undefined;
  const second = await ask('Another question');
  assert.deepEqual(
    second.decision.cascade!.map((s) => [s.model, s.status]),
    [
      ['cheap', 'failed'],
      ['mid', 'accepted'],
    ],
  );
});

test('invalid JSON for response_format escalates; valid JSON is accepted', async () => {
  d.fakes['cheap']!.hook = () => ({ text: 'not json' });
  d.fakes['mid']!.hook = () => ({ text: '{"answer": 4}' });
  const { decision, text } = await ask('Answer in JSON', { response_format: { type: 'json_object' } });
  assert.equal(decision.model, 'mid');
  assert.equal(text, '{"answer": 4}');
  assert.equal(decision.cascade![0]!.checks.find((c) => c.check === 'format')?.passed, false);
});

test('a streamed cascade streams the accepted answer with its decision', async () => {
  d.fakes['cheap']!.hook = () => ({ text: 'wrong', finishReason: 'length' });
  const stream = await client.chat.completions.create({
    model: 'auto:cascade',
    stream: true,
    messages: [{ role: 'user', content: 'Stream it' }],
  });
  let text = '';
  let decision: RoutingDecision | undefined;
  for await (const chunk of stream) {
    decision ??= (chunk as unknown as { routing_decision?: RoutingDecision }).routing_decision;
    text += chunk.choices[0]?.delta.content ?? '';
  }
  assert.equal(decision?.model, 'mid');
  assert.equal(decision?.cascade?.[0]?.checks.find((c) => c.check === 'truncation')?.passed, false);
  assert.match(text, /mid-upstream/);
});

test('the budget stops escalation: the last answer within it is returned', async () => {
  d.writeConfig({
    ...d.baseConfig,
    routing: {
      ...d.baseConfig.routing,
      cascade: { models: ['cheap', 'mid', 'dear'], judge: 'judge', max_cost_usd: 0.01 },
    },
  });
  const deadline = Date.now() + 10_000;
  while (!d.logLines.some((l) => l.startsWith('config reloaded'))) {
    if (Date.now() > deadline) throw new Error('no reload');
    await new Promise((r) => setTimeout(r, 50));
  }
  d.fakes['cheap']!.hook = () => ({ text: 'wrong' });
  d.fakes['mid']!.hook = () => ({ text: 'wrong too' });
  const { decision } = await ask('Budgeted question');
  assert.equal(d.fakes['dear']!.requests.length, 0);
  assert.match(decision.explanation, /Stopped before dear: the cascade budget/);
  assert.equal(decision.model, 'mid');
});
