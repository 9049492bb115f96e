// Daemon lifecycle through its doors: nothing configured (503 with how to fix it), config reload
// (and keeping the last good config), idle shutdown after the last RPC client leaves.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { DaemonHealth } from '../../../shared/api';
import type { ModelListEntry, OpenAIErrorBody } from '../../../shared/openai';
import { HealthRequest } from '../../../shared/protocol';
import { startDaemon } from '../../../daemon/main';
import { startFake } from '../../fakes';
import { startTestDaemon } from '../../helpers/daemon';

async function until(check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

describe('daemon lifecycle', () => {
  test('with no model configured: chat gets 503 saying how to add one; the API and stats still answer', async () => {
    const d = await startTestDaemon({ models: [], rpc: false });
    try {
      const res = await fetch(`${d.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'anyone?' }] }),
      });
      assert.equal(res.status, 503);
      const body = (await res.json()) as OpenAIErrorBody;
      assert.equal(body.error.code, 'no_models_configured');
      assert.match(body.error.message, /config\.yaml/);
      assert.equal((await fetch(`${d.url}/v1/stats`)).status, 200);
      assert.equal((await fetch(`${d.url}/v1/models`)).status, 200);
      const health = (await (await fetch(`${d.url}/health`)).json()) as DaemonHealth;
      assert.equal(health.status, 'degraded');
    } finally {
      await d.close();
    }
  });

  test('a daemon started with no config file takes <data dir>/config.yaml once it is written', async () => {
    // What the start log and the 503 tell a user to do; the daemon a VS Code window started keeps
    // running, so a restart is not what they would think of. Before, the file was ignored until one.
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugu-appears-'));
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const fake = await startFake('openai', { models: ['written-upstream'] });
    const log: string[] = [];
    const d = await startDaemon({
      dataDir,
      port: 0,
      env: { OLLAMA_HOST: `http://127.0.0.1:${closedPort}` },
      rpc: false,
      learner: 'off',
      idleMemory: false,
      log: (line) => log.push(line),
    });
    const chat = () =>
      fetch(`${d.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'anyone?' }] }),
      });
    try {
      assert.equal((await chat()).status, 503);
      const file = path.join(dataDir, 'config.yaml');
      writeFileSync(
        file,
        `models:\n  - name: written\n    provider: openai\n    model: written-upstream\n    api_base: ${fake.url}\n    cost_per_input_token: 0\n    cost_per_output_token: 0\n`,
      );
      await until(async () => (await chat()).status === 200);
      const answer = (await (await chat()).json()) as { model: string };
      assert.equal(answer.model, 'written');
      const health = (await (await fetch(`${d.url}/health`)).json()) as DaemonHealth;
      assert.equal(health.config_path, file);
      assert.ok(
        log.some((line) => line.startsWith('config reloaded (file changed): 1 model(s)')),
        log.join('\n'),
      );
    } finally {
      await d.close();
      await fake.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a changed config file is reloaded; an invalid one keeps the last good config and is reported', async () => {
    const d = await startTestDaemon({ rpc: false });
    try {
      const ids = async () =>
        ((await (await fetch(`${d.url}/v1/models`)).json()) as { data: ModelListEntry[] }).data.map((m) => m.id);
      const renamed = {
        ...d.baseConfig,
        models: d.baseConfig.models.map((m) => (m.name === 'model-b' ? { ...m, name: 'model-c' } : m)),
      };
      d.writeConfig(renamed);
      await until(async () => (await ids()).includes('model-c'));
      assert.ok(!(await ids()).includes('model-b'));

      // Not a provider name at all (an unknown name leaves only that model out: unsupported-providers.ts).
      writeFileSync(d.configPath, readFileSync(d.configPath, 'utf8').replace('provider: openai', 'provider: 42'));
      await until(async () => ((await (await fetch(`${d.url}/health`)).json()) as DaemonHealth).config_error !== null);
      const health = (await (await fetch(`${d.url}/health`)).json()) as DaemonHealth;
      assert.match(health.config_error ?? '', /provider/);
      assert.ok((await ids()).includes('model-c'), 'last good config still serves');
    } finally {
      await d.close();
    }
  });

  test('repeated upstream failures put a model in cooldown: later requests skip it', async () => {
    const d = await startTestDaemon({
      config: {
        default_model: 'model-a',
        routing: { prefer_local: false, cooldown_failures: 2, cooldown_seconds: 60 },
      },
      rpc: false,
    });
    try {
      const ask = async () => {
        const res = await fetch(`${d.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'cool down' }] }),
        });
        assert.equal(res.status, 200);
        return (await res.json()) as { id: string; model: string };
      };
      d.fakes['model-a']!.set({ error: { status: 503, message: 'overloaded' } });
      assert.equal((await ask()).model, 'model-b');
      assert.equal((await ask()).model, 'model-b');
      const before = d.fakes['model-a']!.requests.length;
      const third = await ask();
      assert.equal(third.model, 'model-b');
      assert.equal(d.fakes['model-a']!.requests.length, before, 'model-a was not tried while cooling down');
      const trace = (await (await fetch(`${d.url}/v1/trace/${third.id}`)).json()) as { attempts: { model: string }[] };
      assert.deepEqual(
        trace.attempts.map((a) => a.model),
        ['model-b'],
      );
    } finally {
      await d.close();
    }
  });

  test('idle shutdown: the daemon stays while a client is connected and stops after the last one leaves', async () => {
    const d = await startTestDaemon({ idleShutdownSeconds: 1 });
    try {
      const socket = net.connect(d.rpcPath!);
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      const connection = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
      connection.listen();
      await new Promise((r) => setTimeout(r, 1800));
      const health = await connection.sendRequest(HealthRequest, undefined);
      assert.equal(health.status, 'ok', 'still running with a client connected');
      let stopped = false;
      void d.closed.then(() => (stopped = true));
      connection.dispose();
      socket.destroy();
      await until(() => stopped, 6000);
    } finally {
      await d.close();
    }
  });
});
