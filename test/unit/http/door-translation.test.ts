// The two doors' pure translations: Anthropic Messages and OpenAI Responses ⇄ the chat service's shapes,
// and the bounded store behind previous_response_id.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ChatCompletionChunk, FinishReason, RoutingDecision } from '../../../shared/openai';
import type { MessagesRequest } from '../../../shared/anthropic-messages';
import type { ResponsesRequest, ResponseStreamEvent } from '../../../shared/responses';
import { mapStopReason } from '../../../daemon/providers/anthropic/response';
import { ResponseStore } from '../../../daemon/http/responses-store';
import { MessagesStreamTranslator, stopReason, toChatRequest } from '../../../daemon/http/translate/messages';
import {
  responseShell,
  ResponsesStreamTranslator,
  toChatRequest as responsesToChat,
  toResponseObject,
} from '../../../daemon/http/translate/responses';

/** Wire JSON as the validated request type (the schemas accept extra block fields TS cannot list). */
const wire = <T>(body: unknown): T => body as T;

const decision: RoutingDecision = {
  model: 'm',
  confidence: 1,
  strategy: 'cost',
  latency_ms: 0,
  explanation: 'x',
  alternatives: [],
  estimated_cost: 0,
};

function chunk(delta: ChatCompletionChunk['choices'][0]['delta'], finish: FinishReason = null): ChatCompletionChunk {
  return {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

const TEXT_THEN_TOOL = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Let me ' }),
  chunk({ content: 'check.' }),
  chunk({
    tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }],
  }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
  chunk({}, 'tool_calls'),
  { ...chunk({}), choices: [], usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 } },
];

describe('Anthropic Messages door', () => {
  test('stop reasons invert the upstream adapter', () => {
    for (const finish of ['stop', 'length', 'tool_calls', 'content_filter'] as const) {
      assert.equal(mapStopReason(stopReason(finish)), finish);
    }
  });

  test('tool_result blocks become tool messages ahead of the rest of the user turn', () => {
    const chat = toChatRequest(
      wire<MessagesRequest>({
        model: 'auto',
        max_tokens: 10,
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } }] },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'r' }], is_error: true },
              { type: 'text', text: 'and then?' },
            ],
          },
        ],
        tools: [{ name: 'f', input_schema: { type: 'object' } }],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
      }),
      'auto',
    );
    assert.deepEqual(chat.messages.slice(1), [
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
      { role: 'tool', tool_call_id: 't1', content: 'Error: r' },
      { role: 'user', content: 'and then?' },
    ]);
    assert.equal(chat.tool_choice, 'required');
    assert.equal((chat as Record<string, unknown>)['parallel_tool_calls'], false);
  });

  test('a server tool is refused by name', () => {
    assert.throws(
      () =>
        toChatRequest(
          {
            model: 'auto',
            max_tokens: 1,
            messages: [{ role: 'user', content: 'q' }],
            tools: [{ name: 'web_search', type: 'web_search_20250305' }],
          },
          'auto',
        ),
      /server tool/,
    );
  });

  test('stream: text block, then tool_use block with input_json_delta, then message_delta and stop', () => {
    const t = new MessagesStreamTranslator('fugu-1', 'm', decision, 3);
    const events = [t.start()];
    for (const c of TEXT_THEN_TOOL) t.push(c, events);
    t.end(events);
    assert.deepEqual(
      events.map((e) => ('index' in e ? `${e.type}#${e.index}` : e.type)),
      [
        'message_start',
        'content_block_start#0',
        'content_block_delta#0',
        'content_block_delta#0',
        'content_block_stop#0',
        'content_block_start#1',
        'content_block_delta#1',
        'content_block_delta#1',
        'content_block_stop#1',
        'message_delta',
        'message_stop',
      ],
    );
    const delta = events.at(-2) as Extract<(typeof events)[number], { type: 'message_delta' }>;
    assert.deepEqual(delta.delta.stop_reason, 'tool_use');
    assert.deepEqual(delta.usage, {
      input_tokens: 7,
      output_tokens: 5,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    });
  });
});

