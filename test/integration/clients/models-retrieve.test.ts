// OpenAI's GET /v1/models/{model}, as `client.models.retrieve()` of the official SDK calls it (tools
// check a configured model this way before using it). It was a 404 "No route" for every id.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
let client: OpenAI;
before(async () => {
  d = await startTestDaemon({
    models: [{ name: 'model-a' }, { name: 'mistralai/mixtral-8x7b' }],
    config: { default_model: 'model-a' },
    rpc: false,
  });
  client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => d.close());

test('retrieve answers each id that /v1/models lists, with the same entry', async () => {
  const listed = (await client.models.list()).data;
  for (const id of ['auto', 'auto:balanced', 'model-a', 'mistralai/mixtral-8x7b']) {
    const model = await client.models.retrieve(id);
    assert.equal(model.id, id);
    assert.equal(model.object, 'model');
    assert.deepEqual(
      model,
      listed.find((m) => m.id === id),
    );
  }
});

test('an unknown id is an OpenAI-format 404 the SDK raises as NotFoundError', async () => {
  await assert.rejects(client.models.retrieve('gpt-9'), (err: unknown) => {
    assert.ok(err instanceof OpenAI.NotFoundError);
    assert.equal((err.error as { code?: string }).code, 'model_not_found');
    return true;
  });
});
