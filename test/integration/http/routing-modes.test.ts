// The routing modes a user reads about (README: auto, auto:quality|balanced|cost, auto:orchestrate,
// auto:cascade) as the daemon names them: GET /v1/models lists each one the chat door accepts, and a
// dry run (POST /v1/routing/route, what `fugusashi route` asks) of a mode that decides by calling
// models says so. Before, auto:cascade was missing from /v1/models, and a dry run of
// auto:orchestrate answered 'Unknown routing mode "auto:orchestrate". Use one of: …, auto:orchestrate.'
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon({ models: [{ name: 'model-a' }, { name: 'model-b' }], rpc: false });
});
after(async () => d.close());

async function dryRun(model: string): Promise<{ status: number; body: { error?: { message: string; code: string } } }> {
  const res = await fetch(`${d.url}/v1/routing/route`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, body: (await res.json()) as { error?: { message: string; code: string } } };
}

test('/v1/models lists every routing mode the chat door accepts, auto:cascade included', async () => {
  const client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const ids = (await client.models.list()).data.map((m) => m.id);
  for (const mode of ['auto', 'auto:balanced', 'auto:quality', 'auto:cost', 'auto:orchestrate', 'auto:cascade'])
    assert.ok(ids.includes(mode), `${mode} listed (got ${ids.join(', ')})`);
  const cascade = await client.chat.completions.create({
    model: 'auto:cascade',
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.ok(['model-a', 'model-b'].includes(cascade.model), 'the listed mode answers');
});

test('a dry run of auto:cascade or auto:orchestrate says it has none, and why', async () => {
  for (const mode of ['auto:cascade', 'auto:orchestrate']) {
    const { status, body } = await dryRun(mode);
    assert.equal(status, 400, mode);
    assert.equal(body.error?.code, 'invalid_request');
    assert.match(body.error.message, new RegExp(`"${mode}" has no dry run: it decides by calling models`));
    assert.match(body.error.message, /Route with one of auto, auto:balanced, auto:quality, auto:cost or a pool model/);
  }
  assert.equal((await dryRun('auto:cost')).status, 200);
});

test('an unknown mode names every mode there is', async () => {
  const { status, body } = await dryRun('auto:fastest');
  assert.equal(status, 404);
  assert.equal(
    body.error?.message,
    'Unknown routing mode "auto:fastest". Use one of: auto, auto:balanced, auto:quality, auto:cost, auto:orchestrate, auto:cascade.',
  );
});
