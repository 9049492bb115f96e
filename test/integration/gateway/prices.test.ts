// A real daemon over a config whose models have no cost fields: the bundled table prices the known
// one, the unknown one is flagged in the start log and in GET /v1/models, and `fugusashi models`
// lists the pool with price sources and live health from the running daemon's HTTP API.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { main } from '../../../daemon/cli';
import { startDaemon, type RunningDaemon } from '../../../daemon/main';
import type { ModelListEntry } from '../../../shared/openai';
import { startFakeOpenAI, type FakeUpstream } from '../../fakes';
import { makeTempDir } from '../../helpers/daemon';

let known: FakeUpstream;
let mystery: FakeUpstream;
let daemon: RunningDaemon;
let dir: string;
const log: string[] = [];

before(async () => {
  known = await startFakeOpenAI({ models: ['gpt-4o-mini-2024-07-18'] });
  mystery = await startFakeOpenAI({ models: ['mystery-13b'] });
  dir = makeTempDir('fugu-prices-');
  const configPath = path.join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    stringify({
      models: [
        {
          name: 'mini',
          provider: 'openai',
          model: 'gpt-4o-mini-2024-07-18',
          api_base: known.url,
          capabilities: ['chat'],
        },
        // Never called: a paid host (not loopback) whose model is in no table.
        {
          name: 'mystery',
          provider: 'openai',
          model: 'mystery-13b',
          api_base: 'https://api.example.invalid/v1',
          capabilities: ['chat'],
        },
        // A loopback server (llama.cpp-style) is local: free, not flagged.
        { name: 'localbox', provider: 'openai', model: 'mystery-13b', api_base: mystery.url, capabilities: ['chat'] },
      ],
      routing: { strategies: ['cost', 'fallback'], exploration_rate: 0, cooldown_failures: 1, cooldown_seconds: 60 },
      server: { host: '127.0.0.1', port: 0, data_dir: dir },
    }),
  );
  daemon = await startDaemon({ configPath, env: {}, rpc: false, watch: false, log: (l) => log.push(l) });
});

after(async () => {
  await daemon.close();
  await known.close();
  await mystery.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the unknown model is flagged in the start log', () => {
  assert.ok(
    log.some((l) => /warning: model "mystery".*not in the bundled price table/.test(l)),
    log.join('\n'),
  );
  assert.ok(!log.some((l) => /model "mini"/.test(l)));
});

test('GET /v1/models shows table prices with their source, and flags the unknown model', async () => {
  const res = await fetch(`${daemon.url}/v1/models`);
  const list = ((await res.json()) as { data: ModelListEntry[] }).data;
  const mini = list.find((m) => m.id === 'mini')!;
  assert.equal(mini.price_source, 'table');
  assert.equal(mini.cost_per_input_token, 0.15e-6);
  assert.equal(mini.cost_per_output_token, 0.6e-6);
  assert.match(mini.price_ref!.url, /^https:/);
  assert.equal(mini.health?.state, 'ok');
  const unknown = list.find((m) => m.id === 'mystery')!;
  assert.equal(unknown.price_source, 'unknown');
  assert.match(unknown.price_warning!, /counts as 0/);
  const local = list.find((m) => m.id === 'localbox')!;
  assert.equal(local.price_source, 'local');
  assert.equal(local.price_warning, undefined);
});

test('a priced answer costs what the table says', async () => {
  known.enqueue({ usage: { prompt: 1000, completion: 1000 } });
  const res = await fetch(`${daemon.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(res.status, 200);
  const stats = (await (await fetch(`${daemon.url}/v1/stats`)).json()) as {
    total_cost_usd?: number;
    cost_usd?: number;
  };
  const cost = stats.total_cost_usd ?? stats.cost_usd;
  assert.ok(cost !== undefined && Math.abs(cost - (1000 * 0.15e-6 + 1000 * 0.6e-6)) < 1e-12, JSON.stringify(stats));
});

test('`fugusashi models` lists provider, price source, capabilities and cooldown state from the daemon', async () => {
  mystery.enqueue({ error: { status: 500, message: 'boom' } });
  await fetch(`${daemon.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'localbox', messages: [{ role: 'user', content: 'hi' }] }),
  });
  let out = '';
  const code = await main(['models', '--data-dir', dir], { out: (t) => (out += t), err: (t) => (out += t) });
  assert.equal(code, 0, out);
  // gpt-4o-mini's documented 128k window, tools and images (daemon/config/known-models.ts).
  assert.match(
    out,
    /mini\s+openai\s+\$0\.15 \/ \$0\.075 \/ \$0\.6\s+table \(2026\)\s+chat,tools,vision,long_context\s+128000\s+ok/,
  );
  assert.match(out, /mystery\s+openai.*unknown\s+chat\s+-\s+ok/);
  assert.match(out, /localbox\s+openai.*local\s+chat\s+-\s+cooling down \d/);
  assert.match(out, /warning: no price for mystery/);
  assert.match(out, /running daemon \(pid \d+\)/);
});

test('`fugusashi models` says which models cannot be called and why, as /v1/models does', async () => {
  const file = path.join(dir, 'keyless.yaml');
  writeFileSync(
    file,
    stringify({
      models: [
        {
          name: 'keyless',
          provider: 'openai',
          model: 'gpt-4o',
          api_key: '${FUGU_TEST_NEVER_SET_KEY}',
          capabilities: ['chat'],
        },
      ],
    }),
  );
  let out = '';
  const code = await main(['models', '--config', file], { out: (t) => (out += t), err: (t) => (out += t) });
  assert.equal(code, 0, out);
  assert.match(out, /keyless\s+openai.*unavailable: FUGU_TEST_NEVER_SET_KEY is not set/);
});
