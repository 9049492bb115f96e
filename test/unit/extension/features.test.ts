// Feature modules against a real JSON-RPC connection (in-memory streams) whose daemon side is this
// test, with the `vscode` module stubbed (test/helpers/vscode-stub.cjs).
import '../../helpers/vscode-stub.cjs';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import type { DecisionRow, RateParams, Trace } from '../../../shared/api';
import type { ChatCompletion, ChatCompletionChunk, RoutingDecision } from '../../../shared/openai';
import {
  BenchmarkProgressNotification,
  BenchmarkRequest,
  ChatChunkNotification,
  ChatRequest,
  DecisionsRequest,
  ModelsRequest,
  RateRequest,
  SetSecretsNotification,
  StatusNotification,
  TraceRequest,
  VscodeLmChatRequest,
  VscodeLmChunkNotification,
  VscodeLmModelsNotification,
  type ChatParams,
} from '../../../shared/protocol';
import { registerAnswers, ANSWERS_URI } from '../../../extension/answers/feature';
import { BenchmarkTerminal } from '../../../extension/benchmark/task';
import { registerChatParticipant } from '../../../extension/chat/participant';
import { LogTail } from '../../../extension/daemon/logTail';
import { Commands } from '../../../extension/ids';
import { registerLmProvider } from '../../../extension/lm/provider';
import { routedChat } from '../../../extension/routedChat';
import { registerSecrets } from '../../../extension/secrets';
import { registerVscodeLmBridge } from '../../../extension/vscodeLm';
import { ResponseError } from 'vscode-jsonrpc/node';
import { fakeCtx, rpcPair } from './helpers';

const stub = (vscode as unknown as { __stub: { [k: string]: any } }).__stub;

const decision: RoutingDecision = {
  model: 'small-fast',
  confidence: 0.9,
  strategy: 'cost',
  latency_ms: 1,
  explanation: 'Cheapest model that can do chat.',
  alternatives: [
    { model: 'small-fast', score: 0.9 },
    { model: 'big-smart', score: 0.5 },
  ],
  estimated_cost: 0,
};

function completion(id: string, text: string): ChatCompletion {
  return {
    id,
    object: 'chat.completion',
    created: 0,
    model: 'small-fast',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    routing_decision: decision,
  };
}
function chunk(text: string, withDecision = false): ChatCompletionChunk {
  return {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'small-fast',
    choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
    ...(withDecision ? { routing_decision: decision } : {}),
  };
}

/** Daemon side of a streamed chat: sends chunks then resolves; records the params it got. */
function serveChat(pair: ReturnType<typeof rpcPair>, pieces: string[], seen: ChatParams[] = []) {
  pair.daemon.onRequest(ChatRequest, async (params) => {
    seen.push(params);
    for (const [i, p] of pieces.entries())
      await pair.daemon.sendNotification(ChatChunkNotification, {
        streamId: params.streamId!,
        chunk: chunk(p, i === 0),
      });
    return completion('req-1', pieces.join(''));
  });
  return seen;
}

let pair: ReturnType<typeof rpcPair>;
beforeEach(() => {
  stub.reset();
  pair = rpcPair();
});
afterEach(() => pair.dispose());

