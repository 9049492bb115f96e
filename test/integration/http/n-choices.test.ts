// `n > 1`: several choices for one prompt, served for every provider by parallel calls to the model
// the router chose (Anthropic and Ollama have no `n`), through the official OpenAI client.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
let client: OpenAI;
before(async () => {
  d = await startTestDaemon({
    models: [
      { name: 'claude-fake', kind: 'anthropic', config: { cost_per_input_token: 1e-6, cost_per_output_token: 1e-6 } },
    ],
    rpc: false,
  });
  client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => d.close());

test('n: 3 gives three choices from the chosen model, usage summed over the calls', async () => {
  let call = 0;
  d.fakes['claude-fake']!.hook = () => ({ text: `variant ${++call}` });
  const answer = await client.chat.completions.create({
    model: 'auto',
    n: 3,
    messages: [{ role: 'user', content: 'Name a colour' }],
  });
  assert.deepEqual(
    answer.choices.map((c) => c.index),
    [0, 1, 2],
  );
  assert.deepEqual(answer.choices.map((c) => c.message.content).sort(), ['variant 1', 'variant 2', 'variant 3']);
  assert.equal(d.fakes['claude-fake']!.requests.length, 3);
  const one = await client.chat.completions.create({
    model: 'auto',
    messages: [{ role: 'user', content: 'Name a colour' }],
  });
  assert.equal(answer.usage?.completion_tokens, 3 * (one.usage?.completion_tokens ?? 0));
  assert.equal(answer.usage?.prompt_tokens, 3 * (one.usage?.prompt_tokens ?? 0));
  assert.equal(answer.model, 'claude-fake');
});

test('n: 2 streamed: each choice arrives under its own index, with one finish_reason each', async () => {
  d.fakes['claude-fake']!.hook = undefined;
  const stream = await client.chat.completions.create({
    model: 'auto',
    n: 2,
    stream: true,
    messages: [{ role: 'user', content: 'Say hi' }],
  });
  const text = ['', ''];
  const finished: number[] = [];
  for await (const chunk of stream) {
    for (const choice of chunk.choices) {
      text[choice.index] += choice.delta.content ?? '';
      if (choice.finish_reason) finished.push(choice.index);
    }
  }
  assert.deepEqual(text, [
    'fake answer from claude-fake-upstream to: Say hi',
    'fake answer from claude-fake-upstream to: Say hi',
  ]);
  assert.deepEqual(finished.sort(), [0, 1]);
});

test('n above the bound is a 400 naming n', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'auto', n: 1000, messages: [{ role: 'user', content: 'x' }] }),
    (err: unknown) => err instanceof OpenAI.BadRequestError && /\bn\b/.test(err.message),
  );
});
