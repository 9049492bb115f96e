import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  ConfigError,
  interpolateEnv,
  parseConfigText,
  redactConfig,
  resolveConfig,
  REDACTED,
} from '../../../daemon/config';
import { DEFAULTS } from '../../../shared/config';

const MODEL = `
  - name: "m"
    provider: "openai"
    model: "gpt-4o-mini"
    api_base: "https://api.openai.com/v1"
    cost_per_input_token: 0.0000001
    cost_per_output_token: 0.0000002
    capabilities: ["chat"]`;

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fugu-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the example config.yaml loads: keys from the env, defaults filled in, CLI flags win', async (t) => {
  const home = tempDir(t);
  const result = await resolveConfig({
    configPath: 'config.yaml',
    env: { OPENAI_API_KEY: 'sk-test-openai' },
    port: 7070,
    homeDir: home,
  });
  assert.equal(result.source, 'file');
  assert.equal(result.path, path.resolve('config.yaml'));
  const c = result.config;
  assert.equal(c.defaultModel, 'llama3.2-local');
  assert.equal(c.models.length, 3);
  assert.equal(c.models[1]!.api_key, 'sk-test-openai');
  // ANTHROPIC_API_KEY is unset: no key is sent, and the log names the variable and the field.
  assert.equal(c.models[2]!.api_key, undefined);
  assert.ok(
    result.log.some((l) => l.includes('models[2].api_key: ${ANTHROPIC_API_KEY} is not set')),
    result.log.join('\n'),
  );
  assert.equal(c.server.port, 7070);
  assert.equal(c.server.host, '127.0.0.1');
  assert.equal(c.server.dataDir, path.join(home, '.fugusashi'));
  assert.equal(c.server.bodyLimitBytes, DEFAULTS.bodyLimitBytes);
  assert.deepEqual(c.routing.strategies, ['learned', 'similarity', 'cost', 'fallback']);
  assert.equal(c.routing.preferLocal, true);
  assert.equal(c.routing.cooldownFailures, DEFAULTS.cooldownFailures);
  assert.equal(c.routing.feedback.retrainEvery, 200);
  assert.equal(c.routing.embeddings.backend, 'use');
  assert.ok(!result.log.join('\n').includes('sk-test-openai'));
});

test('schema errors name the field and the reason, all in one ConfigError', () => {
  const problems = problemsOf(() =>
    parseConfigText(
      `
default_model: "m"
models:
  - name: "m"
    provider: "openai"
    model: "gpt-4o-mini"
    cost_per_input_token: 0
    cost_per_output_token: 0
    capabilities: ["chat"]
  - name: "bad"
    provider: 42
    model: "x"
    cost_per_input_token: -1
    cost_per_output_token: 0
    capabilites: ["chat"]
routing:
  strategies: ["cost", "magic"]
  min_confidence: 2
  embeddings: { backend: "onnx", wait_ms: -5 }
server:
  port: 70000
`,
      {},
      'bad.yaml',
    ),
  );
  assert.deepEqual([...problems].sort(), [
    'models[1].capabilites: unknown field',
    'models[1].cost_per_input_token: must be >= 0',
    // Every accepted spelling, not only the four kinds (groq etc. are accepted too).
    'models[1].provider: must be "openai", "anthropic", "ollama", "vscode-lm", or a LiteLLM provider that speaks ' +
      "OpenAI's API (groq, openrouter, together_ai, deepseek, mistral, fireworks_ai, xai, perplexity, deepinfra, " +
      'cerebras, sambanova, nvidia_nim, huggingface, gemini, hosted_vllm, lm_studio, openai_like, custom_openai, ollama_chat)',
    'routing.embeddings.backend: must be one of "use", "transformers"',
    'routing.embeddings.wait_ms: must be >= 0',
    'routing.min_confidence: must be <= 1',
    'routing.strategies[1]: must be one of "learned", "similarity", "cost", "fallback"',
    'server.port: must be <= 65535',
  ]);
});

