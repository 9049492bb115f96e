// The Vercel AI SDK against a real daemon: `@ai-sdk/openai`'s default provider (the Responses API,
// POST /v1/responses) and `@ai-sdk/openai-compatible` (chat completions), generateText and streamText,
// each with a multi-step tool round trip (the SDK runs the tool and sends its result back).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, jsonSchema, stepCountIs, streamText, tool, type LanguageModel } from 'ai';
import type { RoutingDecision } from '../../../shared/openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { FINAL_ANSWER, WEATHER_ARGS, WEATHER_RESULT, WEATHER_TOOL, weatherToolHook } from '../../fakes/tool-round-trip';

let d: TestDaemon;
/** Bodies the Responses provider sent (the SDK's own fetch, only observed). */
const sentToResponses: any[] = [];
const recordingFetch: typeof fetch = async (input, init) => {
  if (typeof init?.body === 'string') sentToResponses.push(JSON.parse(init.body));
  return fetch(input, init);
};
let models: { name: string; model: () => LanguageModel; path: string }[];

before(async () => {
  d = await startTestDaemon({
    config: { default_model: 'model-a', routing: { prefer_local: false, cooldown_failures: 100 } },
  });
  const openai = createOpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', fetch: recordingFetch });
  const compatible = createOpenAICompatible({ name: 'fugusashi', baseURL: `${d.url}/v1`, includeUsage: true });
  models = [
    // The default provider call, as users write it: openai('…') → the Responses API.
    { name: '@ai-sdk/openai (Responses API)', model: () => openai('auto'), path: '/v1/responses' },
    { name: '@ai-sdk/openai-compatible (chat)', model: () => compatible('auto'), path: '/v1/chat/completions' },
  ];
});
after(async () => d.close());
beforeEach(() => {
  for (const f of Object.values(d.fakes)) f.reset();
  d.fakes['model-b']!.hook = weatherToolHook;
});

const calls: unknown[] = [];
const weather = tool({
  description: WEATHER_TOOL.description,
  inputSchema: jsonSchema<{ city: string }>(WEATHER_TOOL.parameters as any),
  execute: async (input) => {
    calls.push(input);
    return WEATHER_RESULT;
  },
});

function decisionFromBody(body: unknown): RoutingDecision | undefined {
  return (body as { routing_decision?: RoutingDecision } | undefined)?.routing_decision;
}

function decisionFromHeaders(headers: Record<string, string> | undefined): RoutingDecision | undefined {
  const h = headers?.['x-fugusashi-routing'];
  return h ? (JSON.parse(h) as RoutingDecision) : undefined;
}

describe('Vercel AI SDK', () => {
  test('each provider hits its door', async () => {
    for (const m of models) {
      const before = d.fakes['model-a']!.requests.length;
      const result = await generateText({ model: m.model(), prompt: 'Say hi' });
      assert.equal(result.text, 'fake answer from model-a-upstream to: Say hi', m.name);
      assert.equal(decisionFromBody(result.response.body)?.model, 'model-a', m.name);
      assert.ok(result.usage.outputTokens && result.usage.outputTokens > 0, m.name);
      assert.equal(d.fakes['model-a']!.requests.length, before + 1);
    }
  });

  test('streamText: text streams, decision in the routing header', async () => {
    for (const m of models) {
      const result = streamText({ model: m.model(), prompt: 'Stream three words please' });
      let text = '';
      for await (const piece of result.textStream) text += piece;
      assert.equal(text, 'fake answer from model-a-upstream to: Stream three words please', m.name);
      assert.equal(decisionFromHeaders((await result.response).headers)?.model, 'model-a', m.name);
      assert.ok(((await result.usage).outputTokens ?? 0) > 0, m.name);
    }
  });

  for (const stream of [false, true]) {
    test(`tool round trip, ${stream ? 'streamText' : 'generateText'}: the SDK runs the tool, the model answers`, async () => {
      for (const m of models) {
        d.fakes['model-b']!.reset();
        d.fakes['model-b']!.hook = weatherToolHook;
        calls.length = 0;
        sentToResponses.length = 0;
        const options = {
          model: m.model(),
          prompt: 'What is the weather in Paris?',
          tools: { get_weather: weather },
          stopWhen: stepCountIs(3),
        };
        let text: string;
        let steps: { response: { body?: unknown; headers?: Record<string, string> } }[];
        if (stream) {
          const result = streamText(options);
          text = '';
          for await (const piece of result.textStream) text += piece;
          steps = await result.steps;
        } else {
          const result = await generateText(options);
          text = result.text;
          steps = result.steps;
        }
        assert.equal(text, FINAL_ANSWER, m.name);
        assert.deepEqual(calls, [WEATHER_ARGS], m.name);
        assert.equal(steps.length, 2, m.name);
        for (const step of steps) {
          const decision = stream ? decisionFromHeaders(step.response.headers) : decisionFromBody(step.response.body);
          assert.equal(decision?.model, 'model-b', `${m.name}: routing_decision of each step`);
        }
        const second = d.fakes['model-b']!.requests[1]!.body;
        assert.equal(second.messages.at(-1).role, 'tool', m.name);
        assert.match(second.messages.at(-1).content, /sunny/, m.name);
        if (m.path === '/v1/responses') {
          // The SDK refers to the stored function_call by id (store defaults to true): the daemon resolved it.
          const items = sentToResponses[1].input.map((i: any) => i.type ?? i.role);
          assert.deepEqual(items, ['user', 'item_reference', 'function_call_output']);
        }
      }
    });
  }
});
