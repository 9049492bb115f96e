// A pool model whose `${ENV}` key is unset cannot be called: `auto` must not try it (it would fail
// with 401 and never say why), and every place a user looks names the missing variable: /v1/models,
// /health, the decision's alternatives, and the error when the model is asked for by name.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DaemonHealth } from '../../../shared/api';
import type { ChatCompletion, ModelListEntry } from '../../../shared/openai';
import { startTestDaemon, type TestDaemon, type TestModel } from '../../helpers/daemon';

const models = (): TestModel[] => [
  {
    // The cheaper model: before the fix, `auto` picked it first and got a 401 from its upstream.
    name: 'keyed-cheap',
    config: { api_key: '${FUGU_TEST_CHEAP_KEY}', cost_per_input_token: 1e-7, cost_per_output_token: 1e-7 },
    fake: { apiKey: 'sk-cheap' },
  },
  { name: 'open-dear', config: { cost_per_input_token: 1e-5, cost_per_output_token: 1e-5 } },
];

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon({ models: models(), env: {}, rpc: false });
});
after(async () => d.close());

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${d.url}${path}`);
  assert.equal(res.status, 200);
  return (await res.json()) as T;
}

function chat(model: string): Promise<Response> {
  return fetch(`${d.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello' }] }),
  });
}

test('auto leaves the model without its key out, and the decision says which variable is missing', async () => {
  const res = await chat('auto');
  assert.equal(res.status, 200);
  const answer = (await res.json()) as ChatCompletion;
  assert.equal(answer.model, 'open-dear');
  assert.equal(d.fakes['keyed-cheap']!.requests.length, 0, 'the keyless model was never called');
  const left = answer.routing_decision?.alternatives.find((a) => a.model === 'keyed-cheap');
  assert.ok(left, JSON.stringify(answer.routing_decision?.alternatives));
  assert.match(left.excluded ?? '', /FUGU_TEST_CHEAP_KEY/);
});

test('/v1/models and /health name the missing variable', async () => {
  const list = await get<{ data: ModelListEntry[] }>('/v1/models');
  const entry = list.data.find((m) => m.id === 'keyed-cheap');
  assert.ok(entry);
  assert.match(entry.unavailable ?? '', /FUGU_TEST_CHEAP_KEY is not set/);
  assert.equal(list.data.find((m) => m.id === 'open-dear')?.unavailable, undefined);
  const health = await get<DaemonHealth>('/health');
  assert.equal(health.models, 1, 'usable models');
  assert.equal(health.status, 'ok');
  assert.deepEqual(
    health.unavailable_models?.map((u) => u.model),
    ['keyed-cheap'],
  );
  assert.match(health.unavailable_models?.[0]?.reason ?? '', /FUGU_TEST_CHEAP_KEY/);
});

test('asking for the model by name gets a clear error naming the variable, not an upstream 401', async () => {
  const res = await chat('keyed-cheap');
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: { message: string; param: string | null } };
  assert.match(body.error.message, /keyed-cheap.*FUGU_TEST_CHEAP_KEY is not set/);
  assert.equal(body.error.param, 'model');
  assert.equal(d.fakes['keyed-cheap']!.requests.length, 0);
});

test('with the variable set, the same model is a candidate and its key reaches the upstream', async () => {
  const keyed = await startTestDaemon({ models: models(), env: { FUGU_TEST_CHEAP_KEY: 'sk-cheap' }, rpc: false });
  try {
    const res = await fetch(`${keyed.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Say hello' }] }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as ChatCompletion).model, 'keyed-cheap');
    const health = (await (await fetch(`${keyed.url}/health`)).json()) as DaemonHealth;
    assert.equal(health.models, 2);
    assert.equal(health.unavailable_models, undefined);
  } finally {
    await keyed.close();
  }
});
