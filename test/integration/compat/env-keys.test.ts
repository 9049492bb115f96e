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
