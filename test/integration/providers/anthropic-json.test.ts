// `response_format: {type: "json_object"}` (and json_schema) for Anthropic upstreams, which have no
// such parameter: the adapter instructs the model in `system` and prefills the answer with `{`, and
// the client gets the whole JSON object back (the prefill put in front), streamed or not.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { AnthropicProvider } from '../../../daemon/providers/anthropic';
import { startFakeAnthropic, type FakeUpstream } from '../../fakes';
import { callOptions, collect, modelFor, request, textOf } from './helpers';

const provider = new AnthropicProvider();
let up: FakeUpstream;
before(async () => {
  up = await startFakeAnthropic({ models: ['claude-a'] });
});
after(() => up.close());
beforeEach(() => up.reset());

const model = () => modelFor('anthropic', up.url);
// What a model continues after the `{` prefill.
const continuation = '"city": "Paris", "population": 2100000}';

test('json_object: system instruction, `{` prefill, and the full object in the answer', async () => {
  up.set({ text: continuation });
  const completion = await provider.chat(
    model(),
    request('Give the capital of France and its population as JSON', {
      messages: [
        { role: 'system', content: 'Be exact.' },
        { role: 'user', content: 'Give the capital of France and its population as JSON' },
      ],
      response_format: { type: 'json_object' },
    }),
    callOptions(),
  );
  const content = completion.choices[0]?.message.content ?? '';
  assert.deepEqual(JSON.parse(content), { city: 'Paris', population: 2100000 });
  const body = up.requests[0]!.body;
  assert.match(body.system, /^Be exact\.\n\n.*JSON object/s);
  const last = body.messages[body.messages.length - 1];
  assert.deepEqual(last, { role: 'assistant', content: [{ type: 'text', text: '{' }] });
});

test('json_object streamed: the first text delta carries the prefill', async () => {
  up.set({ text: continuation });
  const chunks = await collect(
    provider.chatStream(
      model(),
      request('as JSON please', { response_format: { type: 'json_object' } }),
      callOptions(),
    ),
  );
  assert.deepEqual(JSON.parse(textOf(chunks)), { city: 'Paris', population: 2100000 });
  assert.equal(up.requests[0]!.body.stream, true);
});

test('json_schema: the schema is part of the instruction', async () => {
  up.set({ text: '"ok": true}' });
  const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
  const completion = await provider.chat(
    model(),
    request('ok?', { response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } } }),
    callOptions(),
  );
  assert.deepEqual(JSON.parse(completion.choices[0]?.message.content ?? ''), { ok: true });
  assert.ok((up.requests[0]!.body.system as string).includes(JSON.stringify(schema)));
});

test('without response_format, or with type text, nothing is added', async () => {
  await provider.chat(model(), request('hello'), callOptions());
  await provider.chat(model(), request('hello', { response_format: { type: 'text' } }), callOptions());
  for (const seen of up.requests) {
    assert.equal(seen.body.system, undefined);
    assert.equal(seen.body.messages.length, 1);
  }
});

test('with tools the answer may be a tool call: instruction only, no prefill', async () => {
  await provider.chat(
    model(),
    request('weather?', {
      response_format: { type: 'json_object' },
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: {} } } }],
    }),
    callOptions(),
  );
  const body = up.requests[0]!.body;
  assert.match(body.system, /JSON object/);
  assert.equal(body.messages[body.messages.length - 1].role, 'user');
});