test('semantic errors: duplicate names, a default_model that is not a model, bad api_base, orchestrator refs', () => {
  const problems = problemsOf(() =>
    parseConfigText(
      `
default_model: "nope"
models:${MODEL}
${MODEL}
  - name: "local"
    provider: "ollama"
    model: "llama3.2:1b"
    api_base: "localhost:11434"
    cost_per_input_token: 0
    cost_per_output_token: 0
    capabilities: ["chat"]
orchestrator:
  planner: "ghost"
`,
      {},
      'bad.yaml',
    ),
  );
  assert.deepEqual(problems, [
    'models[1].name: duplicate model name "m" (also models[0])',
    'models[2].api_base: must be an http(s) URL, got "localhost:11434"',
    'default_model: "nope" is not the name of a model in models (m, m, local)',
    'orchestrator.planner: "ghost" is not the name of a model in models (m, m, local)',
  ]);
  const err = (() => {
    try {
      parseConfigText('models:\n  - name: [', {}, '/x/config.yaml');
    } catch (e) {
      return e as ConfigError;
    }
    return null;
  })();
  assert.ok(err instanceof ConfigError);
  assert.match(err.problems[0]!, /^line \d+, column \d+: /);
  assert.match(err.message, /^Invalid config \/x\/config\.yaml:\n {2}- line/);
  assert.deepEqual(
    problemsOf(() => parseConfigText('', {}, 'e.yaml')),
    ['(root): the file is empty; it needs at least `models:`'],
  );
  assert.deepEqual(
    problemsOf(() => parseConfigText('default_model: x', {}, 'e.yaml')),
    ['models: is required'],
  );
  // A model id where the list goes: not "models[0]: must be object", a list the file does not have.
  assert.deepEqual(
    problemsOf(() => parseConfigText('models: gpt-4o-mini', {}, 'e.yaml')),
    ['models: must be a list of models, each with name, provider and model (got "gpt-4o-mini")'],
  );
});

test('warnings for likely mistakes that still load', () => {
  const { warnings, config } = parseConfigText(
    `
models:
  - name: "vllm"
    provider: "openai"
    model: "qwen"
    api_base: "http://127.0.0.1:8000"
    cost_per_input_token: 0
    cost_per_output_token: 0
    capabilities: ["chat", "coding"]
routing:
  strategies: ["cost", "cost", "fallback"]
`,
    {},
    'w.yaml',
  );
  assert.equal(config.models.length, 1);
  assert.deepEqual(warnings, [
    'models[0].api_base: OpenAI-compatible bases usually end in /v1 (the adapter appends /chat/completions)',
    'models[0].capabilities[1]: unknown capability "coding" (known: chat, code, reasoning, math, tools, vision, long_context, writing)',
    'routing.strategies[1]: "cost" is listed twice; only the first counts',
  ]);
});

test("a pool model named auto:… is flagged; a LiteLLM provider's built-in base is not", () => {
  // A model named "auto:mine" loaded silently, and a request for it got 404 "Unknown routing mode".
  // `provider: gemini` without api_base warned that the daemon's own Gemini base does not end in /v1.
  const { warnings, config } = parseConfigText(
    `
models:
  - name: "auto:mine"
    provider: "openai"
    model: "gpt-4o-mini"
    api_base: "https://api.openai.com/v1"
    capabilities: ["chat"]
  - name: "gem"
    provider: "gemini"
    model: "gemini-2.0-flash"
    capabilities: ["chat"]
  - name: "pplx"
    provider: "perplexity"
    model: "sonar"
    capabilities: ["chat"]
`,
    {},
    'auto.yaml',
  );
  assert.equal(config.models.length, 3);
  const problems = warnings.filter((w) => !w.startsWith('Fugusashi 0.3.0 config keys'));
  assert.deepEqual(problems, [
    'models[0].name: "auto:mine" cannot be requested by name: "auto" and names starting with "auto:" are routing ' +
      'modes (a request for it is routed, or refused as an unknown mode). Rename the model',
  ]);
});

test('env interpolation: ${VAR}, ${VAR:-default}, $${ escapes, and numbers from variables', () => {
  const env = { KEY: 'sk-1', EMPTY: '', PORT: '9999' };
  const { value, warnings } = interpolateEnv(
    { a: '${KEY}', b: 'Bearer ${KEY}!', c: '${MISSING:-fallback}', d: '${EMPTY:-used}', e: '$${KEY}', f: ['${GONE}'] },
    env,
  );
  assert.deepEqual(value, { a: 'sk-1', b: 'Bearer sk-1!', c: 'fallback', d: 'used', e: '${KEY}', f: [''] });
  assert.deepEqual(warnings, ['f[0]: ${GONE} is not set (using an empty value)']);

  const { config } = parseConfigText(
    `models:${MODEL}\nserver:\n  port: "\${PORT}"\n  token: "\${FUGU_TOKEN:-}"\n  host: "\${HOST:-0.0.0.0}"\n`,
    env,
    'env.yaml',
  );
  assert.equal(config.server?.port, 9999);
  assert.equal(config.server?.host, '0.0.0.0');
  assert.equal(config.server?.token, '');
});

