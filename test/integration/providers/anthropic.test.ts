// The Anthropic adapter against the fake Messages API: translation on the wire, both directions.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { AnthropicProvider } from '../../../daemon/providers/anthropic';
import { startFakeAnthropic, type FakeUpstream } from '../../fakes';
import { callOptions, closedPort, collect, modelFor, rejectsWith, request, textOf, toolCallsOf } from './helpers';

const provider = new AnthropicProvider();
let up: FakeUpstream;
before(async () => {
  up = await startFakeAnthropic({ apiKey: 'sk-ant-test', models: ['claude-a'] });
});
after(() => up.close());
beforeEach(() => up.reset());

const model = () => modelFor('anthropic', up.url, { api_key: 'sk-ant-test', max_output_tokens: 1024 });

test('JSON answer: headers, translated body, text, usage and stop reason', async () => {
  const completion = await provider.chat(
    model(),
    {
      model: 'up-model',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'describe' },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
          ],
        },
      ],
      stop: ['\n\n'],
      temperature: 0.5,
    },
    callOptions(),
  );
  assert.equal(completion.choices[0]?.message.content, 'fake answer from up-model to: describe');
  assert.equal(completion.choices[0]?.finish_reason, 'stop');
  assert.ok(completion.usage!.prompt_tokens > 0 && completion.usage!.completion_tokens > 0);
  assert.match(completion.id, /^msg_fake_/);

  const seen = up.requests[0]!;
  assert.equal(seen.path, '/v1/messages');
  assert.equal(seen.headers['x-api-key'], 'sk-ant-test');
  assert.equal(seen.headers['anthropic-version'], '2023-06-01');
  assert.equal(seen.body.system, 'Be brief.');
  assert.equal(seen.body.max_tokens, 1024, 'model max_output_tokens when the request sets none');
  assert.deepEqual(seen.body.stop_sequences, ['\n\n']);
  assert.deepEqual(seen.body.messages, [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'describe' },
        { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
      ],
    },
  ]);
});

test('a wrong key gets Anthropic 401 body, not retryable', async () => {
  await rejectsWith(provider.chat(modelFor('anthropic', up.url, { api_key: 'nope' }), request('x'), callOptions()), {
    status: 401,
    retryable: false,
    upstreamMessage: 'Incorrect API key provided.',
  });
});

test('streaming text: events become OpenAI chunks ending with usage', async () => {
  const chunks = await collect(provider.chatStream(model(), request('stream this'), callOptions()));
  assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
  assert.equal(textOf(chunks), 'fake answer from up-model to: stream this');
  assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
  const usage = chunks.at(-1)!.usage!;
  assert.ok(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
  assert.equal(up.requests[0]!.body.stream, true);
});

test('tools out: OpenAI tools and tool_choice become Anthropic tools; tool_use comes back as tool_calls', async () => {
  up.set({ text: 'Checking.', toolCalls: [{ name: 'weather', arguments: { city: 'Oslo' } }] });
  const req = request('weather?', {
    tools: [
      { type: 'function', function: { name: 'weather', description: 'forecast', parameters: { type: 'object' } } },
    ],
    tool_choice: 'required',
  });
  const json = await provider.chat(model(), req, callOptions());
  assert.deepEqual(up.requests[0]!.body.tools, [
    { name: 'weather', description: 'forecast', input_schema: { type: 'object' } },
  ]);
  assert.deepEqual(up.requests[0]!.body.tool_choice, { type: 'any' });
  assert.equal(json.choices[0]?.finish_reason, 'tool_calls');
  assert.equal(json.choices[0]?.message.content, 'Checking.');
  const call = json.choices[0].message.tool_calls![0]!;
  assert.equal(call.function.name, 'weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Oslo' });
  assert.match(call.id, /^toolu_/);

  const chunks = await collect(provider.chatStream(model(), req, callOptions()));
  assert.equal(textOf(chunks), 'Checking.');
  const streamed = toolCallsOf(chunks);
  assert.equal(streamed.length, 1);
  assert.equal(streamed[0]!.name, 'weather');
  assert.deepEqual(JSON.parse(streamed[0]!.arguments), { city: 'Oslo' });
  assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'tool_calls');
});

test('tools back: assistant tool_calls and tool results reach Anthropic as tool_use / tool_result', async () => {
  await provider.chat(
    model(),
    {
      model: 'up-model',
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '5C and rain' },
      ],
    },
    callOptions(),
  );
  assert.deepEqual(up.requests[0]!.body.messages, [
    { role: 'user', content: [{ type: 'text', text: 'weather?' }] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '5C and rain' }] },
  ]);
});

test('max_tokens stop reason maps to length', async () => {
  up.set({ finishReason: 'length' });
  const json = await provider.chat(model(), request('long'), callOptions());
  assert.equal(json.choices[0]?.finish_reason, 'length');
});

test('error statuses: 529 overloaded and 429 are retryable, 400 is not', async () => {
  up.enqueue(
    { error: { status: 529, message: 'Overloaded' } },
    { error: { status: 429, message: 'Number of request tokens has exceeded your per-minute rate limit' } },
    { error: { status: 400, message: 'messages: roles must alternate' } },
  );
  await rejectsWith(provider.chat(model(), request('x'), callOptions()), {
    status: 529,
    retryable: true,
    upstreamMessage: 'Overloaded',
  });
  await rejectsWith(collect(provider.chatStream(model(), request('x'), callOptions())), {
    status: 429,
    retryable: true,
  });
  await rejectsWith(provider.chat(model(), request('x'), callOptions()), {
    status: 400,
    retryable: false,
    upstreamMessage: 'messages: roles must alternate',
  });
});

test('an error event mid-stream becomes a ProviderError with Anthropic message', async () => {
  up.set({ streamError: { type: 'overloaded_error', message: 'Overloaded', afterFrames: 3 } });
  await rejectsWith(collect(provider.chatStream(model(), request('x'), callOptions())), {
    phase: 'stream',
    status: 529,
    upstreamMessage: 'Overloaded',
  });
});

test('connection refused, first-byte timeout, drop mid-stream, abort mid-stream', async () => {
  const port = await closedPort();
  await rejectsWith(provider.chat(modelFor('anthropic', `http://127.0.0.1:${port}`), request('x'), callOptions()), {
    phase: 'connect',
    retryable: true,
  });

  up.set({ firstByteDelayMs: 400 });
  await rejectsWith(provider.chat(model(), request('x'), callOptions({ firstByteTimeoutMs: 100 })), {
    phase: 'first_byte',
    retryable: true,
  });

  up.set({ dropAfterFrames: 4 });
  await rejectsWith(collect(provider.chatStream(model(), request('a b c d e f'), callOptions())), { phase: 'stream' });

  up.reset();
  up.set({ chunkDelayMs: 40 });
  const controller = new AbortController();
  await rejectsWith(
    (async () => {
      for await (const c of provider.chatStream(
        model(),
        request('a b c d e f g'),
        callOptions({ signal: controller.signal }),
      )) {
        if (c.choices[0]?.delta.content) controller.abort();
      }
    })(),
    { phase: 'aborted', retryable: false },
  );
  assert.equal(await up.requests[0]!.closed, 'client-closed');
});

test('listModels reads GET /v1/models', async () => {
  assert.deepEqual(await provider.listModels(up.url, 'sk-ant-test', callOptions()), ['claude-a']);
});
