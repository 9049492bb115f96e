// A VS Code window that goes away while an answer streams to it (window closed or reloaded, its
// extension host gone): the shared daemon, a real `fugusashi serve` process, must stay up for the
// other windows and tools, and stop the upstream stream nobody reads any more.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { createMessageConnection, RequestType, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { SAMPLE_STRONG, SAMPLE_WEAK } from '../../../daemon/benchmark/cli';
import { samplePath } from '../../../daemon/benchmark/sample';
import { DAEMON_FILE, type DaemonFile } from '../../../shared/daemon';
import {
  BenchmarkProgressNotification,
  BenchmarkRequest,
  ChatChunkNotification,
  ChatRequest,
  VscodeLmChatRequest,
  VscodeLmModelsNotification,
} from '../../../shared/protocol';
import { makeTempDir, requireCliBundle, spawnDaemon, type SpawnedDaemon } from '../../helpers/daemon';
import { connectWindow } from '../../helpers/rpc-window';
import { startFakeOpenAI, type FakeUpstream } from '../../fakes';

const Initialize = new RequestType<unknown, unknown, void>('initialize');

let fake: FakeUpstream;
let dir: string;
let daemon: SpawnedDaemon | undefined;

before(async () => {
  requireCliBundle();
  fake = await startFakeOpenAI({ models: ['up-a'] });
  // A long answer, slowly: the window goes away after its first piece.
  fake.set({ chunks: Array.from({ length: 100 }, (_, i) => `piece${i} `), chunkDelayMs: 50 });
  dir = makeTempDir('fugu-gone-');
  writeFileSync(
    path.join(dir, 'config.yaml'),
    stringify({
      default_model: 'cheap',
      models: [
        // A VS Code model run by a window (provider vscode-lm): the window that runs it can go away too.
        {
          name: 'copilot',
          provider: 'vscode-lm',
          model: 'copilot-gpt',
          cost_per_input_token: 0.0001,
          cost_per_output_token: 0.0001,
          capabilities: ['chat'],
        },
        {
          name: 'cheap',
          provider: 'openai',
          model: 'up-a',
          api_base: fake.url,
          cost_per_input_token: 0,
          cost_per_output_token: 0,
          capabilities: ['chat'],
        },
      ],
      routing: { strategies: ['cost', 'fallback'] },
      server: { port: 0, data_dir: path.join(dir, 'data') },
    }),
  );
});
after(async () => {
  await daemon?.stop();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a window gone mid-answer leaves the daemon running and stops the upstream stream', async () => {
  daemon = await spawnDaemon(['--config', path.join(dir, 'config.yaml')]);
  const info = JSON.parse(readFileSync(path.join(dir, 'data', DAEMON_FILE), 'utf8')) as DaemonFile;
  const socket = net.connect(info.rpc.path);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const window = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
  window.listen();
  await window.sendRequest(Initialize, { processId: null, rootUri: null, capabilities: {} });
  const firstPiece = new Promise<void>((resolve) => window.onNotification(ChatChunkNotification, () => resolve()));
  void window
    .sendRequest(ChatRequest, {
      request: { model: 'auto', messages: [{ role: 'user', content: 'a long answer, please' }] },
      streamId: 'gone-1',
      source: 'vscode-chat',
    })
    .catch(() => undefined);
  await firstPiece;
  const upstream = fake.requests.at(-1)!;
  socket.destroy(); // the window is gone

  // The answer would take 5 s; the daemon stops reading it well before (the bound is loose).
  const outcome = await Promise.race([upstream.closed, sleep(4000).then(() => 'still streaming')]);
  assert.equal(outcome, 'client-closed');
  await sleep(500);
  assert.equal(daemon.child.exitCode, null, `the daemon exited:\n${daemon.stderr().slice(-2000)}`);
  const health = await fetch(`${daemon.url}/health`);
  assert.equal(health.status, 200);
});

