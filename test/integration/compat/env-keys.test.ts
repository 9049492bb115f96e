// 0.3.0's documented config.yaml lists gpt-4o-mini with no api_key: LiteLLM took OPENAI_API_KEY from
// the environment. Here such a model was called without a key, so every request failed with the
// upstream's 401. Now an official-API model without a key takes OPENAI_API_KEY / ANTHROPIC_API_KEY,
// a gateway at another api_base never gets it, and without the variable the model is left out of
// `auto` with the variable named, as for an unset ${VAR}.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { resolveConfig } from '../../../daemon/config';
import OpenAI from 'openai';
import { startFakeOpenAI } from '../../fakes';
import { makeTempDir, startTestDaemon } from '../../helpers/daemon';

const dir = makeTempDir('fugu-envkeys-');
after(() => rmSync(dir, { recursive: true, force: true }));

const pool = [
  { name: 'gpt-4o-mini', provider: 'openai', model: 'gpt-4o-mini', capabilities: ['chat'] },
  { name: 'sonnet', provider: 'anthropic', model: 'claude-sonnet-4-5', capabilities: ['chat'] },
  { name: 'gateway', provider: 'openai', model: 'gpt-4o', api_base: 'http://127.0.0.1:9/v1', capabilities: ['chat'] },
  { name: 'own-key', provider: 'openai', model: 'gpt-4o', api_key: 'sk-from-config', capabilities: ['chat'] },
];

test('models of the official APIs without api_key take the key from the environment; a gateway does not', async () => {
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, stringify({ models: pool }));
  const env = { OPENAI_API_KEY: 'sk-env-openai', ANTHROPIC_API_KEY: 'sk-ant-env' };
  const resolved = await resolveConfig({ configPath: file, env, homeDir: dir });
  const key = (name: string) => resolved.config.models.find((m) => m.name === name)?.api_key;
  assert.equal(key('gpt-4o-mini'), 'sk-env-openai');
  assert.equal(key('sonnet'), 'sk-ant-env');
  assert.equal(key('gateway'), undefined);
  assert.equal(key('own-key'), 'sk-from-config');
  const log = resolved.log.join('\n');
  assert.match(log, /gpt-4o-mini: no api_key in the config, using OPENAI_API_KEY from the environment/);
  assert.doesNotMatch(log, /sk-env-openai|sk-ant-env/, 'the keys themselves are never logged');
});

test('without the variable the daemon leaves the model out of auto and /v1/models names the variable', async () => {
  const d = await startTestDaemon({
    rpc: false,
    env: {},
    models: [
      { name: 'local', config: { capabilities: ['chat'] } },
      { name: 'gpt-4o-mini', config: { model: 'gpt-4o-mini', api_base: 'https://api.openai.com/v1' } },
    ],
  });
  try {
    const { data } = (await (await fetch(`${d.url}/v1/models`)).json()) as {
      data: { id: string; unavailable?: string }[];
    };
    assert.match(data.find((m) => m.id === 'gpt-4o-mini')?.unavailable ?? '', /OPENAI_API_KEY is not set/);
    assert.equal(data.find((m) => m.id === 'local')?.unavailable, undefined);
    const res = await fetch(`${d.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(((await res.json()) as { model: string }).model, 'local');
  } finally {
    await d.close();
  }
});

// LiteLLM (so 0.3.0) and OpenAI's SDKs call OPENAI_API_BASE / OPENAI_BASE_URL when set; the daemon
// ignored both and sent such a model's requests, with the user's key, to api.openai.com.
test('an openai model without api_base is called at OPENAI_API_BASE (or OPENAI_BASE_URL) with OPENAI_API_KEY', async () => {
  for (const variable of ['OPENAI_API_BASE', 'OPENAI_BASE_URL']) {
    const fake = await startFakeOpenAI({ models: ['gpt-4o-mini'], apiKey: 'sk-env-openai' });
    const d = await startTestDaemon({
      rpc: false,
      models: [{ name: 'mini', config: { provider: 'openai', model: 'gpt-4o-mini', api_base: undefined } }],
      env: { OPENAI_API_KEY: 'sk-env-openai', [variable]: fake.url },
    });
    try {
      const client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused' });
      const answer = await client.chat.completions.create({
        model: 'mini',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      assert.equal(answer.model, 'mini');
      assert.equal(fake.requests.length, 1, `${variable}: the request went to the base it names`);
      assert.ok(
        d.logLines.some((l) => l.includes(`mini: no api_base in the config, using ${variable} (${fake.url})`)),
        d.logLines.join('\n'),
      );
    } finally {
      await d.close();
      await fake.close();
    }
  }
});
