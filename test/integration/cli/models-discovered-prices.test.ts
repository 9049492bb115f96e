// Without a config file the pool is discovered (Ollama on this machine, OpenAI / Anthropic by their
// key variables). `fugusashi models` said the price of every discovered model came from "config",
// though there was no config file: a newcomer looked for one. Now a cloud model's price is the
// bundled table's (dated, with its source) and an Ollama model's is "local". Real CLI process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { ModelListEntry } from '../../../shared/openai';
import { startFakeOllama } from '../../fakes';
import { CLI_BUNDLE, makeTempDir, requireCliBundle } from '../../helpers/daemon';

const run = promisify(execFile);

test('fugusashi models without a config file: discovered models say where their price comes from', async (t) => {
  requireCliBundle();
  const ollama = await startFakeOllama({ models: ['llama3.2:1b'] });
  const dir = makeTempDir('fugu-discovered-prices-');
  t.after(async () => {
    await ollama.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_API_KEY: 'sk-test', OLLAMA_HOST: ollama.url, HOME: dir };
  delete env['ANTHROPIC_API_KEY'];
  const args = [CLI_BUNDLE, 'models', '--data-dir', path.join(dir, 'data')];
  const { stdout } = await run(process.execPath, [...args, '--json'], { env });
  const entries = JSON.parse(stdout) as ModelListEntry[];
  const by = new Map(entries.map((e) => [e.id, e]));
  assert.equal(by.get('llama3.2:1b')?.price_source, 'local');
  assert.equal(by.get('gpt-4o-mini')?.price_source, 'table');
  assert.ok(by.get('gpt-4o-mini')?.price_ref?.as_of, 'the table entry is dated');
  assert.equal(by.get('gpt-4o-mini')?.cost_per_input_token, 0.15 / 1e6);
  assert.ok(!entries.some((e) => e.price_source === 'config'), stdout);

  const table = (await run(process.execPath, args, { env })).stdout;
  assert.match(table, /^gpt-4o-mini .*table \(/m);
  assert.match(table, /^llama3\.2:1b .* local /m);
  assert.match(table, /\(from models discovered without a config file;/);
});
