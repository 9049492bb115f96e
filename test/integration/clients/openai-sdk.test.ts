// The official openai client against a real daemon: chat.completions AND responses, each JSON and
// streaming, each with a tool-call round trip; Responses also with previous_response_id (stored
// conversations) and GET/DELETE of a stored response. Loopback fake upstreams behind the daemon.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import type { RoutingDecision } from '../../../shared/openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { FINAL_ANSWER, WEATHER_ARGS, WEATHER_RESULT, WEATHER_TOOL, weatherToolHook } from '../../fakes/tool-round-trip';

let d: TestDaemon;
let client: OpenAI;

type WithDecision = { routing_decision?: RoutingDecision };
const decisionOf = (x: unknown): RoutingDecision | undefined => (x as WithDecision).routing_decision;

before(async () => {
  d = await startTestDaemon({
    config: { default_model: 'model-a', routing: { prefer_local: false, cooldown_failures: 100 } },
  });
  client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => d.close());
beforeEach(() => {
  for (const f of Object.values(d.fakes)) f.reset();
  d.fakes['model-b']!.hook = weatherToolHook;
});

const chatTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.parameters },
};
const responsesTool: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: WEATHER_TOOL.name,
  description: WEATHER_TOOL.description,
  parameters: WEATHER_TOOL.parameters,
  strict: true,
};

describe('openai client: chat.completions', () => {
  for (const stream of [false, true]) {
    test(`tool round trip (${stream ? 'streaming' : 'JSON'}) with routing_decision`, async () => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
      const ask = async (): Promise<{ message: OpenAI.ChatCompletionMessage; decision?: RoutingDecision }> => {
        if (!stream) {
          const c = await client.chat.completions.create({ model: 'auto', messages, tools: [chatTool] });
          return { message: c.choices[0]!.message, decision: decisionOf(c) };
        }
        const s = client.chat.completions.stream({ model: 'auto', messages, tools: [chatTool] });
        let decision: RoutingDecision | undefined;
        for await (const chunk of s) decision ??= decisionOf(chunk);
        const c = await s.finalChatCompletion();
        return { message: c.choices[0]!.message, decision };
      };
      const first = await ask();
      assert.equal(first.decision?.model, 'model-b');
      const call = first.message.tool_calls?.[0];
      assert.ok(call && call.type === 'function');
      assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.function.arguments), WEATHER_ARGS);
      messages.push(first.message, { role: 'tool', tool_call_id: call.id, content: WEATHER_RESULT });
      const second = await ask();
      assert.equal(second.message.content, FINAL_ANSWER);
      assert.ok(second.decision);
    });
  }
});

