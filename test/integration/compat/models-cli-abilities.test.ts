// `fugusashi models --config FILE` lists what the daemon would route on: a 0.3.0 config's
// `gpt-4o-mini` tagged only [chat, code] was shown with those tags, while the daemon (from the same
// file) knows it calls tools, reads images and has a 128k window. Real CLI processes (dist/cli.js):
// the listing without a daemon must equal the live daemon's GET /v1/models for the same file.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { ModelListEntry } from '../../../shared/openai';
import { startFakeOpenAI, type FakeUpstream } from '../../fakes';
import { CLI_BUNDLE, makeTempDir, requireCliBundle, spawnDaemon } from '../../helpers/daemon';

const run = promisify(execFile);
let fake: FakeUpstream;
let dir: string;
let configPath: string;

before(async () => {
  requireCliBundle();
  fake = await startFakeOpenAI({ models: ['gpt-4o-mini', 'gpt-4o', 'local-thing'] });
  dir = makeTempDir('fugu-models-abilities-');
  configPath = path.join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    stringify({
      default_model: 'gpt-4o-mini',
      models: [
        // As 0.3.0's config.yaml writes a pool model: tags only.
        {
          name: 'gpt-4o-mini',
          provider: 'openai',
          model: 'gpt-4o-mini',
          api_base: fake.url,
          api_key: 'k',
          capabilities: ['chat', 'code'],
        },
        // What the config says wins over what is well known.
        {
          name: 'custom-gpt',
          provider: 'openai',
          model: 'gpt-4o',
          api_base: fake.url,
          api_key: 'k',
          capabilities: ['chat'],
          context_window: 8000,
          supports_tools: false,
        },
        // Not well known: stays as written.
        {
          name: 'local-thing',
          provider: 'openai',
          model: 'local-thing',
          api_base: fake.url,
          api_key: 'k',
          capabilities: ['chat'],
        },
      ],
      server: { port: 0, data_dir: path.join(dir, 'data') },
    }),
  );
});
after(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

async function listedByCli(): Promise<ModelListEntry[]> {
  const { stdout } = await run(process.execPath, [CLI_BUNDLE, 'models', '--config', configPath, '--json']);
  return JSON.parse(stdout) as ModelListEntry[];
}

const abilities = (e: ModelListEntry | undefined) => ({
  capabilities: [...(e?.capabilities ?? [])].sort(),
  context_window: e?.context_window,
});

test('models --config shows a well-known model’s resolved abilities, not only its config tags', async () => {
  const byName = new Map((await listedByCli()).map((e) => [e.id, e]));
  assert.deepEqual(abilities(byName.get('gpt-4o-mini')), {
    capabilities: ['chat', 'code', 'long_context', 'tools', 'vision'],
    context_window: 128_000,
  });
  assert.deepEqual(abilities(byName.get('custom-gpt')), { capabilities: ['chat', 'vision'], context_window: 8000 });
  assert.deepEqual(abilities(byName.get('local-thing')), { capabilities: ['chat'], context_window: undefined });

  const { stdout } = await run(process.execPath, [CLI_BUNDLE, 'models', '--config', configPath]);
  const line = stdout.split('\n').find((l) => l.startsWith('gpt-4o-mini '));
  assert.ok(line, stdout);
  assert.match(line, /chat,code,tools,vision,long_context\s+128000\s/);
  assert.match(stdout, /CONTEXT/);
});

test('models --config lists what the live daemon serves from the same file', async () => {
  const daemon = await spawnDaemon(['--config', configPath]);
  try {
    const live = ((await (await fetch(`${daemon.url}/v1/models`)).json()) as { data: ModelListEntry[] }).data.filter(
      (e) => e.owned_by !== 'fugusashi',
    );
    const cli = await listedByCli();
    assert.deepEqual(
      cli.map((e) => ({ id: e.id, ...abilities(e) })),
      live.map((e) => ({ id: e.id, ...abilities(e) })),
    );
  } finally {
    await daemon.stop();
  }
});
