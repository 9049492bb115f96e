// The cascade's cheap checks: what makes it escalate without asking a judge.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cheapChecks } from '../../../daemon/core/cascade-checks';
import type { ChatCompletionRequest } from '../../../shared/openai';

const ALL = ['truncation', 'refusal', 'format'] as const;
const ask = (extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
  model: 'auto:cascade',
  messages: [{ role: 'user', content: 'q' }],
  ...extra,
});
const failed = (r: ReturnType<typeof cheapChecks>) => r.filter((c) => !c.passed).map((c) => c.check);

test('truncation, refusal and empty answers fail; a plain answer passes', () => {
  assert.deepEqual(failed(cheapChecks(ask(), { content: 'Paris.', finish_reason: 'stop' }, ALL)), []);
  assert.deepEqual(failed(cheapChecks(ask(), { content: 'Par', finish_reason: 'length' }, ALL)), ['truncation']);
  assert.deepEqual(
    failed(cheapChecks(ask(), { content: "I'm sorry, but I can't do that.", finish_reason: 'stop' }, ALL)),
    ['refusal'],
  );
  assert.deepEqual(failed(cheapChecks(ask(), { content: 'As an AI, I cannot browse.', finish_reason: 'stop' }, ALL)), [
    'refusal',
  ]);
  assert.deepEqual(
    failed(cheapChecks(ask(), { content: 'Sorry to hear that! Here is a fix.', finish_reason: 'stop' }, ALL)),
    [],
  );
  assert.deepEqual(failed(cheapChecks(ask(), { content: '  ', finish_reason: 'stop' }, ALL)), ['empty']);
  assert.deepEqual(failed(cheapChecks(ask(), { content: 'Par', finish_reason: 'length' }, ['refusal'])), []);
});

test("response_format: JSON must parse (fenced is fine) and have the schema's required keys", () => {
  const json = ask({ response_format: { type: 'json_object' } });
  assert.deepEqual(failed(cheapChecks(json, { content: '{"a":1}', finish_reason: 'stop' }, ALL)), []);
  assert.deepEqual(failed(cheapChecks(json, { content: '```json\n{"a":1}\n```', finish_reason: 'stop' }, ALL)), []);
  assert.deepEqual(failed(cheapChecks(json, { content: 'a: 1', finish_reason: 'stop' }, ALL)), ['format']);
  const schema = ask({
    response_format: {
      type: 'json_schema',
      json_schema: { name: 's', schema: { type: 'object', required: ['answer'] } },
    },
  });
  assert.deepEqual(failed(cheapChecks(schema, { content: '{"a":1}', finish_reason: 'stop' }, ALL)), ['format']);
});

test('tool calls must name a given tool, with JSON arguments holding the required parameters', () => {
  const tools = ask({
    tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', required: ['city'] } } }],
  });
  const call = (name: string, args: string) => ({
    content: null,
    finish_reason: 'tool_calls',
    tool_calls: [{ id: 'c1', type: 'function' as const, function: { name, arguments: args } }],
  });
  assert.deepEqual(failed(cheapChecks(tools, call('weather', '{"city":"Oslo"}'), ALL)), []);
  assert.deepEqual(failed(cheapChecks(tools, call('weather', '{}'), ALL)), ['tool_schema']);
  assert.deepEqual(failed(cheapChecks(tools, call('weather', '{city'), ALL)), ['tool_schema']);
  assert.deepEqual(failed(cheapChecks(tools, call('stocks', '{}'), ALL)), ['tool_schema']);
});
