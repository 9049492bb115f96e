// The Ollama adapter against the fake Ollama server (NDJSON streams, /api/tags).
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { OllamaProvider } from '../../../daemon/providers/ollama';
import { startFakeOllama, type FakeUpstream } from '../../fakes';
import { callOptions, closedPort, collect, modelFor, rejectsWith, request, textOf, toolCallsOf } from './helpers';

const provider = new OllamaProvider();
let up: FakeUpstream;
before(async () => {
  up = await startFakeOllama({ models: ['llama3.2:1b', 'qwen2.5-coder:1.5b'] });
});
after(() => up.close());
beforeEach(() => up.reset());

const model = () => modelFor('ollama', up.url);

test('JSON answer (stream:false): text, usage from eval counts, options and images translated', async () => {
  up.set({ usage: { prompt: 12, completion: 7 } });
  const completion = await provider.chat(
    model(),
    {
      model: 'up-model',
      messages: [
        { role: 'developer', content: 'Answer in one word.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what animal?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
      temperature: 0.3,
      top_p: 0.8,
      max_tokens: 64,
      stop: 'END',
      seed: 42,
      response_format: { type: 'json_object' },
    },
    callOptions(),
  );
  assert.equal(completion.choices[0]?.message.content, 'fake answer from up-model to: what animal?');
  assert.equal(completion.choices[0]?.finish_reason, 'stop');
  assert.deepEqual(completion.usage, { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 });

  const body = up.requests[0]!.body;
  assert.equal(up.requests[0]!.path, '/api/chat');
  assert.equal(body.stream, false);
  assert.equal(body.format, 'json');
  assert.deepEqual(body.options, { temperature: 0.3, top_p: 0.8, num_predict: 64, stop: ['END'], seed: 42 });
  assert.deepEqual(body.messages, [
    { role: 'system', content: 'Answer in one word.' },
    { role: 'user', content: 'what animal?', images: ['iVBORw0KGgo='] },
  ]);
});

test('streaming NDJSON: chunks, done_reason length → finish length, usage last', async () => {
  up.set({ finishReason: 'length', usage: { prompt: 3, completion: 9 } });
  const chunks = await collect(provider.chatStream(model(), request('go on'), callOptions()));
  assert.equal(up.requests[0]!.body.stream, true);
  assert.equal(textOf(chunks), 'fake answer from up-model to: go on');
  assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'length');
  assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 });
});

test('tool calls: tools passed through, calls come back with ids and JSON arguments, finish tool_calls', async () => {
  up.set({ toolCalls: [{ name: 'get_time', arguments: { tz: 'UTC' } }] });
  const tools = [{ type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object' } } }];
  const json = await provider.chat(model(), request('time?', { tools }), callOptions());
  assert.deepEqual(up.requests[0]!.body.tools, tools);
  const call = json.choices[0]!.message.tool_calls![0]!;
  assert.equal(call.function.name, 'get_time');
  assert.deepEqual(JSON.parse(call.function.arguments), { tz: 'UTC' });
  assert.ok(call.id);
  assert.equal(json.choices[0]?.finish_reason, 'tool_calls');

  const chunks = await collect(provider.chatStream(model(), request('time?', { tools }), callOptions()));
  const streamed = toolCallsOf(chunks);
  assert.equal(streamed[0]?.name, 'get_time');
  assert.deepEqual(JSON.parse(streamed[0].arguments), { tz: 'UTC' });
  assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'tool_calls');
});

test('tool results go back with the tool name Ollama matches on', async () => {
  await provider.chat(
    model(),
    {
      model: 'up-model',
      messages: [
        { role: 'user', content: 'time?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_time', arguments: '{"tz":"UTC"}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: '12:00' },
      ],
    },
    callOptions(),
  );
  const messages = up.requests[0]!.body.messages;
  assert.deepEqual(messages[1].tool_calls, [{ function: { name: 'get_time', arguments: { tz: 'UTC' } } }]);
  assert.deepEqual(messages[2], { role: 'tool', content: '12:00', tool_name: 'get_time' });
});

test('errors: 404 model not found is not retryable and carries Ollama message; 500 is retryable', async () => {
  up.enqueue(
    { error: { status: 404, message: 'model "nope" not found, try pulling it first' } },
    { error: { status: 500, message: 'llama runner process has terminated' } },
  );
  await rejectsWith(provider.chat(model(), request('x'), callOptions()), {
    status: 404,
    retryable: false,
    upstreamMessage: 'model "nope" not found, try pulling it first',
  });
  await rejectsWith(collect(provider.chatStream(model(), request('x'), callOptions())), {
    status: 500,
    retryable: true,
    upstreamMessage: 'llama runner process has terminated',
  });
});

test('an {"error"} line mid-stream, a dropped connection, and an abort', async () => {
  up.set({ streamError: { message: 'out of memory', afterFrames: 2 } });
  await rejectsWith(collect(provider.chatStream(model(), request('a b c'), callOptions())), {
    phase: 'stream',
    upstreamMessage: 'out of memory',
  });

  up.set({ dropAfterFrames: 2 });
  await rejectsWith(collect(provider.chatStream(model(), request('a b c d'), callOptions())), { phase: 'stream' });

  up.reset();
  up.set({ chunkDelayMs: 40 });
  const controller = new AbortController();
  await rejectsWith(
    (async () => {
      for await (const c of provider.chatStream(
        model(),
        request('a b c d e f'),
        callOptions({ signal: controller.signal }),
      )) {
        if (c.choices[0]?.delta.content) controller.abort();
      }
    })(),
    { phase: 'aborted' },
  );
  assert.equal(await up.requests[0]!.closed, 'client-closed');
});

test('connection refused and first-byte timeout', async () => {
  const port = await closedPort();
  await rejectsWith(
    collect(provider.chatStream(modelFor('ollama', `http://127.0.0.1:${port}`), request('x'), callOptions())),
    {
      phase: 'connect',
      retryable: true,
    },
  );
  up.set({ hang: true });
  await rejectsWith(provider.chat(model(), request('x'), callOptions({ firstByteTimeoutMs: 100 })), {
    phase: 'first_byte',
    retryable: true,
  });
});

test('listModels reads the installed models from /api/tags', async () => {
  assert.deepEqual(await provider.listModels(up.url, undefined, callOptions()), ['llama3.2:1b', 'qwen2.5-coder:1.5b']);
  assert.equal(up.requests[0]!.path, '/api/tags');
});