test('a window gone before its (unstreamed) answer comes leaves the daemon running', async () => {
  daemon ??= await spawnDaemon(['--config', path.join(dir, 'config.yaml')]);
  fake.set({ text: 'late answer', firstByteDelayMs: 1000 });
  const info = JSON.parse(readFileSync(path.join(dir, 'data', DAEMON_FILE), 'utf8')) as DaemonFile;
  const socket = net.connect(info.rpc.path);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const window = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
  window.listen();
  await window.sendRequest(Initialize, { processId: null, rootUri: null, capabilities: {} });
  const asked = fake.requests.length;
  void window
    .sendRequest(ChatRequest, { request: { model: 'auto', messages: [{ role: 'user', content: 'slow one' }] } })
    .catch(() => undefined);
  for (let i = 0; i < 100 && fake.requests.length === asked; i++) await sleep(20);
  socket.destroy(); // gone before the answer: the daemon's reply has nowhere to go
  await fake.requests.at(-1)!.closed;
  await sleep(1000);
  assert.equal(daemon.child.exitCode, null, `the daemon exited:\n${daemon.stderr().slice(-2000)}`);
  assert.equal((await fetch(`${daemon.url}/health`)).status, 200);
});

test('a window gone while it runs a VS Code model for the daemon leaves the daemon running', async () => {
  daemon ??= await spawnDaemon(['--config', path.join(dir, 'config.yaml')]);
  const info = JSON.parse(readFileSync(path.join(dir, 'data', DAEMON_FILE), 'utf8')) as DaemonFile;
  const socket = net.connect(info.rpc.path);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const window = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
  const asked = new Promise<void>((resolve) =>
    window.onRequest(VscodeLmChatRequest, (): Promise<{ text: string }> => {
      resolve();
      return new Promise(() => undefined); // the window never answers: it goes away
    }),
  );
  window.listen();
  await window.sendRequest(Initialize, { processId: null, rootUri: null, capabilities: {} });
  await window.sendNotification(VscodeLmModelsNotification, {
    models: [{ id: 'copilot-gpt', vendor: 'copilot', family: 'gpt', name: 'GPT', maxInputTokens: 8000 }],
  });
  // The model counts once the daemon has read the window's offer (a notification: no reply to await).
  const offered = async () => {
    const list = (await (await fetch(`${daemon!.url}/v1/models`)).json()) as {
      data: { id: string; unavailable?: string }[];
    };
    return list.data.some((m) => m.id === 'copilot' && m.unavailable === undefined);
  };
  for (let i = 0; i < 200 && !(await offered()); i++) await sleep(20);
  // Another client (a tool on the HTTP port) asks for the VS Code model.
  const answer = fetch(`${daemon.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'copilot', messages: [{ role: 'user', content: 'via the window' }], stream: true }),
  }).then((r) => r.text());
  await asked;
  socket.destroy();
  await answer.catch(() => undefined);
  await sleep(1000);
  assert.equal(daemon.child.exitCode, null, `the daemon exited:\n${daemon.stderr().slice(-2000)}`);
  assert.equal((await fetch(`${daemon.url}/health`)).status, 200);
});

test('a window gone while its benchmark runs leaves the daemon running, and the run its report', async () => {
  daemon ??= await spawnDaemon(['--config', path.join(dir, 'config.yaml')]);
  const window = await connectWindow(path.join(dir, 'data'));
  const firstProgress = new Promise<void>((resolve) =>
    window.connection.onNotification(BenchmarkProgressNotification, () => resolve()),
  );
  // Five folds of the bundled sample's rows (their vectors ship with it): a progress per fold after
  // the first one, ~0.5 s of work in all (the `sample` mode's rating replays take ~8 s).
  const run = { dataset: samplePath(), mode: 'folds', folds: 5, strong: SAMPLE_STRONG, weak: SAMPLE_WEAK } as const;
  void window.connection.sendRequest(BenchmarkRequest, { ...run, runId: 'gone' }).catch(() => undefined);
  await firstProgress;
  window.close(); // the window is gone; the run goes on (its report is kept for the dashboard)
  // The run's next progress had nowhere to go: it threw where nothing caught it and ended the daemon.
  let report: unknown = null;
  for (let i = 0; i < 600 && report === null && daemon.child.exitCode === null; i++) {
    await sleep(100);
    report = await fetch(`${daemon.url}/v1/benchmark/last`)
      .then((r) => (r.ok ? (r.json() as Promise<unknown>) : null))
      .catch(() => null);
  }
  assert.equal(daemon.child.exitCode, null, `the daemon exited:\n${daemon.stderr().slice(-2000)}`);
  assert.ok(report, 'the run finished and its report was kept');
  assert.equal((await fetch(`${daemon.url}/health`)).status, 200);
});
