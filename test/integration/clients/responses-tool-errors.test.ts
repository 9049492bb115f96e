// Codex-style Responses requests with tools the pool cannot call get a 400 that says why. A client-side
// `custom` (freeform) or `local_shell` tool was refused as "runs on OpenAI's servers", which is false
// (the client runs them) and sent users looking in the wrong place; a nameless function tool got the
// same message.
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

const shell = { type: 'function' as const, name: 'shell', parameters: { type: 'object' }, strict: false };

async function refusal(tool: unknown): Promise<{ message: string; param: string | null }> {
  try {
    await client.responses.create({ model: 'auto', input: 'hi', tools: [shell, tool as OpenAI.Responses.Tool] });
  } catch (err) {
    assert.ok(err instanceof OpenAI.BadRequestError, String(err));
    return { message: err.message, param: err.param ?? null };
  }
  throw new Error('the request was accepted');
}

test("custom and local_shell tools: refused as OpenAI-only tool types, not as OpenAI's server tools", async () => {
  for (const tool of [
    { type: 'custom', name: 'apply_patch', description: 'patch', format: { type: 'text' } },
    { type: 'local_shell' },
  ]) {
    const { message, param } = await refusal(tool);
    assert.match(message, /is understood by OpenAI's own models only; only function tools/);
    assert.doesNotMatch(message, /runs on OpenAI's servers/);
    assert.equal(param, 'tools[1]');
  }
  assert.equal(d.fakes['model-a']!.requests.length + d.fakes['model-b']!.requests.length, 0);
});

test("hosted tools (web_search) are refused as running on OpenAI's servers; a function without a name is named", async () => {
  assert.match((await refusal({ type: 'web_search' })).message, /runs on OpenAI's servers/);
  const nameless = await refusal({ type: 'function', parameters: { type: 'object' } });
  assert.match(nameless.message, /tools\[1\]\.name is required/);
  assert.equal(nameless.param, 'tools[1].name');
});
