// The Responses door says what the upstream said, and sends what the client asked for, as the chat
// door does: an OpenAI refusal is a refusal content part (not an empty answer), a content-filter stop
// is an incomplete response, reasoning.effort / text.verbosity / a tool's strict reach the upstream,
// OpenAI-hosted state (conversation, prompt, background) is refused instead of silently dropped, and
// a streamed output item is done before the next one is added. The official openai client against a
// real daemon; fake upstreams behind it.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { REFUSAL, refuse } from '../../fakes/openai-refusal';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
let client: OpenAI;

before(async () => {
  d = await startTestDaemon({
    rpc: false,
    models: [
      { name: 'gpt-pool', config: { supports_tools: true, capabilities: ['chat', 'tools'] } },
      { name: 'claude-pool', kind: 'anthropic' },
    ],
    config: { routing: { prefer_local: false, cooldown_failures: 100 } },
  });
  client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => d.close());
beforeEach(() => {
  for (const f of Object.values(d.fakes)) f.reset();
});

async function streamed(
  body: OpenAI.Responses.ResponseCreateParamsStreaming,
): Promise<{ events: OpenAI.Responses.ResponseStreamEvent[]; final: OpenAI.Responses.Response }> {
  const events: OpenAI.Responses.ResponseStreamEvent[] = [];
  for await (const e of await client.responses.create(body)) events.push(e);
  const last = events.at(-1);
  assert.ok(last && (last.type === 'response.completed' || last.type === 'response.incomplete'), last?.type);
  return { events, final: last.response };
}

describe('an OpenAI upstream that refuses', () => {
  const refusalMessage = [{ type: 'refusal', refusal: REFUSAL }];

  test('JSON: a message item with a refusal content part', async () => {
    d.fakes['gpt-pool']!.set({ custom: refuse });
    const r = await client.responses.create({ model: 'gpt-pool', input: 'x' });
    assert.equal(r.status, 'completed');
    assert.equal(r.output.length, 1);
    const item = r.output[0]!;
    assert.ok(item.type === 'message');
    assert.deepEqual(item.content, refusalMessage);
    assert.equal(r.output_text, '');
  });

  test('streamed: refusal content part with response.refusal.delta / .done, then the same final response', async () => {
    d.fakes['gpt-pool']!.set({ custom: refuse });
    const { events, final } = await streamed({ model: 'gpt-pool', input: 'x', stream: true });
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.refusal.delta',
        'response.refusal.delta',
        'response.refusal.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    const done = events.find((e) => e.type === 'response.refusal.done');
    assert.ok(done?.type === 'response.refusal.done');
    assert.equal(done.refusal, REFUSAL);
    const added = events.find((e) => e.type === 'response.content_part.added');
    assert.ok(added?.type === 'response.content_part.added');
    assert.deepEqual(added.part, { type: 'refusal', refusal: '' });
    assert.equal(final.status, 'completed');
    const item = final.output[0];
    assert.ok(item?.type === 'message');
    assert.deepEqual(item.content, refusalMessage);
  });
});

describe('a content-filtered answer is incomplete, not completed', () => {
  for (const [model, nativeFinishReason] of [
    ['gpt-pool', 'content_filter'],
    ['claude-pool', 'refusal'],
  ] as const) {
    test(`${model} (upstream stop: ${nativeFinishReason}), JSON and streamed`, async () => {
      d.fakes[model]!.set({ text: 'I cannot', nativeFinishReason });
      const r = await client.responses.create({ model, input: 'x' });
      assert.equal(r.status, 'incomplete');
      assert.deepEqual(r.incomplete_details, { reason: 'content_filter' });
      assert.equal(r.output_text, 'I cannot');
      // Its message item is incomplete too, as OpenAI marks it.
      assert.equal(r.output[0]?.type === 'message' && r.output[0].status, 'incomplete');
      const { events, final } = await streamed({ model, input: 'x', stream: true });
      assert.equal(events.at(-1)?.type, 'response.incomplete');
      assert.equal(final.status, 'incomplete');
      assert.deepEqual(final.incomplete_details, { reason: 'content_filter' });
      assert.equal(final.output[0]?.type === 'message' && final.output[0].status, 'incomplete');
    });
  }
});

describe('request fields the upstream must see', () => {
  const strictSchema = {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  };
  const looseSchema = { type: 'object', properties: { city: { type: 'string' } } };
  const sent = (): Record<string, unknown> => d.fakes['gpt-pool']!.requests.at(-1)!.body as Record<string, unknown>;
  const strictOf = (tools: unknown): unknown[] =>
    (tools as { function: { name: string; strict?: boolean } }[]).map((t) => t.function.strict ?? 'absent');

  test('reasoning.effort → reasoning_effort, text.verbosity → verbosity, service_tier: as the chat door forwards them', async () => {
    await client.responses.create({
      model: 'gpt-pool',
      input: 'hi',
      reasoning: { effort: 'high' },
      text: { verbosity: 'low' },
      service_tier: 'flex',
    });
    assert.equal(sent()['reasoning_effort'], 'high');
    assert.equal(sent()['verbosity'], 'low');
    assert.equal(sent()['service_tier'], 'flex');
  });

  test("function tools' strict: explicit values kept; omitted means strict when the schema allows it", async () => {
    const tools = [
      { type: 'function', name: 'a', parameters: strictSchema, strict: true },
      { type: 'function', name: 'b', parameters: strictSchema, strict: false },
      { type: 'function', name: 'c', parameters: strictSchema },
      { type: 'function', name: 'd', parameters: looseSchema },
      { type: 'function', name: 'e', parameters: strictSchema, strict: null },
    ] as OpenAI.Responses.FunctionTool[];
    await client.responses.create({ model: 'gpt-pool', input: 'hi', tools });
    assert.deepEqual(strictOf(sent()['tools']), [true, false, true, 'absent', true]);
  });
});

describe('OpenAI-hosted state and moderation are refused, not silently dropped', () => {
  for (const [param, value, instead] of [
    ['conversation', 'conv_abc123', /previous_response_id/],
    ['prompt', { id: 'pmpt_abc', variables: { city: 'Paris' } }, /instructions/],
    ['background', true, /without background/],
    ['moderation', { model: 'omni-moderation-latest' }, /moderation endpoint/],
  ] as const) {
    test(`${param}: 400 invalid_request_error naming it`, async () => {
      const body = {
        model: 'gpt-pool',
        input: 'go',
        [param]: value,
      } as OpenAI.Responses.ResponseCreateParamsNonStreaming;
      const err = await client.responses.create(body).then(
        () => assert.fail('the request was accepted'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof OpenAI.BadRequestError, String(err));
      assert.equal(err.param, param);
      assert.equal(err.type, 'invalid_request_error');
      assert.match(err.message, new RegExp(`'${param}' is not supported by this local gateway`));
      assert.match(err.message, instead);
      assert.equal(d.fakes['gpt-pool']!.requests.length, 0);
    });
  }

  test('background: false and conversation: null are what a client sends by default: accepted', async () => {
    const r = await client.responses.create({ model: 'gpt-pool', input: 'go', background: false, conversation: null });
    assert.equal(r.status, 'completed');
  });
});

test('streamed text and two function calls: each output item is done before the next is added', async () => {
  d.fakes['gpt-pool']!.enqueue({
    text: 'Let me check.',
    toolCalls: [
      { name: 'f', arguments: { a: 'x' } },
      { name: 'f', arguments: { a: 'y' } },
    ],
  });
  const tool = { type: 'function', name: 'f', parameters: { type: 'object' }, strict: false } as const;
  const { events, final } = await streamed({ model: 'gpt-pool', input: 'hi', tools: [tool], stream: true });
  const lifecycle = events.flatMap((e) =>
    e.type === 'response.output_item.added' || e.type === 'response.output_item.done'
      ? [`${e.type.slice('response.output_item.'.length)}#${e.output_index}`]
      : [],
  );
  assert.deepEqual(lifecycle, ['added#0', 'done#0', 'added#1', 'done#1', 'added#2', 'done#2']);
  // Each call's arguments.done comes before its item's done, and carries its own arguments.
  const argsDone = events.flatMap((e) => (e.type === 'response.function_call_arguments.done' ? [e.arguments] : []));
  assert.deepEqual(argsDone, ['{"a":"x"}', '{"a":"y"}']);
  assert.deepEqual(
    final.output.map((o) => (o.type === 'function_call' ? o.arguments : o.type)),
    ['message', '{"a":"x"}', '{"a":"y"}'],
  );
});
