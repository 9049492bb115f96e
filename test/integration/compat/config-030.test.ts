// A user of Fugusashi 0.3.0 (Python) starts `fugusashi serve --config config.yaml` with the config.yaml
// 0.3.0 shipped: top-level host/port, tier1/tier2/observability sections, per-model max_tokens and
// "creative". The daemon must start from it (it refused every one of those keys before), say what it
// translated and ignored, keep to loopback without a token, and route to the file's models.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ChatCompletion } from '../../../shared/openai';
import { startFakeOllama, startFakeOpenAI, type FakeUpstream } from '../../fakes';
import { makeTempDir, spawnDaemon, type SpawnedDaemon } from '../../helpers/daemon';

let ollama: FakeUpstream;
let openai: FakeUpstream;
let dir: string;
let daemon: SpawnedDaemon;

// 0.3.0's config.yaml as shipped, except that api_base points at the loopback fakes and the port is 0.
const config030 = (ollamaBase: string, openaiBase: string): string => `host: "0.0.0.0"
port: 0

default_model: "llama3.2-local"

models:
  - name: "llama3.2-local"
    provider: "ollama"
    model: "llama3.2:1b"
    api_base: "${ollamaBase}"
    cost_per_input_token: 0.0
    cost_per_output_token: 0.0
    capabilities: ["chat", "reasoning"]
    max_tokens: 8192
    description: "Llama 3.2 1B (local, free)"

  - name: "gpt-4o-mini"
    provider: "openai"
    model: "gpt-4o-mini"
    api_base: "${openaiBase}"
    cost_per_input_token: 0.00000015
    cost_per_output_token: 0.0000006
    capabilities: ["chat", "reasoning", "code", "creative"]
    max_tokens: 16384
    description: "OpenAI GPT-4o-mini (cheap, capable)"

tier1:
  enabled: true
  overhead_ms_max: 20
  router:
    name: "ensemble"
    confidence_threshold: 0.4
    fallback_model: "llama3.2-local"
    embedding_model: "all-MiniLM-L6-v2"
    similarity_top_k: 5
    prefer_local: true

tier2:
  enabled: false

observability:
  log_routing_decisions: true
  log_model_calls: true
  expose_transparency_endpoint: true
  log_level: "INFO"
`;

before(async () => {
  ollama = await startFakeOllama({ models: ['llama3.2:1b'] });
  openai = await startFakeOpenAI({ models: ['gpt-4o-mini'] });
  dir = makeTempDir('fugu-030-');
  const configPath = path.join(dir, 'config.yaml');
  writeFileSync(configPath, config030(ollama.url, openai.url));
  daemon = await spawnDaemon(['--config', configPath, '--data-dir', path.join(dir, 'data')]);
});
after(async () => {
  await daemon?.stop();
  await Promise.all([ollama?.close(), openai?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function chat(model: string): Promise<ChatCompletion> {
  const res = await fetch(`${daemon.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello' }] }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as ChatCompletion;
}

test("0.3.0's shipped config.yaml starts the daemon; the log says what was read and what was ignored", () => {
  const log = daemon.stderr();
  assert.match(log, /0\.3\.0 config keys read as today's: .*port → server\.port/);
  assert.match(log, /tier1\.router\.prefer_local → routing\.prefer_local/);
  // 0.3.0's prefer_local decided "Say hello" for the local model; here the prior decides first.
  assert.match(
    log,
    /prefer_local applies to the cost strategy after it\. For 0\.3\.0's order set routing\.strategies: \[similarity, cost, fallback\]/,
  );
  assert.match(log, /models\[1\]\.max_tokens → models\[1\]\.max_output_tokens/);
  assert.match(log, /0\.3\.0 config keys ignored \(no equivalent here\): .*host: 0\.0\.0\.0/);
  assert.match(log, /observability/);
});

test('without a token it listens on loopback only, not on 0.0.0.0 as 0.3.0 did', () => {
  assert.match(daemon.url, /^http:\/\/127\.0\.0\.1:\d+$/);
});

test("the file's models answer: forced by name, and auto with the file's default", async () => {
  const local = await chat('llama3.2-local');
  assert.equal(local.model, 'llama3.2-local');
  assert.match(local.choices[0]?.message.content ?? '', /fake answer from llama3\.2:1b/);
  const mini = await chat('gpt-4o-mini');
  assert.equal(mini.model, 'gpt-4o-mini');
  assert.equal(openai.requests.length, 1);
  const routed = await chat('auto');
  assert.ok(['llama3.2-local', 'gpt-4o-mini'].includes(routed.routing_decision?.model ?? ''));
});

test('"creative" reads as the "writing" capability; max_tokens as the model\'s output limit', async () => {
  const res = await fetch(`${daemon.url}/v1/models`);
  const { data } = (await res.json()) as { data: { id: string; capabilities?: string[] }[] };
  const mini = data.find((m) => m.id === 'gpt-4o-mini');
  assert.ok(mini?.capabilities?.includes('writing'), JSON.stringify(mini));
  assert.ok(!mini?.capabilities?.includes('creative'));
  // And what gpt-4o-mini is known to do, which 0.3.0's file does not say (daemon/config/known-models.ts).
  assert.ok(mini?.capabilities?.includes('tools'));
  // A request asking for more than the model's 0.3.0 max_tokens is capped to it upstream.
  const before = openai.requests.length;
  const r = await fetch(`${daemon.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 100_000, messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.equal(r.status, 200);
  assert.equal(openai.requests[before]?.body.max_tokens, 16384);
});
