// A pool written without `context_window`, `tools` or `vision` (0.3.0's config.yaml has none of them)
// behind Claude Code: every request (Claude Code always sends tools) was refused with "No configured
// model can serve this request (…does not support tools…)", and a conversation over ~32k tokens with
// "…unknown context window…", although gpt-4o-mini does both. Well-known hosted models now get what
// they documentedly do; unknown ones stay unknown, and what the config says still wins.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon({
    rpc: false,
    models: [
      { name: 'llama3.2-local', kind: 'ollama', config: { model: 'llama3.2:1b', capabilities: ['chat'] } },
      {
        name: 'gpt-4o-mini',
        config: {
          model: 'gpt-4o-mini',
          capabilities: ['chat', 'code'],
          cost_per_input_token: 0.00000015,
          cost_per_output_token: 0.0000006,
        },
      },
      {
        name: 'custom-gpt',
        config: { model: 'gpt-4o', context_window: 8_000, capabilities: ['chat'], supports_tools: false },
      },
    ],
    config: { default_model: 'llama3.2-local' },
  });
});
after(async () => d.close());

const claude = () => new Anthropic({ baseURL: d.url, apiKey: 'unused', maxRetries: 0 });
const longConversation = (words: number) => 'Summarise this log. ' + 'line of build output '.repeat(words / 4);

test('a ~40k-token Claude Code request is routed to the model whose window is well known', async () => {
  const message = await claude()
    .messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      messages: [{ role: 'user', content: longConversation(40_000) }],
    })
    .finalMessage();
  assert.equal(message.model, 'gpt-4o-mini');
  assert.equal(d.fakes['gpt-4o-mini']!.requests.length, 1);
});

test("Claude Code's tools and a screenshot go to the model known to call tools and read images", async () => {
  const message = await claude()
    .messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      tools: [{ name: 'Bash', description: 'run', input_schema: { type: 'object', properties: {} } }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'text', text: 'Why does the build fail?' },
          ],
        },
      ],
    })
    .finalMessage();
  assert.equal(message.model, 'gpt-4o-mini');
});

test('/v1/models shows what was filled in; what the config says and an unknown model are left as they are', async () => {
  const res = await fetch(`${d.url}/v1/models`);
  const { data } = (await res.json()) as { data: { id: string; context_window?: number; capabilities?: string[] }[] };
  const entry = (id: string) => data.find((m) => m.id === id);
  assert.equal(entry('gpt-4o-mini')?.context_window, 128_000);
  assert.ok(entry('gpt-4o-mini')?.capabilities?.includes('tools'));
  assert.equal(entry('custom-gpt')?.context_window, 8_000);
  assert.ok(!entry('custom-gpt')?.capabilities?.includes('tools'), 'supports_tools: false stays');
  assert.equal(entry('llama3.2-local')?.context_window, undefined);
  assert.deepEqual(entry('llama3.2-local')?.capabilities, ['chat']);
});

test('a request larger than every known window is still refused, naming the windows', async () => {
  await assert.rejects(
    claude().messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      messages: [{ role: 'user', content: longConversation(600_000) }],
    }),
    (err: unknown) => {
      assert.ok(err instanceof Anthropic.BadRequestError);
      assert.match(err.message, /gpt-4o-mini: context window 128000 < ~\d+ tokens needed/);
      return true;
    },
  );
});