describe('routedChat', () => {
  it('streams text in order, reports the decision once, and returns the request id', async () => {
    const seen = serveChat(pair, ['Hel', 'lo']);
    const { ctx } = fakeCtx(pair.rpc);
    const texts: string[] = [];
    const decisions: RoutingDecision[] = [];
    const r = await routedChat(
      pair.rpc,
      ctx.chunks,
      { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
      'vscode-chat',
      {
        onText: (t) => texts.push(t),
        onDecision: (d) => decisions.push(d),
      },
    );
    assert.deepEqual(texts, ['Hel', 'lo']);
    assert.equal(decisions.length, 1);
    assert.equal(r.requestId, 'req-1');
    assert.equal(seen[0]!.source, 'vscode-chat');
    assert.equal(seen[0]!.request.stream, true);
    assert.equal(ctx.chunks.size, 0, 'stream listener removed');
  });
});

describe('chat participant', () => {
  const response = () => {
    const parts: string[] = [];
    return { parts, stream: { markdown: (t: string) => parts.push(t), progress: () => undefined } };
  };

  it('answers with the model line first, then the streamed text; thumbs reach the daemon as ratings', async () => {
    const seen = serveChat(pair, ['Paris', ' is the capital.']);
    const rated: RateParams[] = [];
    pair.daemon.onRequest(RateRequest, (p) => {
      rated.push(p);
      return { request_id: p.request_id, rating: 5, stored: true as const };
    });
    const { ctx } = fakeCtx(pair.rpc);
    registerChatParticipant(ctx);
    const participant = stub.participants[0];
    const { parts, stream } = response();
    const history = [
      { prompt: 'hi', participant: 'fugusashi.router' },
      {
        participant: 'fugusashi.router',
        response: [],
        result: { metadata: { requestId: 'r0', text: 'hello!', model: 'm', prompt: 'hi', alternatives: [] } },
      },
    ];
    const result = await participant.handler(
      { prompt: 'capital of France?', command: undefined },
      { history },
      stream,
      new vscode.CancellationTokenSource().token,
    );
    assert.match(parts[0]!, /^\*\*small-fast\*\* · 90% confident · cost — Cheapest model/);
    assert.equal(parts.slice(1).join(''), 'Paris is the capital.');
    assert.deepEqual(seen[0]!.request.messages, [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello!' },
      { role: 'user', content: 'capital of France?' },
    ]);
    assert.equal(result.metadata.requestId, 'req-1');
    assert.deepEqual(result.metadata.alternatives, ['big-smart']);
    const followups = participant.followupProvider.provideFollowups(result);
    assert.deepEqual(
      followups.map((f: { command: string }) => f.command),
      ['why', 'model', 'stats'],
    );
    assert.equal(followups[1].prompt, 'big-smart capital of France?');
    assert.equal(ctx.lastAnswer?.requestId, 'req-1');

    participant.__feedback.fire({ result, kind: vscode.ChatResultFeedbackKind.Helpful });
    for (let i = 0; i < 50 && rated.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(rated, [{ request_id: 'req-1', thumbs: 'up' }]);
  });

  it('says so when a thumbs rating is not stored (unknown request, daemon down), instead of only logging it', async () => {
    pair.daemon.onRequest(RateRequest, (p) => {
      throw new ResponseError(-32004, `Unknown request id "${p.request_id}"`);
    });
    const { ctx } = fakeCtx(pair.rpc);
    registerChatParticipant(ctx);
    const result = { metadata: { requestId: 'gone', text: 'x', model: 'm', prompt: 'p', alternatives: [] } };
    stub.participants[0].__feedback.fire({ result, kind: vscode.ChatResultFeedbackKind.Unhelpful });
    for (let i = 0; i < 50 && stub.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(stub.messages.length, 1);
    assert.match(stub.messages[0].text, /rating not stored: Unknown request id "gone"/);
  });

  it('/model forces the model and re-asks the last question when none is given', async () => {
    const seen = serveChat(pair, ['ok']);
    const { ctx } = fakeCtx(pair.rpc);
    registerChatParticipant(ctx);
    const { stream } = response();
    const history = [
      { prompt: 'explain monads', participant: 'fugusashi.router' },
      {
        participant: 'fugusashi.router',
        response: [],
        result: {
          metadata: {
            requestId: 'r0',
            text: 'a monad…',
            model: 'small-fast',
            prompt: 'explain monads',
            alternatives: [],
          },
        },
      },
    ];
    await stub.participants[0].handler(
      { prompt: 'big-smart', command: 'model' },
      { history },
      stream,
      new vscode.CancellationTokenSource().token,
    );
    assert.equal(seen[0]!.request.model, 'big-smart');
    assert.equal(seen[0]!.request.messages.at(-1)!.content, 'explain monads');
  });

  it('routes with the Fugusashi mode or model picked in the chat’s model picker; another vendor’s model means Auto', async () => {
    const seen = serveChat(pair, ['ok']);
    const { ctx } = fakeCtx(pair.rpc);
    registerChatParticipant(ctx);
    const ask = (model: { vendor: string; id: string }) =>
      stub.participants[0].handler(
        { prompt: 'hi', command: undefined, model },
        { history: [] },
        response().stream,
        new vscode.CancellationTokenSource().token,
      );
    await ask({ vendor: 'fugusashi', id: 'auto:cost' });
    await ask({ vendor: 'fugusashi', id: 'big-smart' });
    await ask({ vendor: 'copilot', id: 'gpt-4.1' });
    assert.deepEqual(
      seen.map((p) => p.request.model),
      ['auto:cost', 'big-smart', 'auto'],
    );
  });

  it('/why renders the trace of the last answer', async () => {
    const asked: string[] = [];
    pair.daemon.onRequest(TraceRequest, ({ request_id }) => {
      asked.push(request_id);
      return {
        request_id,
        prompt_preview: 'explain monads',
        decision,
        answered_by: 'small-fast',
        latency_ms: 10,
        cost_usd: 0,
        rating: null,
      } as unknown as Trace;
    });
    const { ctx } = fakeCtx(pair.rpc);
    registerChatParticipant(ctx);
    const { parts, stream } = response();
    const history = [
      {
        participant: 'fugusashi.router',
        response: [],
        result: { metadata: { requestId: 'r7', text: 'x', model: 'm', prompt: 'p', alternatives: [] } },
      },
    ];
    await stub.participants[0].handler(
      { prompt: '', command: 'why' },
      { history },
      stream,
      new vscode.CancellationTokenSource().token,
    );
    assert.deepEqual(asked, ['r7']);
    assert.match(parts.join(''), /### Why small-fast[\s\S]*\| big-smart \| 0\.500 \|/);
  });

  it('a request the user cancels ends quietly, not with the daemon’s cancellation as an error', async () => {
    pair.daemon.onRequest(
      ChatRequest,
      (_params, token) =>
        new Promise<ChatCompletion>((_resolve, reject) =>
          token.onCancellationRequested(() =>
            reject(new ResponseError(-32800, 'The request was cancelled by the client.')),
          ),
        ),
    );
    const { ctx } = fakeCtx(pair.rpc);
    registerChatParticipant(ctx);
    const cancel = new vscode.CancellationTokenSource();
    const answered = stub.participants[0].handler({ prompt: 'x' }, { history: [] }, response().stream, cancel.token);
    await new Promise((r) => setTimeout(r, 20));
    cancel.cancel();
    const result = await answered;
    assert.equal(result.errorDetails, undefined);
  });

  it('reports a daemon error as the chat error', async () => {
    pair.daemon.onRequest(ChatRequest, () => {
      throw new Error('all candidates failed');
    });
    const { ctx } = fakeCtx(pair.rpc);
    registerChatParticipant(ctx);
    const result = await stub.participants[0].handler(
      { prompt: 'x' },
      { history: [] },
      response().stream,
      new vscode.CancellationTokenSource().token,
    );
    assert.match(result.errorDetails.message, /all candidates failed/);
  });
});

describe('language-model provider', () => {
  it('lists Fugusashi Auto, refreshes from the daemon on connect, and streams answers', async () => {
    pair.daemon.onRequest(ModelsRequest, () => [
      { id: 'small-fast', object: 'model' as const, created: 0, owned_by: 'x', provider: 'openai' },
    ]);
    const seen = serveChat(pair, ['4']);
    const { ctx, connected } = fakeCtx(pair.rpc);
    registerLmProvider(ctx);
    const { vendor, provider } = stub.lmProviders[0];
    assert.equal(vendor, 'fugusashi');
    assert.deepEqual(
      provider.provideLanguageModelChatInformation({ silent: true }).map((m: { id: string }) => m.id),
      ['auto'],
    );
    const changed = new Promise<void>((resolve) => provider.onDidChangeLanguageModelChatInformation(() => resolve()));
    connected.fire(pair.rpc);
    await changed;
    assert.deepEqual(
      provider.provideLanguageModelChatInformation({ silent: true }).map((m: { id: string }) => m.id),
      ['auto', 'small-fast'],
    );
    const reported: string[] = [];
    await provider.provideLanguageModelChatResponse(
      { id: 'auto' },
      [{ role: 1, content: [new vscode.LanguageModelTextPart('2+2?')] }],
      {},
      { report: (p: { value: string }) => reported.push(p.value) },
      new vscode.CancellationTokenSource().token,
    );
    assert.deepEqual(reported, ['4']);
    assert.equal(seen[0]!.source, 'lm-provider');
    assert.equal(await provider.provideTokenCount({ id: 'auto' }, 'abcdefgh'), 2);
  });

  it('lists the pool again when the daemon’s config changes (an API key arrived, config.yaml edited)', async () => {
    let pool = [{ id: 'small-fast', object: 'model' as const, created: 0, owned_by: 'x', provider: 'openai' }];
    pair.daemon.onRequest(ModelsRequest, () => pool);
    const { ctx, connected } = fakeCtx(pair.rpc);
    registerLmProvider(ctx);
    const { provider } = stub.lmProviders[0];
    const changes: number[] = [];
    provider.onDidChangeLanguageModelChatInformation(() => changes.push(Date.now()));
    connected.fire(pair.rpc);
    for (let i = 0; i < 50 && changes.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
    pool = [...pool, { id: 'big-smart', object: 'model' as const, created: 0, owned_by: 'x', provider: 'openai' }];
    // An answer's status (it names the model) is no config change: no refresh for it.
    await pair.daemon.sendNotification(StatusNotification, { health: 'ok', models: 2, lastModel: 'small-fast' });
    // The daemon pushes its status to every window after a config reload.
    await pair.daemon.sendNotification(StatusNotification, { health: 'ok', models: 2 });
    for (let i = 0; i < 50 && changes.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(changes.length, 2);
    assert.deepEqual(
      provider.provideLanguageModelChatInformation({ silent: true }).map((m: { id: string }) => m.id),
      ['auto', 'small-fast', 'big-smart'],
    );
  });
});

describe('recent answers and CodeLens rating', () => {
  const row: DecisionRow = {
    request_id: 'req-9',
    created_at: Date.now(),
    source: 'vscode-chat',
    requested_model: 'auto',
    prompt_preview: 'capital of France?',
    decision,
    status: 'ok',
    answered_by: 'small-fast',
    usage: null,
    cost_usd: 0,
    latency_ms: 5,
    rating: null,
  };
  it('renders the answers, offers lenses, and a lens rating reaches the daemon and shows', async () => {
    let rating: number | null = null;
    pair.daemon.onRequest(DecisionsRequest, () => [{ ...row, rating }]);
    pair.daemon.onRequest(TraceRequest, () => ({ ...row, rating, response_text: 'Paris.' }) as unknown as Trace);
    pair.daemon.onRequest(RateRequest, (p) => {
      rating = p.rating ?? (p.thumbs === 'up' ? 5 : 1);
      return { request_id: p.request_id, rating, stored: true as const };
    });
    const { ctx } = fakeCtx(pair.rpc);
    registerAnswers(ctx);
    const doc = await vscode.workspace.openTextDocument(ANSWERS_URI);
    assert.match(doc.getText(), /## 1\. capital of France\?[\s\S]*> Paris\./);
    const lensProvider = stub.codeLensProviders[0].provider;
    let lenses = lensProvider.provideCodeLenses();
    assert.equal(lenses.length, 3);
    stub.quickPickAnswers.push(1); // "★★★★☆ 4 — good"
    await vscode.commands.executeCommand(lenses[0].command.command, ...lenses[0].command.arguments);
    assert.equal(rating, 4);
    lenses = lensProvider.provideCodeLenses();
    assert.match(lenses[0].command.title, /Rated ★★★★☆ \(4\/5\)/);
    await vscode.commands.executeCommand(Commands.thumbsAnswer, 'req-9', 'down');
    assert.equal(rating, 1);
  });
  it('rateAnswer from the palette rates the newest answer', async () => {
    const rated: RateParams[] = [];
    pair.daemon.onRequest(DecisionsRequest, () => [row]);
    pair.daemon.onRequest(RateRequest, (p) => {
      rated.push(p);
      return { request_id: p.request_id, rating: 5, stored: true as const };
    });
    const { ctx } = fakeCtx(pair.rpc);
    registerAnswers(ctx);
    stub.quickPickAnswers.push('$(thumbsup) Thumbs up');
    await vscode.commands.executeCommand(Commands.rateAnswer);
    assert.deepEqual(rated, [{ request_id: 'req-9', thumbs: 'up' }]);
  });
});

describe('benchmark task terminal', () => {
  const run = async (term: BenchmarkTerminal) => {
    let out = '';
    term.onDidWrite((t) => (out += t));
    const code = new Promise<number>((resolve) => term.onDidClose((c) => resolve(c)));
    term.open();
    return { code: await code, out: () => out };
  };
  it('shows live progress and the summary, exit code 0', async () => {
    pair.daemon.onRequest(BenchmarkRequest, async (p) => {
      await pair.daemon.sendNotification(BenchmarkProgressNotification, {
        run_id: 'other',
        phase: 'x',
        done: 1,
        total: 1,
      });
      await pair.daemon.sendNotification(BenchmarkProgressNotification, {
        run_id: p.runId,
        phase: 'embedding',
        done: 5,
        total: 10,
      });
      await pair.daemon.sendNotification(BenchmarkProgressNotification, {
        run_id: p.runId,
        phase: 'embedding',
        done: 10,
        total: 10,
      });
      return {
        dataset: p.dataset,
        mode: p.mode,
        rows: 10,
        models: ['a', 'b'],
        apgr: 0.5,
        cpt50: 40,
        cpt80: 70,
        duration_ms: 100,
      };
    });
    const { ctx } = fakeCtx(pair.rpc);
    const { code, out } = await run(new BenchmarkTerminal(ctx, { type: 'fugusashi-benchmark', dataset: 'sample' }));
    assert.equal(code, 0);
    assert.match(out(), /dataset sample, mode sample/);
    assert.match(out(), /100% embedding \(10\/10\)/);
    assert.ok(!out().includes(' x (1/1)'), 'other runs’ progress is not shown');
    assert.match(out(), /Benchmark summary: sample \(sample\), 10 rows[\s\S]*APGR 0\.500/);
    assert.ok(!/[^\r]\n/.test(out()), 'CRLF line endings');
  });
  it('fails with exit code 1 and the daemon’s message', async () => {
    pair.daemon.onRequest(BenchmarkRequest, () => {
      throw new ResponseError(-32602, 'dataset not found: nope.csv'); // as the daemon's handlers map errors
    });
    const { ctx } = fakeCtx(pair.rpc);
    const { code, out } = await run(new BenchmarkTerminal(ctx, { type: 'fugusashi-benchmark', dataset: 'nope.csv' }));
    assert.equal(code, 1);
    assert.match(out(), /Benchmark failed: dataset not found: nope\.csv/);
  });
  it('sends a tasks.json dataset path relative to the workspace folder as an absolute path', async () => {
    const asked: string[] = [];
    pair.daemon.onRequest(BenchmarkRequest, (p) => {
      asked.push(p.dataset);
      throw new ResponseError(-32602, 'stop here');
    });
    const { ctx } = fakeCtx(pair.rpc);
    const definition = { type: 'fugusashi-benchmark', dataset: 'data/bench.csv' };
    await run(new BenchmarkTerminal(ctx, definition, path.join(os.tmpdir(), 'ws')));
    assert.deepEqual(asked, [path.join(os.tmpdir(), 'ws', 'data', 'bench.csv')]);
  });
});

describe('secrets and vscode-lm bridge', () => {
  it('stores an API key in SecretStorage and sends the env to the daemon on connect, in memory only', async () => {
    const received: Record<string, string>[] = [];
    pair.daemon.onNotification(SetSecretsNotification, ({ env }) => void received.push(env));
    const { ctx, connected } = fakeCtx(pair.rpc);
    registerSecrets(ctx);
    stub.quickPickAnswers.push('OPENAI_API_KEY');
    stub.inputBoxAnswers.push('sk-test-123');
    await vscode.commands.executeCommand(Commands.setApiKey);
    connected.fire(pair.rpc);
    for (let i = 0; i < 50 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(received.at(-1), { OPENAI_API_KEY: 'sk-test-123' });
  });

  it('announces VS Code models (never its own) and runs them for the daemon, streaming chunks', async () => {
    const announced: unknown[] = [];
    const chunks: string[] = [];
    pair.daemon.onNotification(VscodeLmModelsNotification, ({ models }) => void announced.push(models));
    pair.daemon.onNotification(VscodeLmChunkNotification, ({ text }) => void chunks.push(text));
    stub.chatModels = [
      {
        id: 'copilot-4o',
        vendor: 'copilot',
        family: 'gpt-4o',
        name: 'GPT-4o',
        maxInputTokens: 64000,
        sendRequest: async () => ({
          stream: (async function* () {
            yield new vscode.LanguageModelTextPart('Hi');
            yield new vscode.LanguageModelTextPart('!');
          })(),
        }),
      },
      { id: 'auto', vendor: 'fugusashi', family: 'fugusashi', name: 'Fugusashi Auto', maxInputTokens: 1 },
    ];
    const { ctx, connected } = fakeCtx(pair.rpc);
    registerVscodeLmBridge(ctx);
    connected.fire(pair.rpc);
    for (let i = 0; i < 50 && announced.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(announced[0], [
      { id: 'copilot-4o', vendor: 'copilot', family: 'gpt-4o', name: 'GPT-4o', maxInputTokens: 64000 },
    ]);
    const result = await pair.daemon.sendRequest(VscodeLmChatRequest, {
      modelId: 'copilot-4o',
      messages: [{ role: 'user', content: 'hi' }],
      streamId: 's1',
    });
    assert.equal(result.text, 'Hi!');
    await assert.rejects(
      pair.daemon.sendRequest(VscodeLmChatRequest, { modelId: 'auto', messages: [], streamId: 's2' }),
      /not available/,
    );
    assert.deepEqual(chunks, ['Hi', '!']);
  });

  it('stops the VS Code model when the daemon is gone mid-answer, without an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let stoppedAfter: number | undefined;
    stub.chatModels = [
      {
        id: 'copilot-4o',
        vendor: 'copilot',
        family: 'gpt-4o',
        name: 'GPT-4o',
        maxInputTokens: 64000,
        sendRequest: async (_messages: unknown, _options: unknown, token: vscode.CancellationToken) => ({
          stream: (async function* () {
            for (let i = 0; i < 50; i++) {
              if (token.isCancellationRequested) {
                stoppedAfter = i;
                return;
              }
              yield new vscode.LanguageModelTextPart(`piece${i} `);
              await new Promise((r) => setTimeout(r, 5));
            }
          })(),
        }),
      },
    ];
    // As the LanguageClient does once the daemon's connection is gone: notifications reject.
    let sent = 0;
    const rpc = {
      ...pair.rpc,
      sendNotification: (type: never, params: never) =>
        ++sent > 1 ? Promise.reject(new Error('Client is not running')) : pair.rpc.sendNotification(type, params),
    };
    const { ctx } = fakeCtx(rpc);
    registerVscodeLmBridge(ctx);
    const result = await pair.daemon.sendRequest(VscodeLmChatRequest, {
      modelId: 'copilot-4o',
      messages: [{ role: 'user', content: 'a long answer' }],
      streamId: 's3',
    });
    await new Promise((r) => setTimeout(r, 50));
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, []);
    assert.ok(stoppedAfter !== undefined && stoppedAfter < 10, `the model generated ${stoppedAfter ?? 50} pieces`);
    assert.ok(result.text.startsWith('piece0 '));
  });
});

describe('daemon log tail', () => {
  it('follows appended lines and survives a new (truncated) log', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fgl-'));
    const file = path.join(dir, 'daemon.log');
    let out = '';
    const tail = new LogTail(file, (t) => (out += t));
    await tail.poll(); // no file yet: nothing, no throw
    writeFileSync(file, 'old line\n');
    await tail.poll(4); // starts from the last 4 bytes
    assert.equal(out, 'ine\n');
    appendFileSync(file, 'new line\n');
    await tail.poll();
    assert.equal(out, 'ine\nnew line\n');
    writeFileSync(file, 'x\n');
    await tail.poll();
    assert.equal(out, 'ine\nnew line\nx\n');
    rmSync(dir, { recursive: true, force: true });
  });
  it('follows the log of the data directory in use now (fugusashi.dataDir changed), not the first one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fgl-'));
    const first = path.join(dir, 'a.log');
    const second = path.join(dir, 'b.log');
    let current = first;
    let out = '';
    const tail = new LogTail(
      () => current,
      (t) => (out += t),
    );
    writeFileSync(first, 'a1\n');
    await tail.poll(100);
    writeFileSync(second, 'b, before the switch\n');
    current = second;
    await tail.poll();
    appendFileSync(second, 'b2\n');
    appendFileSync(first, 'a2\n');
    await tail.poll();
    assert.equal(out, 'a1\nb2\n');
    rmSync(dir, { recursive: true, force: true });
  });
});
