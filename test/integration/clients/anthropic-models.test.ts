// GET /v1/models as the Anthropic SDK reads it. It got OpenAI's list ({object: 'list', data: [{id,
// object: 'model', created, owned_by}]}): `models.list()` yielded entries without `type`,
// `display_name` or `created_at`, and an unknown id's 404 was not an Anthropic error.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
let anthropic: Anthropic;
before(async () => {
  d = await startTestDaemon({
    models: [{ name: 'model-a' }, { name: 'model-b' }, { name: 'mistralai/mixtral-8x7b' }],
    config: { default_model: 'model-a' },
    rpc: false,
  });
  anthropic = new Anthropic({ baseURL: d.url, apiKey: 'unused', maxRetries: 0 });
});
after(async () => d.close());

test('models.list() pages through every pool entry in Anthropic shape', async () => {
  const openaiIds = (await new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused' }).models.list()).data.map(
    (m) => m.id,
  );
  const seen: Anthropic.ModelInfo[] = [];
  // Two per page: the SDK follows has_more / last_id as it does against Anthropic.
  for await (const model of anthropic.models.list({ limit: 2 })) seen.push(model);
  assert.deepEqual(
    seen.map((m) => m.id),
    openaiIds,
  );
  for (const model of seen) {
    assert.equal(model.type, 'model');
    assert.equal(typeof model.display_name, 'string');
    assert.ok(!Number.isNaN(Date.parse(model.created_at)), model.created_at);
  }
  const firstPage = await anthropic.models.list({ limit: 2 });
  assert.equal(firstPage.has_more, true);
  assert.equal(firstPage.last_id, openaiIds[1]);
  const back = await anthropic.models.list({ before_id: openaiIds[3]!, limit: 2 });
  assert.deepEqual(
    back.data.map((m) => m.id),
    openaiIds.slice(1, 3),
  );
});

test('models.retrieve() answers a pool model; an unknown id is an Anthropic NotFoundError', async () => {
  const model = await anthropic.models.retrieve('mistralai/mixtral-8x7b');
  assert.equal(model.id, 'mistralai/mixtral-8x7b');
  assert.equal(model.type, 'model');
  await assert.rejects(anthropic.models.retrieve('claude-9'), (err: unknown) => {
    assert.ok(err instanceof Anthropic.NotFoundError);
    assert.equal((err.error as { error?: { type?: string } }).error?.type, 'not_found_error');
    return true;
  });
  const badLimit = await fetch(`${d.url}/v1/models?limit=0`, { headers: { 'anthropic-version': '2023-06-01' } });
  assert.equal(badLimit.status, 400);
  assert.equal(((await badLimit.json()) as { type?: string }).type, 'error');
});
