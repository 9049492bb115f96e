// OpenAI → Anthropic request translation and Anthropic → OpenAI answer translation (pure functions).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelConfig } from '../../../shared/config';
import type { ChatCompletionRequest } from '../../../shared/openai';
import {
  buildAnthropicRequest,
  translateMessages,
  translateToolChoice,
} from '../../../daemon/providers/anthropic/request';
import {
  AnthropicStreamTranslator,
  mapStopReason,
  toChatCompletion,
} from '../../../daemon/providers/anthropic/response';
import { ProviderError } from '../../../daemon/providers/types';

const model: ModelConfig = {
  name: 'claude',
  provider: 'anthropic',
  model: 'claude-x',
  cost_per_input_token: 0,
  cost_per_output_token: 0,
  capabilities: [],
};

test('system and developer messages become the top-level system prompt', () => {
  const out = translateMessages([
    { role: 'system', content: 'Be brief.' },
    { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
    { role: 'user', content: 'hi' },
  ]);
  assert.equal(out.system, 'Be brief.\n\nUse metric units.');
  assert.deepEqual(out.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
});

test('consecutive same-role turns are merged; empty texts dropped', () => {
  const out = translateMessages([
    { role: 'user', content: 'one' },
    { role: 'user', content: '' },
    { role: 'user', content: 'two' },
    { role: 'assistant', content: 'ok' },
    { role: 'assistant', content: 'more' },
  ]);
  assert.deepEqual(out.messages, [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'one' },
        { type: 'text', text: 'two' },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'ok' },
        { type: 'text', text: 'more' },
      ],
    },
  ]);
});

