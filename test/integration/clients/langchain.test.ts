// LangChain's ChatOpenAI against a real daemon, over chat completions and with useResponsesApi
// (POST /v1/responses): invoke and stream, each with a tool-call round trip (bindTools → AIMessage
// tool_calls → ToolMessage → final answer). routing_decision is read from the daemon's routing header,
// observed through the openai client's own fetch.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { AIMessageChunk } from '@langchain/core/messages';
import { HumanMessage, ToolMessage, type AIMessage, type BaseMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import type { RoutingDecision } from '../../../shared/openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { FINAL_ANSWER, WEATHER_ARGS, WEATHER_RESULT, WEATHER_TOOL, weatherToolHook } from '../../fakes/tool-round-trip';

let d: TestDaemon;
/** Routing decisions of the daemon's answers, in order, and the paths they answered. */
const seen: { path: string; decision: RoutingDecision | undefined }[] = [];
const observingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const header = res.headers.get('x-fugusashi-routing');
  seen.push({
    path: new URL(typeof input === 'string' || input instanceof URL ? input : input.url).pathname,
    decision: header ? (JSON.parse(header) as RoutingDecision) : undefined,
  });
  return res;
};

before(async () => {
  d = await startTestDaemon({
    config: { default_model: 'model-a', routing: { prefer_local: false, cooldown_failures: 100 } },
  });
});
after(async () => d.close());
beforeEach(() => {
  for (const f of Object.values(d.fakes)) f.reset();
  d.fakes['model-b']!.hook = weatherToolHook;
  seen.length = 0;
});

function chat(useResponsesApi: boolean, streaming = false): ChatOpenAI {
  return new ChatOpenAI({
    model: 'auto',
    apiKey: 'unused',
    useResponsesApi,
    streaming,
    maxRetries: 0,
    configuration: { baseURL: `${d.url}/v1`, fetch: observingFetch },
  });
}

async function streamed(model: ReturnType<ChatOpenAI['bindTools']> | ChatOpenAI, messages: BaseMessage[]) {
  let full: AIMessageChunk | undefined;
  for await (const chunk of await model.stream(messages)) full = full ? full.concat(chunk) : chunk;
  assert.ok(full);
  return full;
}

const tools = [
  {
    type: 'function' as const,
    function: { name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.parameters },
  },
];

for (const useResponsesApi of [false, true]) {
  const door = useResponsesApi ? '/v1/responses' : '/v1/chat/completions';
  describe(`LangChain ChatOpenAI${useResponsesApi ? ' with useResponsesApi' : ''} → ${door}`, () => {
    test('invoke and stream answer with the routed model', async () => {
      const answer = await chat(useResponsesApi).invoke('Say hi');
      assert.equal(answer.text, 'fake answer from model-a-upstream to: Say hi');
      const chunks = await streamed(chat(useResponsesApi), [new HumanMessage('Stream three words please')]);
      assert.equal(chunks.text, 'fake answer from model-a-upstream to: Stream three words please');
      assert.deepEqual(
        seen.map((s) => [s.path, s.decision?.model]),
        [
          [door, 'model-a'],
          [door, 'model-a'],
        ],
      );
    });

    for (const stream of [false, true]) {
      test(`tool round trip (${stream ? 'stream' : 'invoke'})`, async () => {
        const model = chat(useResponsesApi).bindTools(tools);
        const ask = (messages: BaseMessage[]): Promise<AIMessage> =>
          stream ? streamed(model, messages) : model.invoke(messages);
        const messages: BaseMessage[] = [new HumanMessage('What is the weather in Paris?')];
        const first = await ask(messages);
        const call = first.tool_calls?.[0];
        assert.ok(call, 'a tool call');
        assert.equal(call.name, 'get_weather');
        assert.deepEqual(call.args, WEATHER_ARGS);
        messages.push(first, new ToolMessage({ tool_call_id: call.id!, content: WEATHER_RESULT }));
        const second = await ask(messages);
        assert.equal(second.text, FINAL_ANSWER);
        assert.deepEqual(
          seen.map((s) => [s.path, s.decision?.model]),
          [
            [door, 'model-b'],
            [door, 'model-b'],
          ],
        );
        const sent = d.fakes['model-b']!.requests[1]!.body;
        assert.deepEqual(sent.messages.at(-1), { role: 'tool', tool_call_id: call.id, content: WEATHER_RESULT });
      });
    }
  });
}
