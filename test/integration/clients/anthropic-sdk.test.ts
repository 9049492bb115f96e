// The official Anthropic SDK (@anthropic-ai/sdk) pointed at the daemon as Claude Code is
// (ANTHROPIC_BASE_URL=<daemon>): POST /v1/messages JSON and SSE, tool round trips, system prompts,
// count_tokens, Anthropic-format errors, x-api-key as the daemon token. Loopback fake upstreams behind it.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type { DoorRoutingDecision } from '../../../shared/anthropic-messages';
import type { Trace } from '../../../shared/api';
import { DEFAULT_TEST_MODELS, startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { FINAL_ANSWER, WEATHER_ARGS, WEATHER_RESULT, WEATHER_TOOL, weatherToolHook } from '../../fakes/tool-round-trip';

const TOKEN = 'daemon-secret-token';
let d: TestDaemon;
let client: Anthropic;

const tool: Anthropic.Tool = {
  name: WEATHER_TOOL.name,
  description: WEATHER_TOOL.description,
  input_schema: WEATHER_TOOL.parameters as unknown as Anthropic.Tool.InputSchema,
};

type WithDecision = { routing_decision?: DoorRoutingDecision };
const decisionOf = (m: unknown): DoorRoutingDecision | undefined => (m as WithDecision).routing_decision;

before(async () => {
  d = await startTestDaemon({
    models: [
      // model-a declares its limits (as discovery does for known models): the router reads a large
      // max_tokens as a long answer and wants a context window that holds it.
      ...DEFAULT_TEST_MODELS.map((m) =>
        m.name === 'model-a' ? { ...m, config: { ...m.config, max_output_tokens: 4096, context_window: 128_000 } } : m,
      ),
      // An Anthropic upstream too: Anthropic client → daemon → Anthropic provider, both translations.
      {
        name: 'claude-pool',
        kind: 'anthropic',
        config: {
          capabilities: ['chat', 'tools'],
          supports_tools: true,
          // The priciest: auto never picks it, tests name it.
          cost_per_input_token: 0.001,
          cost_per_output_token: 0.001,
        },
      },
    ],
    config: {
      default_model: 'model-a',
      routing: { prefer_local: false, cooldown_failures: 100 },
      server: { token: TOKEN },
    },
  });
  client = new Anthropic({ baseURL: d.url, apiKey: TOKEN, maxRetries: 0 });
});
after(async () => d.close());
beforeEach(() => {
  for (const f of Object.values(d.fakes)) f.reset();
});

async function trace(id: string): Promise<Trace> {
  const res = await fetch(`${d.url}/v1/trace/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  return (await res.json()) as Trace;
}

describe('POST /v1/messages through @anthropic-ai/sdk', () => {
  test('non-streaming: routed answer as an Anthropic message with routing_decision', async () => {
    const { data: message, response } = await client.messages
      .create({
        model: 'auto',
        max_tokens: 100,
        system: 'You are terse.',
        messages: [{ role: 'user', content: 'Say hi' }],
      })
      .withResponse();
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.equal(message.model, 'model-a');
    assert.equal(message.stop_reason, 'end_turn');
    assert.deepEqual(message.content, [{ type: 'text', text: 'fake answer from model-a-upstream to: Say hi' }]);
    assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);
    assert.equal(decisionOf(message)?.model, 'model-a');
    assert.ok(response.headers.get('x-fugusashi-routing'));
    // The system prompt reached the upstream as a system message.
    const sent = d.fakes['model-a']!.requests[0]!.body;
    assert.deepEqual(sent.messages[0], { role: 'system', content: 'You are terse.' });
    assert.equal(sent.max_tokens, 100);
    // Recorded like any other request, under the message id.
    assert.equal((await trace(message.id)).status, 'ok');
  });

  test('system prompt as text blocks, multi-turn history, image block', async () => {
    const message = await client.messages.create({
      model: 'model-b',
      max_tokens: 50,
      system: [
        { type: 'text', text: 'Rule one.' },
        { type: 'text', text: 'Rule two.', cache_control: { type: 'ephemeral' } },
      ],
      messages: [
        { role: 'user', content: 'First question' },
        { role: 'assistant', content: [{ type: 'text', text: 'First answer' }] },
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'text', text: 'What is in the picture?' },
          ],
        },
      ],
    });
    assert.equal(message.model, 'model-b');
    assert.equal(decisionOf(message)?.strategy, 'override');
    const sent = d.fakes['model-b']!.requests[0]!.body;
    assert.deepEqual(sent.messages[0], { role: 'system', content: 'Rule one.\n\nRule two.' });
    assert.deepEqual(sent.messages[2], { role: 'assistant', content: 'First answer' });
    assert.deepEqual(sent.messages[3].content[0], {
      type: 'image_url',
      image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' },
    });
  });

  test('streaming: the SDK assembles text from the event sequence; decision in message_start', async () => {
    const stream = client.messages.stream({
      model: 'auto',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Stream three words please' }],
    });
    const types: string[] = [];
    let text = '';
    let started: unknown;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'message_start') started = event.message;
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    const final = await stream.finalMessage();
    assert.equal(text, 'fake answer from model-a-upstream to: Stream three words please');
    assert.deepEqual(final.content, [{ type: 'text', text }]);
    assert.equal(final.stop_reason, 'end_turn');
    assert.ok(final.usage.output_tokens > 0);
    assert.equal(types[0], 'message_start');
    assert.equal(types[1], 'content_block_start');
    assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
    assert.equal(decisionOf(started)?.model, 'model-a');
    assert.equal((await trace(final.id)).response_text, text);
  });

  for (const stream of [false, true]) {
    test(`tool round trip (${stream ? 'streaming' : 'JSON'}): tool_use, then tool_result to a final answer`, async () => {
      d.fakes['model-b']!.hook = weatherToolHook;
      const ask = (messages: Anthropic.MessageParam[]): Promise<Anthropic.Message> =>
        stream
          ? client.messages.stream({ model: 'auto', max_tokens: 200, tools: [tool], messages }).finalMessage()
          : client.messages.create({ model: 'auto', max_tokens: 200, tools: [tool], messages });
      const history: Anthropic.MessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
      const first = await ask(history);
      // Tools are required, so only the tool-capable pool model is a candidate.
      assert.equal(decisionOf(first)?.model ?? first.model, 'model-b');
      assert.equal(first.stop_reason, 'tool_use');
      const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
      assert.ok(use, 'a tool_use block');
      assert.equal(use.name, 'get_weather');
      assert.deepEqual(use.input, WEATHER_ARGS);
      // The upstream saw an OpenAI function tool.
      assert.equal(d.fakes['model-b']!.requests[0]!.body.tools[0].function.name, 'get_weather');

      history.push({ role: 'assistant', content: first.content });
      history.push({
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: use.id, content: WEATHER_RESULT }],
      });
      const second = await ask(history);
      assert.equal(second.stop_reason, 'end_turn');
      assert.deepEqual(second.content, [{ type: 'text', text: FINAL_ANSWER }]);
      const sent = d.fakes['model-b']!.requests[1]!.body;
      assert.equal(sent.messages[1].tool_calls[0].id, use.id);
      assert.deepEqual(sent.messages[2], { role: 'tool', tool_call_id: use.id, content: WEATHER_RESULT });
    });
  }

  test('an Anthropic upstream behind the door: tool round trip survives both translations', async () => {
    d.fakes['claude-pool']!.hook = weatherToolHook;
    const first = await client.messages.create({
      model: 'claude-pool',
      max_tokens: 200,
      tools: [tool],
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    assert.ok(use);
    const second = await client.messages.create({
      model: 'claude-pool',
      max_tokens: 200,
      tools: [tool],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: WEATHER_RESULT }] },
      ],
    });
    assert.deepEqual(second.content, [{ type: 'text', text: FINAL_ANSWER }]);
    const upstream = d.fakes['claude-pool']!.requests[1]!.body;
    assert.equal(upstream.messages[2].content[0].type, 'tool_result');
    assert.equal(upstream.messages[2].content[0].tool_use_id, use.id);
  });

  test("Claude Code's model ids that are not in the pool are routed as auto, and the decision says so", async () => {
    const message = await client.messages.create({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hello' }],
    });
    const decision = decisionOf(message)!;
    assert.equal(decision.requested_model, 'claude-sonnet-4-5-20250929');
    assert.match(decision.explanation, /not a pool model.*routed as "auto"/);
    assert.equal(message.model, 'model-a');
    const haiku = await client.messages.create({
      model: 'claude-3-5-haiku-latest',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'title this chat' }],
    });
    assert.match(decisionOf(haiku)!.explanation, /routed as "auto:cost"/);
  });

  test("Claude Code's large max_tokens is capped at the routed model's max_output_tokens", async () => {
    // Streaming, as Claude Code does (the SDK refuses such a large non-streaming request itself).
    const message = await client.messages
      .stream({ model: 'auto', max_tokens: 32_000, messages: [{ role: 'user', content: 'hello' }] })
      .finalMessage();
    assert.equal(message.model, 'model-a');
    assert.equal(d.fakes['model-a']!.requests[0]!.body.max_tokens, 4096);
  });

  test('count_tokens answers an estimate', async () => {
    const count = await client.messages.countTokens({
      model: 'auto',
      system: 'You are terse.',
      tools: [tool],
      messages: [{ role: 'user', content: 'How many tokens is this sentence?' }],
    });
    assert.ok(count.input_tokens > 10 && count.input_tokens < 200, `estimate ${count.input_tokens}`);
  });

  test('errors arrive in Anthropic format and as the SDK error classes', async () => {
    await assert.rejects(
      client.messages.create({ model: 'no-such-model', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => {
        assert.ok(err instanceof Anthropic.NotFoundError);
        assert.equal((err.error as any).type, 'error');
        assert.equal((err.error as any).error.type, 'not_found_error');
        assert.match(err.message, /Unknown model "no-such-model"/);
        return true;
      },
    );
    await assert.rejects(
      client.messages.create({ model: 'auto', messages: [{ role: 'user', content: 'x' }] } as any),
      (err: unknown) => {
        assert.ok(err instanceof Anthropic.BadRequestError);
        assert.equal((err.error as any).error.type, 'invalid_request_error');
        assert.match(err.message, /max_tokens/);
        return true;
      },
    );
    const wrongKey = new Anthropic({ baseURL: d.url, apiKey: 'wrong', maxRetries: 0 });
    await assert.rejects(
      wrongKey.messages.create({ model: 'auto', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => {
        assert.ok(err instanceof Anthropic.AuthenticationError);
        assert.equal((err.error as any).error.type, 'authentication_error');
        return true;
      },
    );
    // ANTHROPIC_AUTH_TOKEN style (Authorization: Bearer) works too.
    const bearer = new Anthropic({ baseURL: d.url, authToken: TOKEN, apiKey: null, maxRetries: 0 });
    const ok = await bearer.messages.create({
      model: 'auto',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'x' }],
    });
    assert.equal(ok.type, 'message');
  });

  test('an upstream failing mid-stream ends the SSE with an Anthropic error event', async () => {
    d.fakes['model-a']!.enqueue({ streamError: { message: 'boom', afterFrames: 2 } });
    const stream = client.messages.stream({
      model: 'model-a',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'fail please' }],
    });
    await assert.rejects(stream.finalMessage(), /model-a failed mid-stream/);
  });
});
