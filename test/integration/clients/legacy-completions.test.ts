// `POST /v1/completions`, the legacy completions API Continue's autocomplete and older OpenAI tools call,
// answered 404 ("No route"). Now it is a door onto the same chat service: the prompt is one user message,
// the answer comes back as `choices[].text` (whole or streamed), with the routing decision as elsewhere.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

type WithDecision = { routing_decision?: { model: string; strategy: string } };

let d: TestDaemon;
let client: OpenAI;
before(async () => {
  d = await startTestDaemon({
    rpc: false,
    models: [
      { name: 'gpt', config: { capabilities: ['chat', 'code'] } },
      { name: 'claude', kind: 'anthropic', config: { capabilities: ['chat', 'code'] } },
    ],
  });
  client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => d.close());

test('a prompt is routed as one user message; the answer is choices[0].text with usage and the decision', async () => {
  d.fakes['gpt']!.enqueue({ text: 'return a + b;', usage: { prompt: 12, completion: 5 } });
  const completion = await client.completions.create({
    model: 'gpt',
    prompt: 'function add(a, b) {',
    max_tokens: 32,
    temperature: 0.2,
    stop: ['\n\n'],
  });
  assert.equal(completion.object, 'text_completion');
  assert.equal(completion.choices[0]?.text, 'return a + b;');
  assert.equal(completion.choices[0]?.finish_reason, 'stop');
  assert.equal(completion.usage?.prompt_tokens, 12);
  assert.equal(completion.usage?.completion_tokens, 5);
  assert.equal((completion as WithDecision).routing_decision?.model, 'gpt');
  const upstream = d.fakes['gpt']!.requests.at(-1)!.body as Record<string, unknown>;
  assert.deepEqual(upstream['messages'], [{ role: 'user', content: 'function add(a, b) {' }]);
  assert.equal(upstream['max_tokens'], 32);
  assert.deepEqual(upstream['stop'], ['\n\n']);
  assert.equal(upstream['prompt'], undefined);
});

test('streamed, through an Anthropic model: text pieces, the finish, usage when asked, [DONE]', async () => {
  d.fakes['claude']!.enqueue({ chunks: ['return ', 'a + b;'], usage: { prompt: 12, completion: 5 } });
  const stream = await client.completions.create({
    model: 'claude',
    prompt: 'function add(a, b) {',
    max_tokens: 32,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | undefined;
  let decision: WithDecision['routing_decision'];
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'text_completion');
    decision ??= (chunk as WithDecision).routing_decision;
    for (const choice of chunk.choices) {
      text += choice.text;
      finish = choice.finish_reason ?? finish;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, 'return a + b;');
  assert.equal(finish, 'stop');
  assert.equal(usage?.completion_tokens, 5);
  assert.equal(decision?.model, 'claude');
});

test('auto routes a completions request like any other door', async () => {
  const completion = await client.completions.create({ model: 'auto', prompt: 'Say hi' });
  assert.ok(['gpt', 'claude'].includes(completion.model), completion.model);
  assert.ok((completion as WithDecision).routing_decision?.strategy);
});

test('several prompts or echo get an OpenAI-format 400', async () => {
  await assert.rejects(client.completions.create({ model: 'gpt', prompt: ['a', 'b'] }), (err: unknown) => {
    assert.ok(err instanceof OpenAI.BadRequestError);
    assert.match(err.message, /one prompt/);
    return true;
  });
  await assert.rejects(
    client.completions.create({ model: 'gpt', prompt: 'a', echo: true }),
    (err: unknown) => err instanceof OpenAI.BadRequestError,
  );
});

test("a suffix (fill-in-the-middle) gets OpenAI's 400 naming the parameter, and no upstream is called", async () => {
  // Before, the suffix was dropped: the answer continued the prompt as if nothing came after it,
  // text an editor would insert where it does not join up with the code that follows.
  const calls = d.fakes['gpt']!.requests.length;
  await assert.rejects(
    client.completions.create({ model: 'gpt', prompt: 'function add(a, b) {', suffix: '\n}\n' }),
    (err: unknown) => {
      assert.ok(err instanceof OpenAI.BadRequestError, String(err));
      assert.equal(err.param, 'suffix');
      assert.equal(err.type, 'invalid_request_error');
      assert.match(err.message, /^400 Unsupported parameter: 'suffix'/);
      return true;
    },
  );
  await assert.rejects(
    client.completions.create({ model: 'gpt', prompt: 'function add(a, b) {', suffix: '\n}\n', stream: true }),
    (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === 'suffix',
  );
  assert.equal(d.fakes['gpt']!.requests.length, calls);
  // An empty or null suffix asks for nothing: answered as before.
  d.fakes['gpt']!.enqueue({ text: 'return a + b;' });
  const plain = await client.completions.create({ model: 'gpt', prompt: 'function add(a, b) {', suffix: null });
  assert.equal(plain.choices[0]?.text, 'return a + b;');
});