describe('openai client: responses', () => {
  test('string input, instructions, JSON answer with routing_decision and output_text', async () => {
    const response = await client.responses.create({
      model: 'auto',
      instructions: 'Be brief.',
      input: 'Say hi',
    });
    assert.equal(response.object, 'response');
    assert.equal(response.status, 'completed');
    assert.equal(response.output_text, 'fake answer from model-a-upstream to: Say hi');
    assert.equal(response.model, 'model-a');
    assert.ok(response.usage && response.usage.input_tokens > 0 && response.usage.output_tokens > 0);
    assert.equal(decisionOf(response)?.model, 'model-a');
    const sent = d.fakes['model-a']!.requests[0]!.body;
    assert.deepEqual(sent.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hi' },
    ]);
    // Stored: retrievable, deletable.
    const again = await client.responses.retrieve(response.id);
    assert.equal(again.output_text, response.output_text);
    await client.responses.delete(response.id);
    await assert.rejects(client.responses.retrieve(response.id), (e: unknown) => e instanceof OpenAI.NotFoundError);
  });

  test('streaming: typed events in order, text assembled, decision on response.created', async () => {
    const stream = await client.responses.create({ model: 'auto', input: 'Stream three words please', stream: true });
    const types: string[] = [];
    let text = '';
    let created: unknown;
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.created') created = event.response;
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    assert.equal(text, 'fake answer from model-a-upstream to: Stream three words please');
    assert.deepEqual(types.slice(0, 4), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    assert.deepEqual(types.slice(-4), [
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    assert.equal(decisionOf(created)?.model, 'model-a');
    assert.equal(decisionOf(completed)?.model, 'model-a');
    assert.ok(completed?.usage && completed.usage.output_tokens > 0);
  });

  for (const stream of [false, true]) {
    test(`tool round trip (${stream ? 'streaming' : 'JSON'}): output items sent back as input`, async () => {
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Weather in Paris?' }];
      const ask = async (): Promise<OpenAI.Responses.Response> => {
        if (!stream) return client.responses.create({ model: 'auto', input, tools: [responsesTool] });
        const s = client.responses.stream({ model: 'auto', input, tools: [responsesTool] });
        let args = '';
        for await (const event of s) if (event.type === 'response.function_call_arguments.delta') args += event.delta;
        const final = await s.finalResponse();
        if (final.output.some((o) => o.type === 'function_call')) assert.deepEqual(JSON.parse(args), WEATHER_ARGS);
        return final;
      };
      const first = await ask();
      assert.equal(decisionOf(first)?.model, 'model-b');
      const call = first.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call');
      assert.ok(call, 'a function_call item');
      assert.equal(call.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.arguments), WEATHER_ARGS);
      input.push(...(first.output as OpenAI.Responses.ResponseInputItem[]));
      input.push({ type: 'function_call_output', call_id: call.call_id, output: WEATHER_RESULT });
      const second = await ask();
      assert.equal(second.output_text, FINAL_ANSWER);
      const sent = d.fakes['model-b']!.requests[1]!.body;
      assert.equal(sent.messages[1].tool_calls[0].id, call.call_id);
      assert.deepEqual(sent.messages[2], { role: 'tool', tool_call_id: call.call_id, content: WEATHER_RESULT });
    });
  }

  test('previous_response_id continues a stored conversation (tool output only in the second turn)', async () => {
    const first = await client.responses.create({
      model: 'auto',
      instructions: 'Use tools.',
      input: 'Weather in Paris?',
      tools: [responsesTool],
    });
    const call = first.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call');
    assert.ok(call);
    const second = await client.responses.create({
      model: 'auto',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: WEATHER_RESULT }],
      tools: [responsesTool],
    });
    assert.equal(second.output_text, FINAL_ANSWER);
    assert.equal(second.previous_response_id, first.id);
    const sent = d.fakes['model-b']!.requests[1]!.body;
    // Instructions are not carried over (as OpenAI); the stored turn is.
    assert.deepEqual(
      sent.messages.map((m: any) => m.role),
      ['user', 'assistant', 'tool'],
    );
    const third = await client.responses.create({
      model: 'model-a',
      previous_response_id: second.id,
      input: 'Thanks!',
    });
    assert.equal(d.fakes['model-a']!.requests[0]!.body.messages.length, 5);
    assert.match(third.output_text, /Thanks!/);

    await assert.rejects(
      client.responses.create({ model: 'auto', previous_response_id: 'fugu-missing', input: 'x' }),
      (e: unknown) => e instanceof OpenAI.NotFoundError && /not stored/.test(e.message),
    );
  });

  test('an upstream failing mid-stream ends the stream with an error event the SDK raises', async () => {
    d.fakes['model-a']!.enqueue({ streamError: { message: 'boom', afterFrames: 2 } });
    const stream = await client.responses.create({ model: 'model-a', input: 'fail please', stream: true });
    const types: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of stream) types.push(event.type);
      })(),
      (e: unknown) => e instanceof OpenAI.APIError && /model-a failed mid-stream/.test(e.message),
    );
    assert.equal(types[0], 'response.created');
    assert.ok(!types.includes('response.completed'));
  });

  test('bad input gets an OpenAI-format 400 naming the item', async () => {
    await assert.rejects(
      client.responses.create({ model: 'auto', input: [{ type: 'web_search_call', id: 'x' } as any] }),
      (e: unknown) =>
        e instanceof OpenAI.BadRequestError && e.param === 'input[0].type' && /web_search_call/.test(e.message),
    );
    await assert.rejects(
      client.responses.create({ model: 'auto', input: 'x', tools: [{ type: 'web_search' } as any] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && /only function tools/.test(e.message),
    );
  });
});
