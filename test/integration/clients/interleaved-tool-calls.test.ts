// Parallel tool calls whose argument pieces an OpenAI-compatible upstream streams interleaved (index 0,
// index 1, index 0, index 1: the chat-completions protocol allows it, each delta names its call) reach
// every door whole. The chat-completions and JSON-RPC doors pass the deltas on as they are; the
// Responses and Messages doors, whose items/blocks are sequential, put the calls one after the other:
// every piece is a delta of its own item/block, each done/stop comes after its last delta and carries
// the whole arguments, and one item/block is open at a time. Official clients against a real daemon.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from '../../../shared/openai';
import { ChatChunkNotification, ChatRequest } from '../../../shared/protocol';
import type { FakeBehaviour } from '../../fakes';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { connectWindow } from '../../helpers/rpc-window';

let d: TestDaemon;
let openai: OpenAI;
let anthropic: Anthropic;

const PARIS = '{"city":"Paris"}';
const ROME = '{"city":"Rome"}';
const INTERLEAVED: FakeBehaviour = {
  toolCalls: [
    { id: 'call_A', name: 'get_weather', arguments: PARIS },
    { id: 'call_B', name: 'get_weather', arguments: ROME },
  ],
  interleaveToolCalls: true,
};
const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } as const;

before(async () => {
  d = await startTestDaemon({
    models: [{ name: 'gpt-pool', config: { supports_tools: true, capabilities: ['chat', 'tools'] } }],
    config: { default_model: 'gpt-pool', routing: { prefer_local: false, cooldown_failures: 100 } },
  });
  openai = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: d.url, apiKey: 'unused', maxRetries: 0 });
});
after(async () => d.close());
beforeEach(() => {
  d.fakes['gpt-pool']!.reset();
  d.fakes['gpt-pool']!.set(INTERLEAVED);
});

/** Argument pieces per tool_calls index, in arrival order. */
function piecesByIndex(chunks: readonly ChatCompletionChunk[]): Map<number, string> {
  const args = new Map<number, string>();
  for (const c of chunks) {
    for (const t of c.choices[0]?.delta.tool_calls ?? []) {
      args.set(t.index, (args.get(t.index) ?? '') + (t.function?.arguments ?? ''));
    }
  }
  return args;
}

test('the upstream really interleaves: index 1 gets a piece before index 0 has all of its', async () => {
  const stream = await openai.chat.completions.create({
    model: 'gpt-pool',
    messages: [{ role: 'user', content: 'weather in Paris and Rome' }],
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: schema } }],
    stream: true,
  });
  const order: number[] = [];
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of stream) {
    chunks.push(c as unknown as ChatCompletionChunk);
    for (const t of c.choices[0]?.delta.tool_calls ?? []) if (t.function?.arguments) order.push(t.index);
  }
  assert.deepEqual(order, [0, 1, 0, 1]);
  // Chat-completions door: the deltas as the upstream sent them, each index assembling to its call.
  assert.deepEqual(
    [...piecesByIndex(chunks)],
    [
      [0, PARIS],
      [1, ROME],
    ],
  );
});

test('chat completions: the SDK assembles both calls', async () => {
  const final = await openai.chat.completions
    .stream({
      model: 'gpt-pool',
      messages: [{ role: 'user', content: 'weather in Paris and Rome' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: schema } }],
    })
    .finalChatCompletion();
  const calls = final.choices[0]?.message.tool_calls ?? [];
  assert.deepEqual(
    calls.map((c) => (c.type === 'function' ? [c.id, c.function.arguments] : [])),
    [
      ['call_A', PARIS],
      ['call_B', ROME],
    ],
  );
});