describe('OpenAI Responses door', () => {
  const request = { model: 'auto', input: 'q', stream: true };

  test('stream: typed events with sequence numbers; final response carries both items', () => {
    const t = new ResponsesStreamTranslator(responseShell(request, 'fugu-abc', 'm', decision));
    const events: ResponseStreamEvent[] = [];
    t.start(events);
    for (const c of TEXT_THEN_TOOL) t.push(c, events);
    const final = t.end(events);
    assert.deepEqual(
      events.map((e) => e.sequence_number),
      events.map((_, i) => i),
    );
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.output_item.added',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    assert.equal(final.status, 'completed');
    assert.deepEqual(
      final.output.map((o) => (o.type === 'message' ? JSON.stringify(o.content) : `${o.call_id}:${o.arguments}`)),
      [
        JSON.stringify([{ type: 'output_text', text: 'Let me check.', annotations: [], logprobs: [] }]),
        'call_1:{"city":"Paris"}',
      ],
    );
    assert.equal(final.usage?.total_tokens, 12);
    assert.equal(final.routing_decision?.model, 'm');
  });

  test('a length finish is an incomplete response', () => {
    const r = toResponseObject(request, {
      id: 'fugu-x',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'cut' }, finish_reason: 'length' }],
    });
    assert.equal(r.status, 'incomplete');
    assert.deepEqual(r.incomplete_details, { reason: 'max_output_tokens' });
  });

  test('text.format json_schema becomes response_format; instructions lead; history follows', () => {
    const { chat, turn } = responsesToChat(
      wire<ResponsesRequest>({
        model: 'auto',
        instructions: 'sys',
        input: [{ role: 'user', content: [{ type: 'input_text', text: 'q2' }] }],
        text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' }, strict: true } },
      }),
      [
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: 'a1' },
      ],
      () => undefined,
    );
    assert.deepEqual(
      chat.messages.map((m) => m.content),
      ['sys', 'q1', 'a1', 'q2'],
    );
    assert.deepEqual(turn, [{ role: 'user', content: 'q2' }]);
    assert.deepEqual(chat.response_format, {
      type: 'json_schema',
      json_schema: { name: 'x', schema: { type: 'object' }, strict: true },
    });
  });
});

describe('ResponseStore', () => {
  const response = (id: string, prev: string | null, text: string) => ({
    ...responseShell({ model: 'auto', input: '', previous_response_id: prev }, id, 'm', undefined),
    status: 'completed' as const,
    output: [
      {
        type: 'message' as const,
        id: `msg_${id}`,
        status: 'completed' as const,
        role: 'assistant' as const,
        content: [{ type: 'output_text' as const, text, annotations: [], logprobs: [] }],
      },
    ],
  });

  test('rebuilds a chain oldest first; resolves output items by id', () => {
    const store = new ResponseStore();
    store.put(response('r1', null, 'a1'), [{ role: 'user', content: 'q1' }]);
    store.put(response('r2', 'r1', 'a2'), [{ role: 'user', content: 'q2' }]);
    assert.deepEqual(
      store.history('r2').map((m) => m.content),
      ['q1', 'a1', 'q2', 'a2'],
    );
    assert.equal((store.item('msg_r1') as { id: string }).id, 'msg_r1');
  });

  test('evicts the oldest past either bound, and says so when a chain lost its start', () => {
    const store = new ResponseStore({ maxResponses: 2, maxChars: 1_000_000 });
    store.put(response('r1', null, 'a1'), []);
    store.put(response('r2', 'r1', 'a2'), []);
    store.put(response('r3', 'r2', 'a3'), []);
    assert.equal(store.size, 2);
    assert.equal(store.get('r1'), undefined);
    assert.equal(store.item('msg_r1'), undefined);
    assert.throws(() => store.history('r3'), /'r1' \(earlier in the chain of 'r3'\) is not stored/);

    const small = new ResponseStore({ maxResponses: 100, maxChars: 100 });
    small.put(response('big1', null, 'x'.repeat(60)), []);
    small.put(response('big2', null, 'y'.repeat(60)), []);
    assert.equal(small.size, 1);
    assert.ok(small.get('big2'));
  });
});
