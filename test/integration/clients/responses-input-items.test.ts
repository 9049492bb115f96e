// GET /v1/responses/{id}/input_items through the official openai SDK
// (`client.responses.inputItems.list`): the input a stored response was created from, in OpenAI's
// list format, paged with order/limit/after, and a 404 in OpenAI's error format for an unknown id.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
let client: OpenAI;
before(async () => {
  d = await startTestDaemon({ rpc: false });
  client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => d.close());

test('a string input is listed as one user message with an input_text part', async () => {
  const response = await client.responses.create({ model: 'auto', input: 'Say hello' });
  const page = await client.responses.inputItems.list(response.id);
  assert.equal(page.data.length, 1);
  const item = page.data[0]!;
  assert.equal(item.type, 'message');
  assert.ok(item.type === 'message' && item.role === 'user');
  assert.match(item.id, /^msg_/);
  assert.deepEqual((item as { content: unknown }).content, [{ type: 'input_text', text: 'Say hello' }]);
  assert.equal(page.has_more, false);
});

test('several items: newest first by default, asc on request, paged with limit and after', async () => {
  const input: OpenAI.Responses.ResponseInput = [
    { role: 'user', content: 'first' },
    { role: 'assistant', content: 'second' },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'third' }] },
  ];
  const response = await client.responses.create({ model: 'auto', input });
  const text = (item: OpenAI.Responses.ResponseItem): string =>
    ((item as { content: { text: string }[] }).content[0] ?? { text: '' }).text;

  const desc = await client.responses.inputItems.list(response.id);
  assert.deepEqual(desc.data.map(text), ['third', 'second', 'first']);

  const asc = await client.responses.inputItems.list(response.id, { order: 'asc', limit: 2 });
  assert.deepEqual(asc.data.map(text), ['first', 'second']);
  assert.equal(asc.has_more, true);
  // The SDK's page keeps data and has_more; the wire also carries OpenAI's first_id and last_id.
  const wire = (await (await fetch(`${d.url}/v1/responses/${response.id}/input_items?order=asc&limit=2`)).json()) as {
    object: string;
    first_id: string;
    last_id: string;
    has_more: boolean;
  };
  assert.equal(wire.object, 'list');
  assert.equal(wire.first_id, asc.data[0]!.id);
  assert.equal(wire.last_id, asc.data[1]!.id);
  assert.equal(wire.has_more, true);
  assert.equal((asc.data[1] as { content: { type: string }[] }).content[0]!.type, 'output_text');

  const next = await asc.getNextPage();
  assert.deepEqual(next.data.map(text), ['third']);
  assert.equal(next.has_more, false);

  // The SDK's auto-pagination walks every page.
  const all: string[] = [];
  for await (const item of client.responses.inputItems.list(response.id, { order: 'asc', limit: 1 }))
    all.push(text(item));
  assert.deepEqual(all, ['first', 'second', 'third']);

  // Ids are stable between calls (the cursor depends on it).
  assert.deepEqual(
    asc.data.map((i) => i.id),
    desc.data
      .slice(1)
      .reverse()
      .map((i) => i.id),
  );
});

test('function_call_output items keep call_id and output', async () => {
  const first = await client.responses.create({ model: 'auto', input: 'What is the weather?' });
  const response = await client.responses.create({
    model: 'auto',
    previous_response_id: first.id,
    input: [{ type: 'function_call_output', call_id: 'call_1', output: 'sunny' }],
  });
  const page = await client.responses.inputItems.list(response.id);
  const item = page.data[0] as { type: string; call_id: string; output: string; id: string };
  assert.equal(item.type, 'function_call_output');
  assert.equal(item.call_id, 'call_1');
  assert.equal(item.output, 'sunny');
  assert.ok(item.id);
});

test('an unknown response id is a 404 in OpenAI’s error format', async () => {
  await assert.rejects(client.responses.inputItems.list('resp_unknown'), (err: unknown) => {
    assert.ok(err instanceof OpenAI.NotFoundError, String(err));
    assert.equal(err.status, 404);
    assert.match(err.message, /resp_unknown/);
    return true;
  });
});

test('bad order or limit is a 400', async () => {
  const response = await client.responses.create({ model: 'auto', input: 'hi' });
  await assert.rejects(client.responses.inputItems.list(response.id, { limit: 0 }), OpenAI.BadRequestError);
  await assert.rejects(
    client.responses.inputItems.list(response.id, { order: 'sideways' as 'asc' }),
    OpenAI.BadRequestError,
  );
});
