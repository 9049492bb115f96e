// Claude Code (the official Anthropic SDK) and Responses clients in front of OpenAI models: the
// output ceiling each client sends must reach OpenAI in a form the model accepts. The fakes apply
// two rules OpenAI's API documents, with its error text: reasoning models (o-series, gpt-5) refuse
// `max_tokens`, and gpt-4o-mini answers at most 16,384 tokens. An upstream 400 is not retried on
// another model, so either rule broke the whole request.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { FakeRequest } from '../../fakes';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;

function refusesMaxTokens(req: FakeRequest) {
  if (req.body.max_tokens === undefined) return undefined;
  return {
    error: {
      status: 400,
      message:
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      param: 'max_tokens',
      code: 'unsupported_parameter',
    },
  };
}

function answersAtMost16k(req: FakeRequest) {
  const asked = (req.body.max_tokens ?? req.body.max_completion_tokens) as number | undefined;
  if (asked === undefined || asked <= 16_384) return undefined;
  return {
    error: {
      status: 400,
      message: `max_tokens is too large: ${asked}. This model supports at most 16384 completion tokens, whereas you provided ${asked}.`,
      param: 'max_tokens',
      code: 'invalid_value',
    },
  };
}

before(async () => {
  d = await startTestDaemon({
    rpc: false,
    // As a config.yaml writes them: the hosted model ids, no max_output_tokens.
    models: [
      { name: 'gpt-5', config: { model: 'gpt-5', capabilities: ['chat'] } },
      { name: 'gpt-4o-mini', config: { model: 'gpt-4o-mini', capabilities: ['chat'] } },
    ],
    config: { routing: { prefer_local: false } },
  });
  d.fakes['gpt-5']!.hook = refusesMaxTokens;
  d.fakes['gpt-4o-mini']!.hook = answersAtMost16k;
});
after(async () => d.close());

const anthropic = () => new Anthropic({ baseURL: d.url, apiKey: 'unused', maxRetries: 0 });
const openai = () => new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });

test("Claude Code's max_tokens reaches a gpt-5 model as max_completion_tokens", async () => {
  const message = await anthropic()
    .messages.stream({ model: 'gpt-5', max_tokens: 32_000, messages: [{ role: 'user', content: 'hello' }] })
    .finalMessage();
  assert.equal(message.content[0]?.type, 'text');
  const sent = d.fakes['gpt-5']!.requests.at(-1)!.body;
  assert.equal(sent.max_tokens, undefined);
  assert.equal(sent.max_completion_tokens, 32_000);
});

test("a Responses client's max_output_tokens reaches a gpt-5 model as max_completion_tokens", async () => {
  const response = await openai().responses.create({ model: 'gpt-5', max_output_tokens: 500, input: 'hello' });
  assert.equal(response.status, 'completed');
  assert.equal(d.fakes['gpt-5']!.requests.at(-1)!.body.max_completion_tokens, 500);
});

test("Claude Code's max_tokens 32000 is capped at gpt-4o-mini's documented 16,384 without max_output_tokens in the config", async () => {
  const message = await anthropic()
    .messages.stream({ model: 'gpt-4o-mini', max_tokens: 32_000, messages: [{ role: 'user', content: 'hello' }] })
    .finalMessage();
  assert.equal(message.content[0]?.type, 'text');
  assert.equal(d.fakes['gpt-4o-mini']!.requests.at(-1)!.body.max_tokens, 16_384);
});

test('a chat client that asks less than the ceiling is sent what it asked, in the field it used', async () => {
  await openai().chat.completions.create({
    model: 'gpt-4o-mini',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'hello' }],
  });
  assert.equal(d.fakes['gpt-4o-mini']!.requests.at(-1)!.body.max_tokens, 100);
});
