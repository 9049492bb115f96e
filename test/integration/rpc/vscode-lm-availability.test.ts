// A `vscode-lm` pool member counts only while a connected VS Code window offers its model. A daemon
// serving HTTP clients with no window (VS Code closed) leaves it out of `auto` (no failed attempt,
// no failure counted) and lists it as unavailable with the reason; a window that offers the model
// brings it back, and its leaving takes it away again. Real daemon, official openai SDK, a window
// on the real JSON-RPC socket running the extension's bridge (with the `vscode` test stub).
import '../../helpers/vscode-stub.cjs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import * as vscode from 'vscode';
import {
  createMessageConnection,
  RequestType,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type { Trace } from '../../../shared/api';
import { DAEMON_FILE, type DaemonFile } from '../../../shared/daemon';
import type { DaemonRpc } from '../../../extension/rpc';
import { registerVscodeLmBridge } from '../../../extension/vscodeLm';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { fakeCtx } from '../../unit/extension/helpers';

const Initialize = new RequestType<unknown, unknown, void>('initialize');
const stub = (vscode as unknown as { __stub: { chatModels: unknown[] } }).__stub;

/** The VS Code model a Copilot plan would offer: it answers with a fixed text. */
const copilot = {
  id: 'copilot-gpt',
  vendor: 'copilot',
  family: 'gpt',
  name: 'Copilot GPT',
  maxInputTokens: 64000,
  sendRequest: async () => ({
    stream: (async function* () {
      yield new vscode.LanguageModelTextPart('answer from VS Code');
    })(),
  }),
};

let d: TestDaemon;
let openai: OpenAI;

before(async () => {
  d = await startTestDaemon({
    models: [
      // Included in the user's plan, so the cheapest: `auto` prefers it whenever it can be called.
      {
        name: 'copilot',
        config: { provider: 'vscode-lm', model: 'copilot-gpt', cost_per_input_token: 0, cost_per_output_token: 0 },
      },
      { name: 'model-a', config: { cost_per_input_token: 0.000001, cost_per_output_token: 0.000002 } },
    ],
    config: { routing: { prefer_local: false } },
  });
  openai = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(() => d.close());

async function ask(): Promise<{ model: string; trace: Trace }> {
  const completion = await openai.chat.completions.create({
    model: 'auto',
    messages: [{ role: 'user', content: 'Say hello' }],
  });
  const trace = (await (await fetch(`${d.url}/v1/trace/${completion.id}`)).json()) as Trace;
  return { model: completion.model, trace };
}

async function listed(name: string): Promise<{ id: string; unavailable?: string }> {
  const models = await openai.models.list();
  const entry = models.data.find((m) => m.id === name) as { id: string; unavailable?: string } | undefined;
  assert.ok(entry, `${name} listed`);
  return entry;
}

/** A VS Code window offering copilot-gpt: joins the socket and announces its models, as the extension does. */
async function openWindow(): Promise<{ close(): void }> {
  const info = JSON.parse(readFileSync(path.join(d.dataDir, DAEMON_FILE), 'utf8')) as DaemonFile;
  const socket = net.connect(info.rpc.path);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const window: MessageConnection = createMessageConnection(
    new StreamMessageReader(socket),
    new StreamMessageWriter(socket),
  );
  window.listen();
  await window.sendRequest(Initialize, { processId: process.pid, capabilities: {} });
  const rpc: DaemonRpc = {
    sendRequest: (type, params, token) => window.sendRequest(type, params as never, token as never),
    sendNotification: (type, params) => window.sendNotification(type, params as never),
    onNotification: (type, handler) => window.onNotification(type, handler),
    onRequest: (type, handler) => window.onRequest(type, handler as never),
  };
  stub.chatModels = [copilot];
  const { ctx, connected } = fakeCtx(rpc);
  registerVscodeLmBridge(ctx);
  connected.fire(rpc);
  return {
    close() {
      window.dispose();
      socket.destroy();
    },
  };
}

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting until ${what}`);
}

describe('vscode-lm members and connected windows', () => {
  test('with no window, auto answers from another model without a failed attempt, and the model list says why', async () => {
    const { model, trace } = await ask();
    assert.equal(model, 'model-a');
    assert.deepEqual(
      trace.attempts.map((a) => `${a.model} ${a.status}`),
      ['model-a ok'],
    );
    assert.match((await listed('copilot')).unavailable ?? '', /no connected VS Code window offers this model/);
  });

  test('a window offering the model brings it back; its leaving takes it away again', async () => {
    const window = await openWindow();
    await eventually('copilot is available', async () => (await listed('copilot')).unavailable === undefined);
    const viaWindow = await ask();
    assert.equal(viaWindow.model, 'copilot');
    assert.equal(viaWindow.trace.response_text, 'answer from VS Code');
    window.close();
    await eventually('copilot is unavailable', async () => (await listed('copilot')).unavailable !== undefined);
    const after = await ask();
    assert.equal(after.model, 'model-a');
    assert.equal(after.trace.attempts.length, 1);
  });
});