test('assistant tool_calls become tool_use blocks; tool messages become tool_result blocks in one user turn', () => {
  const out = translateMessages([
    { role: 'user', content: 'weather in Oslo and Bergen?' },
    {
      role: 'assistant',
      content: 'Let me check.',
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
        { id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Bergen"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '5C' },
    { role: 'tool', tool_call_id: 'call_2', content: '7C' },
    { role: 'user', content: 'thanks' },
  ]);
  assert.deepEqual(out.messages[1], {
    role: 'assistant',
    content: [
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Oslo' } },
      { type: 'tool_use', id: 'call_2', name: 'weather', input: { city: 'Bergen' } },
    ],
  });
  assert.deepEqual(out.messages[2], {
    role: 'user',
    content: [
      { type: 'tool_result', tool_use_id: 'call_1', content: '5C' },
      { type: 'tool_result', tool_use_id: 'call_2', content: '7C' },
      { type: 'text', text: 'thanks' },
    ],
  });
  assert.equal(out.messages.length, 3);
});

test('image data URLs become base64 image blocks; http URLs become url sources', () => {
  const out = translateMessages([
    {
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
      ],
    },
  ]);
  assert.deepEqual(out.messages[0]!.content, [
    { type: 'text', text: 'what is this?' },
    { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
    { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
  ]);
});

test('tools, tool_choice, stop, temperature, and max_tokens precedence', () => {
  const base: ChatCompletionRequest = {
    model: 'claude-x',
    messages: [{ role: 'user', content: 'x' }],
    tools: [
      {
        type: 'function',
        function: { name: 'f', description: 'does f', parameters: { type: 'object', properties: { a: {} } } },
      },
      { type: 'function', function: { name: 'g' } },
    ],
    tool_choice: { type: 'function', function: { name: 'f' } },
    stop: 'END',
    temperature: 1.6,
    user: 'u1',
  };
  const body = buildAnthropicRequest(model, base, true);
  assert.deepEqual(body.tools, [
    { name: 'f', description: 'does f', input_schema: { type: 'object', properties: { a: {} } } },
    { name: 'g', input_schema: { type: 'object', properties: {} } },
  ]);
  assert.deepEqual(body.tool_choice, { type: 'tool', name: 'f' });
  assert.deepEqual(body.stop_sequences, ['END']);
  assert.equal(body.temperature, 1, 'clamped to Anthropic range');
  assert.deepEqual(body.metadata, { user_id: 'u1' });
  assert.equal(body.stream, true);
  assert.equal(body.max_tokens, 4096, 'default when neither request nor model says');
  assert.equal(buildAnthropicRequest({ ...model, max_output_tokens: 1000 }, base, false).max_tokens, 1000);
  assert.equal(buildAnthropicRequest(model, { ...base, max_completion_tokens: 300 }, false).max_tokens, 300);
  assert.equal(
    buildAnthropicRequest(model, { ...base, max_tokens: 200, max_completion_tokens: 300 }, false).max_tokens,
    200,
  );
  assert.equal(buildAnthropicRequest(model, base, false).stream, undefined);
  assert.equal(buildAnthropicRequest(model, { ...base, top_p: 0.9 }, false).top_p, undefined, 'not with temperature');
  const { temperature: _t, ...noTemperature } = base;
  assert.equal(buildAnthropicRequest(model, { ...noTemperature, top_p: 0.9 }, false).top_p, 0.9);
});

test('tool_choice mapping', () => {
  assert.deepEqual(translateToolChoice('auto'), { type: 'auto' });
  assert.deepEqual(translateToolChoice('none'), { type: 'none' });
  assert.deepEqual(translateToolChoice('required'), { type: 'any' });
  assert.equal(translateToolChoice(undefined), undefined);
});

test('stop reasons map to OpenAI finish reasons', () => {
  assert.equal(mapStopReason('end_turn'), 'stop');
  assert.equal(mapStopReason('stop_sequence'), 'stop');
  assert.equal(mapStopReason('max_tokens'), 'length');
  assert.equal(mapStopReason('tool_use'), 'tool_calls');
});

test('a whole message with text and tool_use becomes a ChatCompletion; cache tokens count as prompt', () => {
  const c = toChatCompletion(
    {
      id: 'msg_1',
      model: 'claude-x',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 3 },
    },
    'claude-x',
  );
  assert.equal(c.choices[0]?.message.content, 'Checking.');
  assert.deepEqual(c.choices[0]?.message.tool_calls, [
    { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
  ]);
  assert.equal(c.choices[0]?.finish_reason, 'tool_calls');
  assert.deepEqual(c.usage, {
    prompt_tokens: 13,
    completion_tokens: 5,
    total_tokens: 18,
    prompt_tokens_details: { cached_tokens: 3 },
  });
});

test('stream translator: tool_use start + input_json_delta become tool_call deltas; error events throw', () => {
  const t = new AnthropicStreamTranslator('claude-x');
  const out = [
    ...t.push({
      type: 'message_start',
      message: { id: 'msg_9', model: 'claude-x', usage: { input_tokens: 4, output_tokens: 1 } },
    }),
    ...t.push({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: 'toolu_9', name: 'f', input: {} },
    }),
    ...t.push({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"a":' } }),
    ...t.push({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '1}' } }),
    ...t.push({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } }),
    ...t.push({ type: 'message_stop' }),
  ];
  assert.equal(out[0]?.id, 'msg_9');
  assert.deepEqual(out[1]?.choices[0]?.delta.tool_calls, [
    { index: 0, id: 'toolu_9', type: 'function', function: { name: 'f', arguments: '' } },
  ]);
  assert.equal(out[2]?.choices[0]?.delta.tool_calls?.[0]?.function?.arguments, '{"a":');
  assert.equal(out[4]?.choices[0]?.finish_reason, 'tool_calls');
  assert.deepEqual(out[5]?.usage, { prompt_tokens: 4, completion_tokens: 9, total_tokens: 13 });
  assert.equal(t.done, true);

  const e = new AnthropicStreamTranslator('claude-x');
  assert.throws(
    () => e.push({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
    (err: unknown) => err instanceof ProviderError && err.phase === 'stream' && err.status === 529 && err.retryable,
  );
});
