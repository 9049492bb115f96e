// The window's side of the vscode-lm bridge with tools: the daemon's OpenAI-shaped request (tools,
// tool_choice, tool calls and results in the history, max tokens) reaches the VS Code model as
// vscode.lm tools, tool mode, tool parts and model options, and the model's tool-call parts come back
// to the daemon as OpenAI tool calls. Real JSON-RPC between the two sides; `vscode` is the test stub.
import '../../helpers/vscode-stub.cjs';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import type { ChatMessage, Tool, ToolCall } from '../../../shared/openai';
import { VscodeLmChatRequest, VscodeLmChunkNotification } from '../../../shared/protocol';
import { registerVscodeLmBridge } from '../../../extension/vscodeLm';
import { fakeCtx, rpcPair } from './helpers';

const stub = (vscode as unknown as { __stub: { chatModels: unknown[]; reset(): void } }).__stub;

let pair: ReturnType<typeof rpcPair>;
beforeEach(() => {
  stub.reset();
  pair = rpcPair();
});
afterEach(() => pair.dispose());

const readFile: Tool = {
  type: 'function',
  function: {
    name: 'read_file',
    description: 'Read a file of the workspace',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
};
const listDir: Tool = { type: 'function', function: { name: 'list_dir' } };

/** An agent loop's second round: the model called read_file, the tool answered. */
const history: ChatMessage[] = [
  { role: 'system', content: 'You are a coding agent.' },
  { role: 'user', content: 'What is in a.ts?' },
  {
    role: 'assistant',
    content: 'Let me look.',
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.ts"}' } }],
  },
  { role: 'tool', tool_call_id: 'call_1', content: 'export const a = 1;' },
];

interface SentRequest {
  messages: { role: number; content: unknown[] }[];
  options: vscode.LanguageModelChatRequestOptions;
}

/** A VS Code model that records what it was sent and streams `parts` back. */
function fakeModel(parts: unknown[], sent: SentRequest[]) {
  return {
    id: 'copilot-4o',
    vendor: 'copilot',
    family: 'gpt-4o',
    name: 'GPT-4o',
    maxInputTokens: 64000,
    sendRequest: async (messages: SentRequest['messages'], options: SentRequest['options']) => {
      sent.push({ messages, options });
      return {
        stream: (async function* () {
          yield* parts;
        })(),
      };
    },
  };
}

describe('vscode-lm bridge with tools', () => {
  it('hands the tools, tool mode, max tokens and the tool-call history to the VS Code model', async () => {
    const sent: SentRequest[] = [];
    stub.chatModels = [fakeModel([new vscode.LanguageModelTextPart('a = 1')], sent)];
    registerVscodeLmBridge(fakeCtx(pair.rpc).ctx);
    const result = await pair.daemon.sendRequest(VscodeLmChatRequest, {
      modelId: 'copilot-4o',
      messages: history,
      streamId: 's1',
      maxTokens: 77,
      tools: [readFile, listDir],
      toolChoice: 'required',
    });
    assert.deepEqual(result, { text: 'a = 1' });
    const [request] = sent;
    assert.ok(request);
    assert.deepEqual(request.options.tools, [
      { name: 'read_file', description: 'Read a file of the workspace', inputSchema: readFile.function.parameters },
      { name: 'list_dir', description: '', inputSchema: { type: 'object', properties: {} } },
    ]);
    assert.equal(request.options.toolMode, vscode.LanguageModelChatToolMode.Required);
    assert.deepEqual(request.options.modelOptions, { max_tokens: 77 });
    // system → user turn (vscode.lm has no system role), the assistant's call, then its result.
    assert.deepEqual(
      request.messages.map((m) => m.role),
      [1, 1, 2, 1],
    );
    assert.deepEqual(request.messages[2]?.content, [
      new vscode.LanguageModelTextPart('Let me look.'),
      new vscode.LanguageModelToolCallPart('call_1', 'read_file', { path: 'a.ts' }),
    ]);
    assert.deepEqual(request.messages[3]?.content, [
      new vscode.LanguageModelToolResultPart('call_1', [new vscode.LanguageModelTextPart('export const a = 1;')]),
    ]);
  });

  it('forces a tool chosen by name, and sends no tools for tool_choice "none" or a request without tools', async () => {
    const sent: SentRequest[] = [];
    stub.chatModels = [fakeModel([new vscode.LanguageModelTextPart('ok')], sent)];
    registerVscodeLmBridge(fakeCtx(pair.rpc).ctx);
    const base = { modelId: 'copilot-4o', messages: [{ role: 'user' as const, content: 'hi' }] };
    await pair.daemon.sendRequest(VscodeLmChatRequest, {
      ...base,
      streamId: 's1',
      tools: [readFile, listDir],
      toolChoice: { type: 'function', function: { name: 'list_dir' } },
    });
    await pair.daemon.sendRequest(VscodeLmChatRequest, { ...base, streamId: 's2', tools: [readFile] });
    await pair.daemon.sendRequest(VscodeLmChatRequest, {
      ...base,
      streamId: 's3',
      tools: [readFile],
      toolChoice: 'none',
    });
    await pair.daemon.sendRequest(VscodeLmChatRequest, { ...base, streamId: 's4' });
    assert.deepEqual(
      sent[0]?.options.tools?.map((t) => t.name),
      ['list_dir'],
    );
    assert.equal(sent[0]?.options.toolMode, vscode.LanguageModelChatToolMode.Required);
    assert.equal(sent[1]?.options.toolMode, vscode.LanguageModelChatToolMode.Auto);
    for (const request of sent.slice(2)) {
      assert.equal(request.options.tools, undefined);
      assert.equal(request.options.toolMode, undefined);
      assert.equal(request.options.modelOptions, undefined);
    }
  });

  it("streams the model's tool calls back as OpenAI tool calls, after its text", async () => {
    const chunks: { text: string; toolCalls?: ToolCall[] }[] = [];
    pair.daemon.onNotification(
      VscodeLmChunkNotification,
      ({ text, toolCalls }) => void chunks.push(toolCalls ? { text, toolCalls } : { text }),
    );
    stub.chatModels = [
      fakeModel(
        [
          // A part of another kind with a text value (as a model's thinking part has): not answer text.
          { value: 'The user wants two files.', id: 'thinking-1' },
          new vscode.LanguageModelTextPart('Reading both.'),
          new vscode.LanguageModelToolCallPart('call_a', 'read_file', { path: 'a.ts' }),
          new vscode.LanguageModelToolCallPart('call_b', 'read_file', { path: 'b.ts' }),
        ],
        [],
      ),
    ];
    registerVscodeLmBridge(fakeCtx(pair.rpc).ctx);
    const result = await pair.daemon.sendRequest(VscodeLmChatRequest, {
      modelId: 'copilot-4o',
      messages: [{ role: 'user', content: 'read a.ts and b.ts' }],
      streamId: 's1',
      tools: [readFile],
    });
    const callA: ToolCall = {
      id: 'call_a',
      type: 'function',
      function: { name: 'read_file', arguments: '{"path":"a.ts"}' },
    };
    const callB: ToolCall = {
      id: 'call_b',
      type: 'function',
      function: { name: 'read_file', arguments: '{"path":"b.ts"}' },
    };
    assert.deepEqual(result, { text: 'Reading both.', toolCalls: [callA, callB] });
    for (let i = 0; i < 50 && chunks.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(chunks, [
      { text: 'Reading both.' },
      { text: '', toolCalls: [callA] },
      { text: '', toolCalls: [callB] },
    ]);
  });
});

describe('vscode-lm bridge with images', () => {
  // A real 1×1 PNG, as the chat attaches it: a data URL in an OpenAI image_url part.
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
  const withImage: ChatMessage[] = [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in this image?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
        { type: 'text', text: ' And this one?' },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
      ],
    },
  ];

  it('hands an image to the VS Code model as a LanguageModelDataPart, in place', async () => {
    const sent: SentRequest[] = [];
    stub.chatModels = [fakeModel([new vscode.LanguageModelTextPart('a pixel')], sent)];
    registerVscodeLmBridge(fakeCtx(pair.rpc).ctx);
    await pair.daemon.sendRequest(VscodeLmChatRequest, { modelId: 'copilot-4o', messages: withImage, streamId: 's1' });
    const DataPart = (vscode as unknown as { LanguageModelDataPart: new (d: Uint8Array, m: string) => unknown })
      .LanguageModelDataPart;
    assert.deepEqual(sent[0]?.messages[0]?.content, [
      new vscode.LanguageModelTextPart('What is in this image?'),
      new DataPart(new Uint8Array(Buffer.from(png, 'base64')), 'image/png'),
      // A web URL is not bytes: VS Code models take data, so the link is named in the text.
      new vscode.LanguageModelTextPart(' And this one?[image: https://example.com/cat.jpg]'),
    ]);
  });

  it('says an image was left out when this VS Code has no LanguageModelDataPart', async () => {
    // The module object itself (the import above is a copy whose getters read it).
    const api = createRequire(import.meta.url)('vscode') as Record<string, unknown>;
    const saved = api.LanguageModelDataPart;
    delete api.LanguageModelDataPart;
    try {
      const sent: SentRequest[] = [];
      stub.chatModels = [fakeModel([new vscode.LanguageModelTextPart('ok')], sent)];
      registerVscodeLmBridge(fakeCtx(pair.rpc).ctx);
      await pair.daemon.sendRequest(VscodeLmChatRequest, {
        modelId: 'copilot-4o',
        messages: [withImage[0]!, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'thanks' }],
        streamId: 's1',
      });
      const first = sent[0]?.messages[0]?.content as vscode.LanguageModelTextPart[];
      assert.equal(first.length, 1);
      assert.match(first[0]!.value, /^What is in this image\?\[an image \(image\/png\) left out: /);
      assert.deepEqual(sent[0]?.messages[2]?.content, [new vscode.LanguageModelTextPart('thanks')]);
    } finally {
      api.LanguageModelDataPart = saved;
    }
  });

  it('hands on a data URL with parameters, and names one it cannot decode by its type, not its payload', async () => {
    const sent: SentRequest[] = [];
    stub.chatModels = [fakeModel([new vscode.LanguageModelTextPart('ok')], sent)];
    registerVscodeLmBridge(fakeCtx(pair.rpc).ctx);
    const svg = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg"/>')}`;
    // A parameter before ;base64 (RFC 2397 allows them) is still an image to hand on.
    const dot = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
    const png = `data:image/png;name=dot.png;base64,${dot}`;
    await pair.daemon.sendRequest(VscodeLmChatRequest, {
      modelId: 'copilot-4o',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look:' },
            { type: 'image_url', image_url: { url: svg } },
            { type: 'image_url', image_url: { url: png } },
          ],
        },
      ],
      streamId: 's1',
    });
    const DataPart = (vscode as unknown as { LanguageModelDataPart: new (d: Uint8Array, m: string) => unknown })
      .LanguageModelDataPart;
    assert.deepEqual(sent[0]?.messages[0]?.content, [
      new vscode.LanguageModelTextPart('Look:[an image (image/svg+xml) left out: its data URL could not be decoded]'),
      new DataPart(new Uint8Array(Buffer.from(dot, 'base64')), 'image/png'),
    ]);
  });
});
