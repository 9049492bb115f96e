// JSON-RPC round trips over the daemon's real unix socket (the join contract VS Code windows use),
// two clients at once, with fake upstreams behind the daemon.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CancellationTokenSource,
  createMessageConnection,
  NotificationType0,
  RequestType,
  RequestType0,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type { LiveEvent } from '../../../shared/api';
import { DAEMON_FILE, type DaemonFile } from '../../../shared/daemon';
import { ErrorCodes } from '../../../shared/errors';
import type { ChatCompletionChunk } from '../../../shared/openai';
import {
  ChatChunkNotification,
  ChatRequest,
  DecisionsRequest,
  FeedbackStatsRequest,
  HealthRequest,
  LastBenchmarkRequest,
  LiveEventNotification,
  ModelsRequest,
  RateRequest,
  RouteRequest,
  SetSecretsNotification,
  StatsRequest,
  StatusNotification,
  TraceRequest,
  TrainingRequest,
  VscodeLmChatRequest,
  VscodeLmChunkNotification,
  VscodeLmModelsNotification,
  type DaemonStatus,
} from '../../../shared/protocol';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { connectWindow } from '../../helpers/rpc-window';

const Initialize = new RequestType<unknown, { capabilities: object; serverInfo: { name: string } }, void>('initialize');
const Shutdown = new RequestType0<null, void>('shutdown');
const Exit = new NotificationType0('exit');

let d: TestDaemon;
const open: { connection: MessageConnection; socket: net.Socket }[] = [];

async function connect(): Promise<MessageConnection> {
  return connectTo(d);
}

async function connectTo(daemon: TestDaemon): Promise<MessageConnection> {
  // A window reads daemon.json to find the socket, exactly as the extension does.
  const info = JSON.parse(readFileSync(path.join(daemon.dataDir, DAEMON_FILE), 'utf8')) as DaemonFile;
  const socket = net.connect(info.rpc.path);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const connection = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
  connection.listen();
  open.push({ connection, socket });
  const init = await connection.sendRequest(Initialize, { processId: process.pid, capabilities: {} });
  assert.equal(init.serverInfo.name, 'fugusashi');
  return connection;
}

before(async () => {
  d = await startTestDaemon({
    models: [
      { name: 'model-a', config: { cost_per_input_token: 0.000001, cost_per_output_token: 0.000002 } },
      { name: 'model-b', config: { cost_per_input_token: 0.00001, cost_per_output_token: 0.00003 } },
      {
        name: 'copilot',
        config: {
          provider: 'vscode-lm',
          model: 'copilot-gpt',
          cost_per_input_token: 0.0001,
          cost_per_output_token: 0.0001,
        },
      },
    ],
    config: { default_model: 'model-a', routing: { prefer_local: false } },
  });
});
after(async () => {
  for (const { connection, socket } of open) {
    connection.dispose();
    socket.destroy();
  }
  await d.close();
});