test('Responses: each function_call item gets all its pieces as deltas before its done events, one item at a time', async () => {
  const events: OpenAI.Responses.ResponseStreamEvent[] = [];
  const stream = await openai.responses.create({
    model: 'gpt-pool',
    input: 'weather in Paris and Rome',
    tools: [{ type: 'function', name: 'get_weather', parameters: schema, strict: false }],
    stream: true,
  });
  for await (const e of stream) events.push(e);

  const open = new Set<number>();
  const deltas = new Map<number, string>();
  const argsDone = new Map<number, string>();
  const itemDone = new Map<number, string>();
  for (const e of events) {
    if (e.type === 'response.output_item.added') {
      assert.equal(open.size, 0, `item ${e.output_index} added while ${[...open].join()} is open`);
      open.add(e.output_index);
    } else if (e.type === 'response.function_call_arguments.delta') {
      assert.ok(open.has(e.output_index), `delta for item ${e.output_index}, which is not open`);
      deltas.set(e.output_index, (deltas.get(e.output_index) ?? '') + e.delta);
    } else if (e.type === 'response.function_call_arguments.done') {
      assert.ok(open.has(e.output_index), `arguments.done for item ${e.output_index}, which is not open`);
      argsDone.set(e.output_index, e.arguments);
    } else if (e.type === 'response.output_item.done') {
      assert.ok(open.delete(e.output_index), `item ${e.output_index} done but not open`);
      assert.ok(e.item.type === 'function_call');
      itemDone.set(e.output_index, e.item.arguments);
    }
  }
  const expected = [
    [0, PARIS],
    [1, ROME],
  ];
  assert.deepEqual([...deltas], expected);
  assert.deepEqual([...argsDone], expected);
  assert.deepEqual([...itemDone], expected);
  const last = events.at(-1);
  assert.ok(last?.type === 'response.completed');
  assert.deepEqual(
    last.response.output.map((o) => (o.type === 'function_call' ? [o.call_id, o.arguments] : [])),
    [
      ['call_A', PARIS],
      ['call_B', ROME],
    ],
  );
});

test('Messages: one content block open at a time, every piece a delta of its own open block', async () => {
  const request = {
    model: 'gpt-pool',
    max_tokens: 256,
    messages: [{ role: 'user' as const, content: 'weather in Paris and Rome' }],
    tools: [{ name: 'get_weather', input_schema: schema as unknown as Anthropic.Tool.InputSchema }],
  };
  const events: Anthropic.RawMessageStreamEvent[] = [];
  for await (const e of await anthropic.messages.create({ ...request, stream: true })) events.push(e);

  let open: number | null = null;
  let next = 0;
  const json = new Map<number, string>();
  for (const e of events) {
    if (e.type === 'content_block_start') {
      assert.equal(open, null, `block ${e.index} started while block ${open} is open`);
      assert.equal(e.index, next++);
      open = e.index;
    } else if (e.type === 'content_block_delta') {
      assert.equal(e.index, open, `delta for block ${e.index} while block ${open} is open`);
      if (e.delta.type === 'input_json_delta') json.set(e.index, (json.get(e.index) ?? '') + e.delta.partial_json);
    } else if (e.type === 'content_block_stop') {
      assert.equal(e.index, open, `stop for block ${e.index} while block ${open} is open`);
      open = null;
    }
  }
  assert.equal(open, null);
  assert.deepEqual(
    [...json].map(([i, s]) => [i, JSON.parse(s)]),
    [
      [0, { city: 'Paris' }],
      [1, { city: 'Rome' }],
    ],
  );

  // The SDK's own accumulation gets both calls' inputs.
  const final = await anthropic.messages.stream(request).finalMessage();
  assert.deepEqual(
    final.content.map((b) => (b.type === 'tool_use' ? [b.id, b.input] : [b.type])),
    [
      ['call_A', { city: 'Paris' }],
      ['call_B', { city: 'Rome' }],
    ],
  );
  assert.equal(final.stop_reason, 'tool_use');
});

test('JSON-RPC: streamed chunks and the resolved completion carry both calls whole', async () => {
  const window = await connectWindow(d.dataDir);
  try {
    const chunks: ChatCompletionChunk[] = [];
    window.connection.onNotification(ChatChunkNotification, (p) => {
      if (p.streamId === 'tools') chunks.push(p.chunk);
    });
    const completion = await window.connection.sendRequest(ChatRequest, {
      request: {
        model: 'gpt-pool',
        messages: [{ role: 'user', content: 'weather in Paris and Rome' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: schema } }],
      },
      streamId: 'tools',
    });
    assert.deepEqual(
      (completion.choices[0]?.message.tool_calls ?? []).map((c) => [c.id, c.function.arguments]),
      [
        ['call_A', PARIS],
        ['call_B', ROME],
      ],
    );
    assert.deepEqual(
      [...piecesByIndex(chunks)],
      [
        [0, PARIS],
        [1, ROME],
      ],
    );
  } finally {
    window.close();
  }
});
