// Failed attempts teach the router that a model failed (implicit:error), but only failures that are
// the model's: an upstream 400 (the request was bad), 401/403 (the key), 429 (the rate) say nothing
// about its answers. They were recorded too, so anyone could push the router off a model for
// chosen prompts by sending it malformed requests.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon({
    rpc: false,
    config: { default_model: 'model-a', routing: { prefer_local: false, cooldown_failures: 1000 } },
  });
});
after(async () => d.close());

async function ask(prompt: string, model: string): Promise<number> {
  const res = await fetch(`${d.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: prompt }] }),
  });
  await res.text();
  return res.status;
}

async function errorOutcomes(): Promise<{ prompt: string; model: string }[]> {
  const text = await (await fetch(`${d.url}/v1/outcomes/export`)).text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { prompt: string; model: string; source: string })
    .filter((o) => o.source === 'implicit:error');
}

test("an upstream's 400, 401 and 429 record no outcome against the model; a 500 does", async () => {
  const fake = d.fakes['model-a']!;
  for (const [status, prompt] of [
    [400, 'bad request probe'],
    [401, 'bad key probe'],
    [429, 'rate limit probe'],
  ] as const) {
    fake.set({ error: { status, message: `upstream says ${status}` } });
    await ask(prompt, 'model-a');
  }
  fake.set({ error: { status: 500, message: 'upstream broke' } });
  assert.equal(await ask('server error probe', 'auto'), 200, 'model-b answers');
  const recorded = await errorOutcomes();
  assert.deepEqual(
    recorded.map((o) => [o.prompt, o.model]),
    [['server error probe', 'model-a']],
  );
});