test('resolution: <dataDir>/config.yaml when no --config; relative data_dir; a missing --config file is an error', async (t) => {
  const home = tempDir(t);
  const dataDir = path.join(home, 'data');
  mkdirSync(dataDir);
  writeFileSync(
    path.join(dataDir, 'config.yaml'),
    `models:${MODEL}\nserver:\n  host: "0.0.0.0"\n  port: 6161\n  data_dir: "./state"\n  token: "\${T}"\n`,
  );
  const r = await resolveConfig({ dataDir, env: { T: 'secret-token' }, homeDir: home });
  assert.equal(r.source, 'file');
  assert.equal(r.path, path.join(dataDir, 'config.yaml'));
  assert.equal(r.config.server.host, '0.0.0.0');
  assert.equal(r.config.server.port, 6161);
  // --data-dir found the file; a data_dir inside it is relative to the file's folder.
  const again = await resolveConfig({ configPath: path.join(dataDir, 'config.yaml'), env: {}, homeDir: home });
  assert.equal(again.config.server.dataDir, path.join(dataDir, 'state'));
  assert.equal(again.config.server.token, undefined, 'an unset ${T} means no token, not an empty one');
  assert.equal(r.config.server.dataDir, dataDir, '--data-dir wins over the file');
  assert.equal(r.config.server.token, 'secret-token');

  const tilde = await resolveConfig({
    configPath: path.join(dataDir, 'config.yaml'),
    dataDir: '~/elsewhere',
    env: {},
    homeDir: home,
  });
  assert.equal(tilde.config.server.dataDir, path.join(home, 'elsewhere'));

  await assert.rejects(
    resolveConfig({ configPath: path.join(home, 'nope.yaml'), env: {}, homeDir: home }),
    (e: unknown) => e instanceof ConfigError && /--config: file not found/.test(e.problems[0]!),
  );
});

test('redactConfig hides keys, tokens, secret headers and URL credentials', async (t) => {
  const home = tempDir(t);
  const file = path.join(home, 'c.yaml');
  writeFileSync(
    file,
    `models:
  - name: "router"
    provider: "openai"
    model: "x"
    api_base: "https://user:hunter2@openrouter.example/api/v1"
    api_key: "\${OPENROUTER_KEY}"
    headers: { "X-Title": "fugusashi", "Authorization": "Bearer sk-header-secret" }
    cost_per_input_token: 0
    cost_per_output_token: 0
    capabilities: ["chat"]
server:
  token: "tok-secret"
`,
  );
  const r = await resolveConfig({ configPath: file, env: { OPENROUTER_KEY: 'sk-or-secret' }, homeDir: home });
  assert.equal(r.config.models[0]!.api_key, 'sk-or-secret');
  const shown = JSON.stringify(redactConfig(r.config));
  for (const secret of ['sk-or-secret', 'sk-header-secret', 'hunter2', 'tok-secret'])
    assert.ok(!shown.includes(secret), secret);
  const red = redactConfig(r.config);
  assert.equal(red.models[0]!.api_key, REDACTED);
  assert.equal(red.models[0]!.headers?.['X-Title'], 'fugusashi');
  assert.equal(red.server.token, REDACTED);
  // The original is untouched (the daemon still needs the keys).
  assert.equal(r.config.models[0]!.api_key, 'sk-or-secret');
  assert.ok(!readFileSync(file, 'utf8').includes('sk-or-secret'), 'keys are never written back');
});

test('renaming a config over the old one still parses (sanity for the watcher test)', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file + '.tmp', `models:${MODEL}\n`);
  renameSync(file + '.tmp', file);
  assert.equal(parseConfigText(readFileSync(file, 'utf8'), {}, file).config.models.length, 1);
});
