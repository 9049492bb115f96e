// An agent's tool round trip through a VS Code language model (provider `vscode-lm`), end to end:
// official OpenAI / Anthropic SDKs → the daemon's HTTP doors → router → vscode-lm provider → the
// daemon's JSON-RPC socket → the extension's real bridge (extension/vscodeLm.ts, with the `vscode`
// test stub) → a scripted VS Code model. Its tool-call parts must come back as each door's tool
// calls, and the tools, tool results and max tokens must reach it.
import '../../helpers/vscode-stub.cjs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import * as vscode from 'vscode';
import {
  createMessageConnection,
  RequestType,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { DAEMON_FILE, type DaemonFile } from '../../../shared/daemon';
import type { DaemonRpc } from '../../../extension/rpc';
import { registerVscodeLmBridge } from '../../../extension/vscodeLm';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { fakeCtx } from '../../unit/extension/helpers';

const Initialize = new RequestType<unknown, unknown, void>('initialize');
const stub = (vscode as unknown as { __stub: { chatModels: unknown[] } }).__stub;

interface SentRequest {
  messages: { role: number; content: unknown[] }[];
  options: vscode.LanguageModelChatRequestOptions;
}
const sent: SentRequest[] = [];

/**
 * The VS Code model: asked without a tool result it calls read_file on a.ts (after a short text);
 * shown the result, it answers.
 */
const copilot = {
  id: 'copilot-gpt',
  vendor: 'copilot',
  family: 'gpt',
  name: 'Copilot GPT',
  maxInputTokens: 64000,
  sendRequest: async (messages: SentRequest['messages'], options: SentRequest['options']) => {
    sent.push({ messages, options });
    const answered = messages.some((m) => m.content.some((p) => p instanceof vscode.LanguageModelToolResultPart));
    const parts = answered
      ? [new vscode.LanguageModelTextPart('a.ts exports a = 1.')]
      : [
          new vscode.LanguageModelTextPart('Let me look.'),
          new vscode.LanguageModelToolCallPart('call_vs_1', 'read_file', { path: 'a.ts' }),
        ];
    return {
      stream: (async function* () {
        yield* parts;
      })(),
    };
  },
};

const readFileTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'read_file',
    description: 'Read a workspace file',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
};

let d: TestDaemon;
let window: MessageConnection;
let socket: net.Socket;
let openai: OpenAI;

before(async () => {
  d = await startTestDaemon({
    models: [
      // Cheaper but without tools: `auto` must pass it over for requests that carry tools.
      { name: 'model-a', config: { cost_per_input_token: 0, cost_per_output_token: 0, capabilities: ['chat'] } },
      {
        name: 'copilot',
        config: {
          provider: 'vscode-lm',
          model: 'copilot-gpt',
          cost_per_input_token: 0.0001,
          cost_per_output_token: 0.0001,
          capabilities: ['chat', 'tools'],
        },
      },
    ],
    config: { default_model: 'model-a', routing: { prefer_local: false } },
  });
  openai = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  // A VS Code window: reads daemon.json, joins the socket, runs the extension's bridge.
  const info = JSON.parse(readFileSync(path.join(d.dataDir, DAEMON_FILE), 'utf8')) as DaemonFile;
  socket = net.connect(info.rpc.path);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  window = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
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
  connected.fire(rpc); // announces copilot-gpt to the daemon
  await new Promise((r) => setTimeout(r, 100));
});
after(async () => {
  window.dispose();
  socket.destroy();
  await d.close();
});

describe('vscode-lm tool round trip through the daemon', () => {
  test('chat completions (streamed): the tools and max_tokens reach the model, its call comes back', async () => {
    sent.length = 0;
    const stream = await openai.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'What does a.ts export?' }],
      tools: [readFileTool],
      max_tokens: 300,
      stream: true,
    });
    let text = '';
    let finish: string | null = null;
    const calls: { id?: string; name?: string; args: string }[] = [];
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      text += choice?.delta.content ?? '';
      for (const c of choice?.delta.tool_calls ?? []) {
        const call = (calls[c.index] ??= { args: '' });
        if (c.id) call.id = c.id;
        if (c.function?.name) call.name = c.function.name;
        call.args += c.function?.arguments ?? '';
      }
      finish = choice?.finish_reason ?? finish;
    }
    assert.equal(text, 'Let me look.');
    assert.deepEqual(calls, [{ id: 'call_vs_1', name: 'read_file', args: '{"path":"a.ts"}' }]);
    assert.equal(finish, 'tool_calls');
    const [request] = sent;
    assert.deepEqual(request?.options.tools, [
      { name: 'read_file', description: 'Read a workspace file', inputSchema: readFileTool.function.parameters },
    ]);
    assert.equal(request?.options.toolMode, vscode.LanguageModelChatToolMode.Auto);
    assert.deepEqual(request?.options.modelOptions, { max_tokens: 300 });
  });

  test('chat completions (JSON), second round: the call and its result reach the model as tool parts', async () => {
    sent.length = 0;
    const first = await openai.chat.completions.create({
      model: 'copilot',
      messages: [{ role: 'user', content: 'What does a.ts export?' }],
      tools: [readFileTool],
    });
    const assistant = first.choices[0]?.message;
    assert.equal(first.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual(assistant?.tool_calls, [
      { id: 'call_vs_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.ts"}' } },
    ]);
    const second = await openai.chat.completions.create({
      model: 'copilot',
      messages: [
        { role: 'user', content: 'What does a.ts export?' },
        assistant,
        { role: 'tool', tool_call_id: 'call_vs_1', content: 'export const a = 1;' },
      ],
      tools: [readFileTool],
    });
    assert.equal(second.choices[0]?.message.content, 'a.ts exports a = 1.');
    assert.equal(second.choices[0]?.finish_reason, 'stop');
    const history = sent[1]?.messages ?? [];
    assert.deepEqual(history.at(-2)?.content, [
      new vscode.LanguageModelTextPart('Let me look.'),
      new vscode.LanguageModelToolCallPart('call_vs_1', 'read_file', { path: 'a.ts' }),
    ]);
    assert.deepEqual(history.at(-1)?.content, [
      new vscode.LanguageModelToolResultPart('call_vs_1', [new vscode.LanguageModelTextPart('export const a = 1;')]),
    ]);
  });

  test('Anthropic Messages (as Claude Code calls it): the call comes back as a tool_use block', async () => {
    const anthropic = new Anthropic({ baseURL: d.url, apiKey: 'unused', maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: 'auto',
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'What does a.ts export?' }],
      tools: [
        {
          name: 'read_file',
          description: 'Read a workspace file',
          input_schema: { type: 'object', properties: { path: { type: 'string' } } },
        },
      ],
    });
    assert.equal(message.stop_reason, 'tool_use');
    const use = message.content.find((b) => b.type === 'tool_use');
    assert.deepEqual(use && { id: use.id, name: use.name, input: use.input }, {
      id: 'call_vs_1',
      name: 'read_file',
      input: { path: 'a.ts' },
    });
  });

  test('Responses: the call comes back as a function_call item', async () => {
    const response = await openai.responses.create({
      model: 'auto',
      input: 'What does a.ts export?',
      tools: [
        {
          type: 'function',
          name: 'read_file',
          description: 'Read a workspace file',
          parameters: readFileTool.function.parameters ?? null,
          strict: false,
        },
      ],
    });
    const call = response.output.find((o) => o.type === 'function_call');
    assert.deepEqual(call && { call_id: call.call_id, name: call.name, arguments: call.arguments }, {
      call_id: 'call_vs_1',
      name: 'read_file',
      arguments: '{"path":"a.ts"}',
    });
  });
});
