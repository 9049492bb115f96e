// Fugusashi 0.3.0 called models through LiteLLM, so its config.yaml could name any LiteLLM provider
// (`provider: groq`, `provider: openrouter`, `provider: hosted_vllm`…) or spell the provider in the
// model id (`model: groq/llama-3.1-8b-instant`), with the key in the provider's usual variable.
// Such a file was refused ("provider: must be one of openai, anthropic, ollama, vscode-lm") and the
// daemon did not start. Now the OpenAI-compatible ones are OpenAI-compatible upstreams at the same
// endpoint with the same key variable, and Ollama's chat spelling is Ollama.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import { resolveConfig } from '../../../daemon/config';
import { makeTempDir, startTestDaemon } from '../../helpers/daemon';

const dir = makeTempDir('fugu-litellm-');
after(() => rmSync(dir, { recursive: true, force: true }));

test("a 0.3.0 pool of LiteLLM providers resolves to their endpoints with their keys' variables", async () => {
  const file = path.join(dir, 'config.yaml');
  writeFileSync(
    file,
    stringify({
      default_model: 'fast',
      models: [
        { name: 'fast', provider: 'groq', model: 'llama-3.1-8b-instant', capabilities: ['chat'] },
        { name: 'or', provider: 'openrouter', model: 'openrouter/meta-llama/llama-3.1-8b-instruct' },
        { name: 'prefixed', provider: 'openai', model: 'groq/llama-3.3-70b-versatile' },
        { name: 'together', provider: 'together_ai', model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo' },
        { name: 'mistral', provider: 'mistral', model: 'mistral-small-latest' },
      ],
    }),
  );
  const env = { GROQ_API_KEY: 'gsk-env', OPENROUTER_API_KEY: 'sk-or-env', TOGETHERAI_API_KEY: 'tg-env' };
  const resolved = await resolveConfig({ configPath: file, env, homeDir: dir });
  const model = (name: string) => resolved.config.models.find((m) => m.name === name)!;

  assert.equal(model('fast').provider, 'openai');
  assert.equal(model('fast').api_base, 'https://api.groq.com/openai/v1');
  assert.equal(model('fast').api_key, 'gsk-env');
  assert.equal(model('fast').model, 'llama-3.1-8b-instant');

  assert.equal(model('or').api_base, 'https://openrouter.ai/api/v1');
  assert.equal(model('or').model, 'meta-llama/llama-3.1-8b-instruct', "LiteLLM's provider prefix is not the model id");
  assert.equal(model('or').api_key, 'sk-or-env');

  assert.equal(model('prefixed').api_base, 'https://api.groq.com/openai/v1');
  assert.equal(model('prefixed').model, 'llama-3.3-70b-versatile');
  assert.equal(model('prefixed').api_key, 'gsk-env');

  // LiteLLM's third spelling of Together's variable is enough.
  assert.equal(model('together').api_key, 'tg-env');
  assert.equal(model('together').model, 'meta-llama/Llama-3.3-70B-Instruct-Turbo');

  // No MISTRAL_API_KEY: left out of auto, naming the variable, like an unset ${VAR}.
  assert.equal(model('mistral').api_key, undefined);
  assert.match(model('mistral').unavailable ?? '', /MISTRAL_API_KEY/);

  const log = resolved.log.join('\n');
  assert.match(log, /models\[0\] \(LiteLLM's groq\): provider "groq" → "openai", api_base https:\/\/api\.groq\.com/);
  assert.match(log, /fast: no api_key in the config, using GROQ_API_KEY from the environment/);
  assert.doesNotMatch(log, /gsk-env|sk-or-env|tg-env/, 'the keys themselves are never logged');
});

test('self-hosted LiteLLM providers (hosted_vllm, ollama_chat) answer through the daemon', async () => {
  const d = await startTestDaemon({
    rpc: false,
    models: [
      { name: 'vllm', config: { provider: 'hosted_vllm' as never } },
      { name: 'llama', kind: 'ollama', config: { provider: 'ollama_chat' as never } },
    ],
  });
  try {
    const client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused' });
    for (const name of ['vllm', 'llama']) {
      const answer = await client.chat.completions.create({
        model: name,
        messages: [{ role: 'user', content: 'Say hello' }],
      });
      assert.equal(answer.model, name);
      assert.match(answer.choices[0]?.message.content ?? '', /Say hello/);
      assert.equal(d.fakes[name]!.requests.length, 1, `${name}'s upstream was called`);
    }
  } finally {
    await d.close();
  }
});

// 0.3.0 accepted any LiteLLM provider. One that cannot be called here (azure needs its resource's
// endpoint and api-version) used to refuse the whole file with a message naming only four providers,
// so nothing served. Now that model is left out with a warning saying how to keep it; Hugging Face's
// router is OpenAI-compatible and maps like groq.
test('a model of a provider that cannot be called is left out with a warning; the daemon serves the rest', async () => {
  const d = await startTestDaemon({
    rpc: false,
    models: [
      { name: 'fast', config: { provider: 'groq' as never } },
      { name: 'or', config: { provider: 'openrouter' as never } },
      { name: 'azure-gpt', config: { provider: 'azure' as never } },
      { name: 'hf', config: { provider: 'huggingface' as never } },
      { name: 'after', config: { api_base: 'http://127.0.0.1:9/not-v1' } },
    ],
  });
  try {
    const log = d.logLines.join('\n');
    assert.match(
      log,
      /models\[2\] "azure-gpt": left out of the pool: provider "azure" cannot be called here \(accepted: "openai".*huggingface.*\)\. To keep it, give its OpenAI-compatible endpoint: provider: openai, api_base/,
    );
    // Messages about later models keep the file's numbering.
    assert.match(log, /models\[4\]\.api_base: OpenAI-compatible bases usually end in \/v1/);
    const listed = (await (await fetch(`${d.url}/v1/models`)).json()) as { data: { id: string }[] };
    const ids = listed.data.map((m) => m.id);
    assert.ok(!ids.includes('azure-gpt'), 'the azure model is not in the pool');
    for (const name of ['fast', 'or', 'hf']) assert.ok(ids.includes(name), `${name} is in the pool`);
    const client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused' });
    const answer = await client.chat.completions.create({ model: 'hf', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(answer.model, 'hf');
    assert.equal(d.fakes['hf']!.requests.length, 1);
  } finally {
    await d.close();
  }
});

test("huggingface without api_base is Hugging Face's OpenAI-compatible router with HF_TOKEN", async () => {
  const file = path.join(dir, 'hf.yaml');
  writeFileSync(
    file,
    stringify({ models: [{ name: 'hf', provider: 'huggingface', model: 'meta-llama/Llama-3.1-8B-Instruct' }] }),
  );
  const resolved = await resolveConfig({ configPath: file, env: { HF_TOKEN: 'hf-env' }, homeDir: dir });
  const hf = resolved.config.models[0]!;
  assert.equal(hf.provider, 'openai');
  assert.equal(hf.api_base, 'https://router.huggingface.co/v1');
  assert.equal(hf.api_key, 'hf-env');
});
