import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { discoverModels, normaliseOllamaBase, resolveConfig } from '../../../daemon/config';
import { startFakeOllama } from '../../fakes';

/** A fake that answers must not lose to the default probe timeout (2 s) on a loaded 2-core machine. */
const ANSWERING_PROBE_TIMEOUT_MS = 10_000;

/** A loopback port with nothing listening: bind, note the port, close. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('discovery adds each installed Ollama model (free, local, capabilities from the name) and keyed clouds', async (t) => {
  const ollama = await startFakeOllama({
    models: ['llama3.2:1b', 'qwen2.5-coder:7b', 'nomic-embed-text:latest', 'llava:latest'],
  });
  t.after(() => ollama.close());
  const found = await discoverModels({
    env: { OPENAI_API_KEY: 'sk-disc' },
    ollamaBase: ollama.url,
    timeoutMs: ANSWERING_PROBE_TIMEOUT_MS,
  });
  assert.deepEqual(
    found.models.map((m) => m.name),
    ['llama3.2:1b', 'qwen2.5-coder:7b', 'llava', 'gpt-4o-mini', 'gpt-4o'],
  );
  const [llama, coder, llava, mini] = found.models;
  assert.equal(llama!.provider, 'ollama');
  assert.equal(llama!.model, 'llama3.2:1b');
  assert.equal(llama!.api_base, ollama.url);
  assert.equal(llama!.cost_per_output_token, 0);
  assert.equal(llama!.supports_tools, true);
  assert.ok(coder!.capabilities.includes('code'));
  assert.equal(llava!.model, 'llava:latest');
  assert.equal(llava!.supports_vision, true);
  assert.equal(mini!.api_key, 'sk-disc');
  assert.equal(mini!.cost_per_input_token, 0.15 / 1e6);
  assert.equal(found.defaultModel, 'llama3.2:1b');
  const log = found.log.join('\n');
  assert.match(log, /Found Ollama at http:\/\/127\.0\.0\.1:\d+ with 3 chat model\(s\)/);
  assert.match(log, /Skipped Ollama embedding-only models: nomic-embed-text:latest/);
  assert.match(log, /OPENAI_API_KEY is set: added gpt-4o-mini, gpt-4o/);
  assert.match(log, /ANTHROPIC_API_KEY is not set/);
  assert.ok(!log.includes('sk-disc'));
  assert.ok(ollama.requests.some((r) => r.path === '/api/tags'));
});

test('capabilities reported by /api/show win over name guesses', async (t) => {
  // The shared fake Ollama has no /api/show; a few lines of node:http speak it here.
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/tags')
        return res.end(JSON.stringify({ models: [{ name: 'mystery:3b', model: 'mystery:3b' }] }));
      if (req.url === '/api/show' && JSON.parse(body).model === 'mystery:3b')
        return res.end(
          JSON.stringify({
            capabilities: ['completion', 'tools', 'vision', 'thinking'],
            model_info: { 'general.architecture': 'x', 'x.context_length': 32768 },
          }),
        );
      res.statusCode = 404;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const found = await discoverModels({ env: {}, ollamaBase: base, timeoutMs: ANSWERING_PROBE_TIMEOUT_MS });
  assert.equal(found.models.length, 1);
  const m = found.models[0]!;
  assert.deepEqual(m.capabilities, ['chat', 'reasoning', 'tools', 'vision']);
  assert.equal(m.context_window, 32768);
  assert.match(m.description!, /reported by Ollama/);
});

test('nothing found: an empty pool, and the log says how to add a model', async (t) => {
  const port = await closedPort();
  const found = await discoverModels({ env: {}, ollamaBase: `http://127.0.0.1:${port}` });
  assert.deepEqual(found.models, []);
  assert.equal(found.defaultModel, undefined);
  const log = found.log.join('\n');
  assert.match(log, /No Ollama at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
  assert.match(log, /No models found\. .*503.*config\.yaml/);

  // Through resolveConfig (no file in the data dir): source 'discovery', defaults filled in.
  const home = mkdtempSync(path.join(tmpdir(), 'fugu-disc-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const r = await resolveConfig({
    env: { ANTHROPIC_API_KEY: 'sk-ant' },
    ollamaBase: `http://127.0.0.1:${port}`,
    homeDir: home,
  });
  assert.equal(r.source, 'discovery');
  assert.equal(r.path, null);
  assert.deepEqual(
    r.config.models.map((m) => m.name),
    ['claude-haiku', 'claude-sonnet'],
  );
  assert.equal(r.config.defaultModel, 'claude-haiku');
  assert.equal(r.config.server.port, 6060);
  assert.equal(r.config.server.dataDir, path.join(home, '.fugusashi'));
  assert.match(r.log[0]!, /No config file/);

  // With another data dir and nothing to discover, the log names the file that daemon watches for.
  const dataDir = path.join(home, 'elsewhere');
  const empty = await resolveConfig({ env: {}, ollamaBase: `http://127.0.0.1:${port}`, homeDir: home, dataDir });
  assert.match(empty.log.join('\n'), new RegExp(`write ${path.join(dataDir, 'config.yaml').replace(/[.]/g, '\\.')} `));
});

test('a probe that gets no answer gives up after the timeout', async (t) => {
  const server = createServer(() => {}); // accepts, never answers
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const found = await discoverModels({
    env: {},
    ollamaBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    timeoutMs: 200,
  });
  assert.match(found.log[0]!, /no answer within the probe timeout/);
});

test('OLLAMA_HOST forms', () => {
  assert.equal(normaliseOllamaBase('0.0.0.0:11434'), 'http://127.0.0.1:11434');
  assert.equal(normaliseOllamaBase('localhost'), 'http://localhost:11434');
  assert.equal(normaliseOllamaBase('http://gpu-box:8080/'), 'http://gpu-box:8080');
  assert.equal(normaliseOllamaBase('https://ollama.example'), 'https://ollama.example');
});
