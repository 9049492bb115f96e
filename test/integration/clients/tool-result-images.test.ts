// Claude Code pointed at the daemon reads an image file: its Read tool answers with a tool_result that
// holds an image block. Routed to an OpenAI-compatible pool model, that became a `tool` message with an
// image part, which OpenAI refuses ("Image URLs are only allowed for messages with role 'user'"). The
// fake upstream here answers exactly that way, as the real API does; the daemon must move the image to
// a user turn after the tool results so the model still sees it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { FakeBehaviour, FakeRequest } from '../../fakes';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

interface WireMessage {
  role: string;
  content: string | { type: string; text?: string; image_url?: { url: string } }[] | null;
}

/** OpenAI's own check: an image part anywhere but in a user message is a 400. */
function openAiImageRule(req: FakeRequest): FakeBehaviour | undefined {
  const messages = (req.body?.messages ?? []) as WireMessage[];
  const at = messages.findIndex(
    (m) => m.role !== 'user' && Array.isArray(m.content) && m.content.some((p) => p.type === 'image_url'),
  );
  if (at < 0) return undefined;
  return {
    error: {
      status: 400,
      type: 'invalid_request_error',
      param: `messages.[${at}].content`,
      message: `Invalid 'messages[${at}]'. Image URLs are only allowed for messages with role 'user', but this message with role '${messages[at]!.role}' contains an image URL.`,
    },
  };
}

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon({
    models: [
      {
        name: 'gpt',
        config: { capabilities: ['chat', 'tools', 'vision'], supports_tools: true, supports_vision: true },
      },
    ],
    config: { default_model: 'gpt' },
  });
  d.fakes['gpt']!.hook = openAiImageRule;
});
after(async () => d.close());

const readTool = {
  name: 'Read',
  description: 'Reads a file',
  input_schema: { type: 'object' as const, properties: { file_path: { type: 'string' } }, required: ['file_path'] },
};

test('a tool_result holding an image reaches an OpenAI upstream as a user image after the tool result', async () => {
  const client = new Anthropic({ baseURL: d.url, apiKey: 'unused', maxRetries: 0 });
  const stream = client.messages.stream({
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    tools: [readTool],
    messages: [
      { role: 'user', content: 'What is in shot.png?' },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: 'shot.png' } }],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'toolu_1',
            content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }],
          },
          { type: 'text', text: 'Describe it.' },
        ],
      },
    ],
  });
  const message = await stream.finalMessage();
  assert.equal(message.content[0]?.type, 'text');

  const sent = d.fakes['gpt']!.requests.at(-1)!.body.messages as WireMessage[];
  assert.deepEqual(
    sent.map((m) => m.role),
    ['user', 'assistant', 'tool', 'user', 'user'],
  );
  const tool = sent[2]!;
  assert.equal(typeof tool.content, 'string', 'the tool message keeps text only');
  const images = sent[3]!.content as { type: string; image_url?: { url: string } }[];
  assert.equal(images.find((p) => p.type === 'image_url')?.image_url?.url, `data:image/png;base64,${PNG}`);
});

test('chat completions: tool messages with text and images keep their text; one user turn carries both images', async () => {
  const client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const image = { type: 'image_url' as const, image_url: { url: `data:image/png;base64,${PNG}` } };
  const answer = await client.chat.completions.create({
    model: 'gpt',
    messages: [
      { role: 'user', content: 'Take two screenshots' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'shot', arguments: '{}' } },
          { id: 'c2', type: 'function', function: { name: 'shot', arguments: '{}' } },
        ],
      },
      // The SDK types tool content as text parts; clients and the other doors send images anyway.
      { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: 'first' }, image] as never },
      { role: 'tool', tool_call_id: 'c2', content: [image] as never },
    ],
  });
  assert.ok(answer.choices[0]?.message.content);
  const sent = d.fakes['gpt']!.requests.at(-1)!.body.messages as WireMessage[];
  assert.deepEqual(
    sent.map((m) => m.role),
    ['user', 'assistant', 'tool', 'tool', 'user'],
  );
  assert.deepEqual(sent[2]!.content, [{ type: 'text', text: 'first' }]);
  assert.equal(typeof sent[3]!.content, 'string');
  const parts = sent[4]!.content as { type: string }[];
  assert.equal(parts.filter((p) => p.type === 'image_url').length, 2);
});

test('Responses: a function_call_output holding input_image keeps the image (it was dropped) and reaches the model', async () => {
  const client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const response = await client.responses.create({
    model: 'gpt',
    store: false,
    input: [
      { role: 'user', content: 'Take a screenshot' },
      { type: 'function_call', call_id: 'call_1', name: 'screenshot', arguments: '{}' },
      {
        type: 'function_call_output',
        call_id: 'call_1',
        output: [
          { type: 'input_text', text: 'screen captured' },
          { type: 'input_image', image_url: `data:image/png;base64,${PNG}`, detail: 'auto' },
        ],
      },
    ],
  });
  assert.equal(response.status, 'completed');
  const sent = d.fakes['gpt']!.requests.at(-1)!.body.messages as WireMessage[];
  assert.deepEqual(
    sent.map((m) => m.role),
    ['user', 'assistant', 'tool', 'user'],
  );
  assert.deepEqual(sent[2]!.content, [{ type: 'text', text: 'screen captured' }]);
  const parts = sent[3]!.content as { type: string; image_url?: { url: string } }[];
  assert.equal(parts.find((p) => p.type === 'image_url')?.image_url?.url, `data:image/png;base64,${PNG}`);
});