describe('JSON-RPC door', () => {
  test('chat (plain and streamed), route, models, stats, decisions, trace, rate, health', async () => {
    const c = await connect();
    const plain = await c.sendRequest(ChatRequest, {
      request: { model: 'auto', messages: [{ role: 'user', content: 'rpc hello' }] },
    });
    assert.match(plain.id, /^fugu-/);
    assert.equal(plain.choices[0]?.message.content, 'fake answer from model-a-upstream to: rpc hello');
    assert.equal(plain.routing_decision?.model, 'model-a');

    const chunks: ChatCompletionChunk[] = [];
    c.onNotification(ChatChunkNotification, (p) => {
      if (p.streamId === 's1') chunks.push(p.chunk);
    });
    const streamed = await c.sendRequest(ChatRequest, {
      request: { model: 'model-b', messages: [{ role: 'user', content: 'stream it' }] },
      streamId: 's1',
      source: 'vscode-chat',
    });
    assert.equal(streamed.choices[0]?.message.content, 'fake answer from model-b-upstream to: stream it');
    assert.ok(chunks.length >= 3, `got ${chunks.length} chunks`);
    assert.equal(chunks[0]?.routing_decision?.strategy, 'override');
    assert.equal(chunks.map((ch) => ch.choices[0]?.delta.content ?? '').join(''), streamed.choices[0]?.message.content);
    assert.ok(streamed.usage && streamed.usage.total_tokens > 0);

    const decision = await c.sendRequest(RouteRequest, { messages: [{ role: 'user', content: 'just route' }] });
    assert.equal(decision.model, 'model-a');
    const models = await c.sendRequest(ModelsRequest, undefined);
    assert.ok(models.some((m) => m.id === 'auto') && models.some((m) => m.id === 'model-b'));
    const stats = await c.sendRequest(StatsRequest, undefined);
    assert.ok(stats.requests >= 2);
    const rows = await c.sendRequest(DecisionsRequest, { limit: 10 });
    assert.equal(rows[0]?.request_id, streamed.id);
    assert.equal(rows[0]?.source, 'vscode-chat');
    const trace = await c.sendRequest(TraceRequest, { request_id: plain.id });
    assert.equal(trace.response_text, plain.choices[0]?.message.content);
    const rated = await c.sendRequest(RateRequest, { request_id: plain.id, rating: 5 });
    assert.deepEqual(rated, { request_id: plain.id, rating: 5, stored: true });
    const fb = await c.sendRequest(FeedbackStatsRequest, undefined);
    assert.ok(fb.ratings >= 1);
    const added = await c.sendRequest(TrainingRequest, { rows: [{ prompt: 'p', model: 'model-a', score: 1 }] });
    assert.deepEqual(added, { added: 1, already_imported: 0 });
    // The same judgement sent again (another request rated alike): another rating, not "already imported".
    const again = await c.sendRequest(TrainingRequest, { rows: [{ prompt: 'p', model: 'model-a', score: 1 }] });
    assert.deepEqual(again, { added: 1, already_imported: 0 });
    // A row with an id sent again (a retry) is stored once, and the answer says so.
    const keyed = { uid: 'r-1', prompt: 'q', model: 'model-a', score: 1 };
    assert.deepEqual(await c.sendRequest(TrainingRequest, { rows: [keyed] }), { added: 1, already_imported: 0 });
    assert.deepEqual(await c.sendRequest(TrainingRequest, { rows: [keyed] }), { added: 0, already_imported: 1 });
    // No benchmark has run in this fresh data dir: the dashboard's benchmark tab gets null, not an error.
    assert.equal(await c.sendRequest(LastBenchmarkRequest, undefined), null);
    const health = await c.sendRequest(HealthRequest, undefined);
    assert.equal(health.status, 'ok');
    assert.equal(health.data_dir, d.dataDir);
  });

  test('errors arrive as ResponseError with the shared code', async () => {
    const c = await connect();
    await assert.rejects(
      c.sendRequest(ChatRequest, { request: { model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] } }),
      (err: unknown) => err instanceof ResponseError && err.code === ErrorCodes.ModelNotFound.rpc,
    );
    await assert.rejects(
      c.sendRequest(RateRequest, { request_id: 'fugu-unknown', rating: 3 }),
      (err: unknown) => err instanceof ResponseError && err.code === ErrorCodes.NotFound.rpc,
    );
    await assert.rejects(
      c.sendRequest(RateRequest, { request_id: 'fugu-unknown', rating: 9 }),
      (err: unknown) => err instanceof ResponseError && err.code === ErrorCodes.InvalidRequest.rpc,
    );
  });

  test('cancelling a chat request aborts the upstream call', async () => {
    const c = await connect();
    d.fakes['model-a']!.reset();
    d.fakes['model-a']!.enqueue({ firstByteDelayMs: 5000 });
    const source = new CancellationTokenSource();
    const pending = c.sendRequest(
      ChatRequest,
      { request: { model: 'model-a', messages: [{ role: 'user', content: 'slow' }] } },
      source.token,
    );
    const upstream = await d.fakes['model-a']!.waitForRequest(1, 3000);
    source.cancel();
    await assert.rejects(pending);
    const outcome = await Promise.race([upstream.closed, new Promise((r) => setTimeout(() => r('timeout'), 3000))]);
    assert.equal(outcome, 'client-closed');
  });

  test('a window that goes away without cancelling stops the upstream calls it was waiting for', async () => {
    // Closed or reloaded while the model had not answered yet: no cancel comes, no chunk send fails,
    // and before, the daemon waited for (and paid) answers nobody would read.
    for (const streamId of [undefined, 'gone']) {
      d.fakes['model-a']!.reset();
      d.fakes['model-a']!.set({ hang: true });
      const window = await connectWindow(d.dataDir);
      void window.connection
        .sendRequest(ChatRequest, {
          request: { model: 'model-a', messages: [{ role: 'user', content: `left ${streamId ?? 'unstreamed'}` }] },
          ...(streamId ? { streamId } : {}),
        })
        .catch(() => undefined);
      const upstream = await d.fakes['model-a']!.waitForRequest(1, 3000);
      window.close();
      assert.equal(await upstream.closed, 'client-closed', `streamId ${streamId}`);
      // Stopped because the window left (not by the upstream timing out later).
      let error = '';
      for (let i = 0; i < 50 && !error; i++) {
        const rows = (await (await fetch(`${d.url}/v1/routing/decisions?limit=1`)).json()) as {
          data: { request_id: string; status: string; prompt_preview: string }[];
        };
        const row = rows.data[0];
        if (row?.prompt_preview === `left ${streamId ?? 'unstreamed'}`) {
          error = ((await (await fetch(`${d.url}/v1/trace/${row.request_id}`)).json()) as { error: string }).error;
        } else await new Promise((r) => setTimeout(r, 20));
      }
      assert.match(error, /cancel/i, `streamId ${streamId}`);
    }
    d.fakes['model-a']!.reset();
  });

  test('two windows share the daemon: live events reach both, one leaving does not stop the other', async () => {
    const w1 = await connect();
    const w2 = await connect();
    const seen: LiveEvent[] = [];
    const statuses: DaemonStatus[] = [];
    w2.onNotification(LiveEventNotification, (e) => void seen.push(e));
    w2.onNotification(StatusNotification, (s) => void statuses.push(s));
    const answer = await w1.sendRequest(ChatRequest, {
      request: { model: 'auto', messages: [{ role: 'user', content: 'from window 1' }] },
    });
    for (let i = 0; i < 50 && !seen.some((e) => e.type === 'decision'); i++)
      await new Promise((r) => setTimeout(r, 20));
    const event = seen.find((e) => e.type === 'decision');
    assert.ok(event && event.type === 'decision');
    assert.equal(event.row.request_id, answer.id);
    assert.ok(statuses.some((s) => s.lastModel === 'model-a'));

    await w1.sendRequest(Shutdown);
    await w1.sendNotification(Exit);
    const stillThere = await w2.sendRequest(HealthRequest, undefined);
    assert.equal(stillThere.status, 'ok');
  });

  test('API keys sent by a window (SetSecrets) are used at once, in memory only', async () => {
    const k = await startTestDaemon({
      models: [{ name: 'keyed', config: { api_key: '${FUGU_TEST_KEY}' }, fake: { apiKey: 'sk-test' } }],
      rpc: true,
    });
    try {
      const w = await connectTo(k);
      const ask = () =>
        w.sendRequest(ChatRequest, { request: { model: 'auto', messages: [{ role: 'user', content: 'key?' }] } });
      await assert.rejects(
        ask(),
        // Without its key the model is no candidate, and the error names the variable (issue 13).
        (err: unknown) =>
          err instanceof ResponseError && err.code === ErrorCodes.NoModels.rpc && /FUGU_TEST_KEY/.test(err.message),
      );
      await w.sendNotification(SetSecretsNotification, { env: { FUGU_TEST_KEY: 'sk-test' } });
      let answer = null;
      for (let i = 0; i < 50 && !answer; i++) {
        answer = await ask().catch(() => null);
        if (!answer) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(answer?.choices[0]?.message.content, 'fake answer from keyed-upstream to: key?');
      assert.equal(k.fakes['keyed']!.requests.at(-1)!.headers.authorization, 'Bearer sk-test');
      assert.ok(!readFileSync(k.configPath, 'utf8').includes('sk-test'), 'never written to disk');
    } finally {
      await k.close();
    }
  });

  test('vscode-lm models run in the window that offers them (bridge round trip)', async () => {
    const w = await connect();
    w.onRequest(VscodeLmChatRequest, async (params) => {
      assert.equal(params.modelId, 'copilot-gpt');
      for (const piece of ['from ', 'vs ', 'code'])
        await w.sendNotification(VscodeLmChunkNotification, { streamId: params.streamId, text: piece });
      return { text: 'from vs code' };
    });
    await w.sendNotification(VscodeLmModelsNotification, {
      models: [{ id: 'copilot-gpt', vendor: 'copilot', family: 'gpt', name: 'Copilot GPT', maxInputTokens: 64000 }],
    });
    await new Promise((r) => setTimeout(r, 50));
    const answer = await w.sendRequest(ChatRequest, {
      request: { model: 'copilot', messages: [{ role: 'user', content: 'hi copilot' }] },
    });
    assert.equal(answer.choices[0]?.message.content, 'from vs code');
    assert.equal(answer.model, 'copilot');
  });
});
