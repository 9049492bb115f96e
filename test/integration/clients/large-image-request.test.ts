// Claude Code keeps pasted screenshots in its history, each up to Anthropic's 5 MB per image, and the
// Anthropic API takes requests up to 32 MB. The daemon's default body limit was 4 MiB, so one large
// screenshot made every later turn of the session a 413 request_too_large.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon({
    rpc: false,
    models: [{ name: 'vision', config: { capabilities: ['chat', 'vision'], supports_vision: true } }],
  });
});
after(async () => d.close());

/** A base64 "PNG" of about `mb` megabytes (the upstream fake does not decode it). */
const screenshot = (mb: number): string => Buffer.alloc(Math.floor((mb * 1024 * 1024 * 3) / 4), 7).toString('base64');

test('a conversation holding two ~5 MB screenshots (≈ 10 MB request) is answered, not refused with 413', async () => {
  const image = (data: string): Anthropic.ImageBlockParam => ({
    type: 'image',
    source: { type: 'base64', media_type: 'image/png', data },
  });
  const client = new Anthropic({ baseURL: d.url, apiKey: 'unused', maxRetries: 0 });
  const message = await client.messages
    .stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 512,
      messages: [
        { role: 'user', content: [image(screenshot(4.9)), { type: 'text', text: 'What is wrong here?' }] },
        { role: 'assistant', content: 'The button overlaps the header.' },
        { role: 'user', content: [image(screenshot(4.9)), { type: 'text', text: 'And now?' }] },
      ],
    })
    .finalMessage();
  assert.equal(message.model, 'vision');
  const sent = JSON.stringify(d.fakes['vision']!.requests.at(-1)!.body);
  assert.ok(sent.length > 9 * 1024 * 1024, `the upstream got the images (${sent.length} bytes)`);
});
