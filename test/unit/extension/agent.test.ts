// Agent mode and attachments without VS Code: LM messages with tool calls, tool results and images
// ↔ OpenAI messages, tools and tool mode → tools/tool_choice, streamed tool-call deltas → whole
// calls (through routedChat on a real JSON-RPC connection), the picker's capabilities, and the
// participant's references within a context window.
import '../../helpers/vscode-stub.cjs';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import type { ModelConfig } from '../../../shared/config';
import type { ChatCompletion, ChatCompletionChunk, ChatMessage, ModelListEntry } from '../../../shared/openai';
import { TOKENS_PER_MESSAGE } from '../../../shared/tokens';
import { buildCandidates } from '../../../daemon/core/candidates';
import { routingInput } from '../../../daemon/core/features';
import { ChatChunkNotification, ChatRequest, ModelsRequest, type ChatParams } from '../../../shared/protocol';
import {
  attachmentBudgetChars,
  contextTokensFor,
  fairShares,
  promptWithReferences,
  type ResolvedReference,
} from '../../../extension/chat/references';
import { registerChatParticipant } from '../../../extension/chat/participant';
import {
  countMessageTokens,
  messageText,
  modelOptionsRequest,
  ROLE_SYSTEM,
  ROLE_USER,
  type LmMessageLike,
  pickerModels,
  toOpenAiMessages,
  toOpenAiTools,
  toolChoice,
  TOOL_MODE_AUTO,
  TOOL_MODE_REQUIRED,
} from '../../../extension/lm/messages';
import { parseToolInput, ToolCallAssembler } from '../../../extension/lm/toolCalls';
import { routedChat } from '../../../extension/routedChat';
import { fakeCtx, rpcPair } from './helpers';

// The shapes of VS Code's part classes (the translation goes by fields, as the real ones have).
const text = (value: string) => ({ value });
const call = (callId: string, name: string, input: object) => ({ callId, name, input });
const result = (callId: string, content: unknown[]) => ({ callId, content });
const data = (mimeType: string, bytes: number[]) => ({ mimeType, data: new Uint8Array(bytes) });
const USER = 1;
const ASSISTANT = 2;
const SYSTEM = 3;

describe('LM messages → OpenAI messages', () => {
  it('turns tool calls into assistant tool_calls and tool results into role "tool" messages', () => {
    const out = toOpenAiMessages([
      { role: SYSTEM, content: [text('Be brief.')] },
      { role: USER, content: [text('Weather in Paris and Rome?')] },
      {
        role: ASSISTANT,
        content: [text('Checking.'), call('c1', 'weather', { city: 'Paris' }), call('c2', 'weather', { city: 'Rome' })],
      },
      { role: USER, content: [result('c2', [text('rain')]), result('c1', [text('sunny'), text(', 21 °C')])] },
    ]);
    assert.deepEqual(out, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          { id: 'c2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c2', content: 'rain' },
      { role: 'tool', tool_call_id: 'c1', content: 'sunny, 21 °C' },
    ]);
  });

  it('puts the user’s text after the tool results, and an assistant turn of calls only has null content', () => {
    const out = toOpenAiMessages([
      { role: USER, content: [text('go')] },
      { role: ASSISTANT, content: [call('c1', 'ls', {})] },
      { role: USER, content: [text('and then?'), result('c1', [text('a.ts b.ts')])] },
    ]);
    assert.deepEqual(
      out.map((m) => [m.role, m.content]),
      [
        ['user', 'go'],
        ['assistant', null],
        ['tool', 'a.ts b.ts'],
        ['user', 'and then?'],
      ],
    );
  });

  it('keeps upstreams happy when the history does not pair up: orphan results become text, unanswered calls get a result', () => {
    const out = toOpenAiMessages([
      { role: USER, content: [result('gone', [text('old output')]), text('next question')] },
      { role: ASSISTANT, content: [call('c9', 'build', {})] },
      { role: USER, content: [text('never mind')] },
    ]);
    assert.deepEqual(out, [
      { role: 'user', content: '[result of tool call gone]\nold outputnext question' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c9', type: 'function', function: { name: 'build', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'c9', content: '(no result: the tool was not run)' },
      { role: 'user', content: 'never mind' },
    ]);
  });

  it('sends image data parts as image_url data URLs, textual data as text, other data not at all', () => {
    const png = data('image/png', [0x89, 0x50, 0x4e, 0x47]);
    const out = toOpenAiMessages([
      {
        role: USER,
        content: [
          text('What is on this? '),
          png,
          data('text/plain', [...Buffer.from('notes')]),
          data('cache_control', [1]),
        ],
      },
    ]);
    assert.deepEqual(out, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is on this? notes' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw==' } },
        ],
      },
    ]);
  });

  it('moves images a tool returned into a user message after the results (tool messages carry text)', () => {
    const out = toOpenAiMessages([
      { role: ASSISTANT, content: [call('s1', 'screenshot', {})] },
      { role: USER, content: [result('s1', [text('captured'), data('image/jpeg', [1, 2, 3])])] },
    ]);
    assert.deepEqual(out.slice(1), [
      { role: 'tool', tool_call_id: 's1', content: 'captured' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AQID' } }] },
    ]);
  });

  it('reads prompt-tsx tool results as their text nodes', () => {
    const tsx = {
      value: {
        node: {
          type: 1,
          children: [
            { type: 2, text: 'line one ' },
            { type: 2, text: 'two' },
          ],
        },
      },
    };
    assert.equal(messageText([result('x', [tsx])]), 'line one two');
  });
});

describe('tools, tool mode and model options', () => {
  const tools = [
    {
      name: 'weather',
      description: 'Weather',
      inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
    },
    { name: 'ping', description: 'No input' },
  ];
  it('maps LanguageModelChatTools to OpenAI function tools (an empty object schema when none)', () => {
    assert.deepEqual(toOpenAiTools(tools), [
      {
        type: 'function',
        function: {
          name: 'weather',
          description: 'Weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
      {
        type: 'function',
        function: { name: 'ping', description: 'No input', parameters: { type: 'object', properties: {} } },
      },
    ]);
    assert.equal(toOpenAiTools([]), undefined);
    assert.equal(toOpenAiTools(undefined), undefined);
  });
  it('maps the tool mode: Auto → "auto", Required → "required" or the single tool by name', () => {
    assert.equal(toolChoice(TOOL_MODE_AUTO, tools), 'auto');
    assert.equal(toolChoice(TOOL_MODE_REQUIRED, tools), 'required');
    assert.deepEqual(toolChoice(TOOL_MODE_REQUIRED, tools.slice(0, 1)), {
      type: 'function',
      function: { name: 'weather' },
    });
    assert.equal(toolChoice(TOOL_MODE_REQUIRED, []), undefined);
  });
  it('passes sampling options of the right type and ignores the rest', () => {
    assert.deepEqual(modelOptionsRequest({ temperature: 0.2, max_tokens: 100, stop: ['\n'], top_p: 3, foo: 1 }), {
      temperature: 0.2,
      max_tokens: 100,
      stop: ['\n'],
    });
    assert.deepEqual(modelOptionsRequest(undefined), {});
  });
});

describe('tool-call deltas → whole calls', () => {
  it('assembles streamed deltas per index, hands each call out once, and reconciles with the completion', () => {
    const a = new ToolCallAssembler();
    a.add([{ index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '' } }]);
    a.add([{ index: 0, function: { arguments: '{"city":' } }]);
    a.add([{ index: 1, id: 'call_2', function: { name: 'ping', arguments: '' } }]);
    a.add([{ index: 0, function: { arguments: '"Paris"}' } }]);
    assert.deepEqual(a.take(), [
      { callId: 'call_1', name: 'weather', input: { city: 'Paris' } },
      { callId: 'call_2', name: 'ping', input: {} },
    ]);
    const final = [
      { id: 'call_1', type: 'function' as const, function: { name: 'weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_2', type: 'function' as const, function: { name: 'ping', arguments: '' } },
    ];
    assert.deepEqual(a.reconcile(final), [], 'nothing twice');
    assert.deepEqual(
      new ToolCallAssembler().reconcile(final).map((c) => c.callId),
      ['call_1', 'call_2'],
    );
  });
  it('gives calls without an id (Ollama) one, and refuses arguments that are not a JSON object', () => {
    const a = new ToolCallAssembler();
    a.add([{ index: 0, function: { name: 'ls', arguments: '{}' } }]);
    const [first] = a.take();
    assert.match(first!.callId, /^call_fugusashi_\w+$/);
    // The next round of an agent loop is a new request: VS Code pairs results with calls by id over
    // the whole loop, so a repeated id would pass the earlier result off as this call's.
    const nextRound = new ToolCallAssembler();
    nextRound.add([{ index: 0, function: { name: 'ls', arguments: '{}' } }]);
    assert.notEqual(nextRound.take()[0]!.callId, first!.callId);
    assert.throws(() => parseToolInput('ls', '{"a":'), /tool 'ls' with arguments that are not JSON: \{"a":/);
    assert.throws(() => parseToolInput('ls', '[1]'), /not a JSON object/);
  });
});

describe('picker capabilities', () => {
  const entry = (id: string, capabilities: string[], context_window?: number): ModelListEntry => ({
    id,
    object: 'model',
    created: 0,
    owned_by: 'x',
    provider: 'openai',
    capabilities,
    ...(context_window ? { context_window } : {}),
  });
  it('Auto calls tools when a pool model does, sees images when one does; each model declares its own', () => {
    const models = pickerModels(
      [entry('auto', []), entry('auto:orchestrate', []), entry('small', ['chat']), entry('big', ['tools', 'vision'])],
      '1',
    );
    const by = Object.fromEntries(models.map((m) => [m.id, m.capabilities]));
    assert.deepEqual(by['auto'], { toolCalling: true, imageInput: true });
    assert.deepEqual(by['auto:orchestrate'], { imageInput: true });
    assert.deepEqual(by['small'], { toolCalling: false, imageInput: false });
    assert.deepEqual(by['big'], { toolCalling: true, imageInput: true });
    const plain = pickerModels([entry('small', ['chat'])], '1');
    assert.deepEqual(plain[0]!.capabilities, { toolCalling: false, imageInput: false });
    // Before the daemon answers, Auto offers tool calling so agent mode can list it.
    assert.equal(pickerModels([], '1')[0]!.capabilities.toolCalling, true);
  });
  it('a model that cannot be called (its API key unset) gives Auto none of its abilities, and says why in the picker', () => {
    const keyless = { ...entry('gpt-big', ['tools', 'vision'], 128_000), unavailable: 'OPENAI_API_KEY is not set' };
    const models = pickerModels([entry('local', ['chat'], 8192), keyless], '1');
    const [auto] = models;
    // Auto routes around the model, so agent mode must not be offered an Auto that can call no tool.
    assert.deepEqual(auto!.capabilities, { toolCalling: false, imageInput: false });
    assert.equal(auto!.maxInputTokens, 8192 - 2048, 'the window of the one callable model, less room for the answer');
    const listed = models.find((m) => m.id === 'gpt-big');
    assert.match(listed!.detail ?? '', /unavailable/);
    assert.match(listed!.tooltip, /OPENAI_API_KEY is not set/);
  });
});

describe('picker token limits against the router', () => {
  const pool: ModelConfig[] = [
    { name: 'small', provider: 'openai', model: 'small', capabilities: ['chat', 'vision'], context_window: 16_000 },
    {
      name: 'big',
      provider: 'openai',
      model: 'big',
      capabilities: ['chat', 'code', 'vision'],
      context_window: 128_000,
    },
  ] as ModelConfig[];
  const listed: ModelListEntry[] = pool.map((m) => ({
    id: m.name,
    object: 'model',
    created: 0,
    owned_by: 'x',
    provider: 'openai',
    capabilities: m.capabilities,
    context_window: m.context_window!,
  }));
  /** A conversation VS Code would send: filled, by our provideTokenCount, up to `budget` tokens. */
  function filled(budget: number, images: number): ChatMessage[] {
    const image = { mimeType: 'image/png', data: new Uint8Array([1, 2, 3]) };
    const system = 'You are a coding agent. Fix the bug in the code below. '.repeat(20);
    const head: LmMessageLike[] = [
      { role: ROLE_SYSTEM, content: [new vscode.LanguageModelTextPart(system)] },
      // Screenshots of the bug: each one counts against the window for the router.
      { role: ROLE_USER, content: [new vscode.LanguageModelTextPart('See: '), ...Array(images).fill(image)] },
    ];
    const used = head.reduce((n, m) => n + countMessageTokens(m.content), 0);
    const fill = 'function f(x) { return x + 1; } // '
      .repeat(20_000)
      .slice(0, (budget - used - TOKENS_PER_MESSAGE) * 4);
    return toOpenAiMessages([...head, { role: ROLE_USER, content: [new vscode.LanguageModelTextPart(fill)] }]);
  }
  it('a prompt VS Code fills up to maxInputTokens still fits the model’s window with the answer the router expects', () => {
    const models = pickerModels(listed, '1');
    for (const id of ['small', 'big', 'auto']) {
      const picked = models.find((m) => m.id === id)!;
      for (const images of [0, 8]) {
        const messages = filled(picked.maxInputTokens, images);
        const input = routingInput({ model: id, messages }, { costWeight: 1, explore: false, random: () => 0.5 });
        const forced = id === 'auto' ? pool : pool.filter((m) => m.name === id);
        const { candidates, excluded } = buildCandidates(forced, input, { isCoolingDown: () => false });
        assert.ok(candidates.length > 0, `${id} with ${images} images: ${JSON.stringify(excluded)}`);
        assert.ok(
          picked.maxInputTokens + picked.maxOutputTokens <= (id === 'auto' ? 128_000 : forced[0]!.context_window!),
        );
      }
    }
  });
});

describe('references within the context window', () => {
  const ref = (label: string, textValue: string, kind: ResolvedReference['kind'] = 'file'): ResolvedReference => ({
    label,
    kind,
    text: textValue,
    language: 'ts',
  });

  it('shares the budget fairly: small attachments whole, big ones cut to what is left', () => {
    assert.deepEqual(fairShares([100, 10_000, 50], 1000), [100, 850, 50]);
    assert.deepEqual(fairShares([600, 600], 1000), [500, 500]);
    assert.deepEqual(fairShares([5, 5], -3), [0, 0]);
  });

  it('leaves the prompt as it is without references, and puts fenced files after it', () => {
    assert.deepEqual(promptWithReferences('hi', [], 100), { content: 'hi', droppedChars: 0, cut: [] });
    const { content, droppedChars } = promptWithReferences(
      'Explain',
      [ref('a.ts', 'const a = 1;'), ref('b.ts:3-4', 'x ``` y', 'selection'), ref('note', 'remember', 'text')],
      10_000,
    );
    assert.equal(droppedChars, 0);
    assert.equal(
      content,
      'Explain\n\n---\nAttached by the user:\n\nFile `a.ts`:\n```ts\nconst a = 1;\n```\n\n' +
        'Selection `b.ts:3-4`:\n````ts\nx ``` y\n````\n\nAttached `note`:\nremember',
    );
  });

  it('cuts what does not fit, with a marker saying how many characters were dropped, and stays within the budget', () => {
    const big = 'x'.repeat(50_000);
    const { content, droppedChars, cut } = promptWithReferences(
      'Summarize',
      [ref('big.txt', big), ref('s.ts', 'small')],
      4000,
    );
    assert.ok(content.length <= 4000, `${content.length} ≤ 4000`);
    assert.deepEqual(cut, ['big.txt']);
    const marker = /\[… (\d+) characters dropped to fit the model's context window\]/.exec(content);
    assert.ok(marker);
    assert.equal(Number(marker[1]), droppedChars);
    assert.equal(/x{10,}/.exec(content)![0].length + droppedChars, 50_000, 'kept + dropped = the file');
    assert.match(content, /File `s\.ts`:\n```ts\nsmall\n```/);
  });

  it('budgets the forced model’s window, or the largest of the pool for a routing mode', () => {
    const pool: ModelListEntry[] = [
      { id: 'auto', object: 'model', created: 0, owned_by: 'f' },
      { id: 'small', object: 'model', created: 0, owned_by: 'x', context_window: 16_000 },
      { id: 'big', object: 'model', created: 0, owned_by: 'x', context_window: 128_000 },
      { id: 'unknown', object: 'model', created: 0, owned_by: 'x' },
    ];
    assert.equal(contextTokensFor('auto', pool), 128_000);
    assert.equal(contextTokensFor('auto:cost', pool), 128_000);
    assert.equal(contextTokensFor('small', pool), 16_000);
    assert.equal(contextTokensFor('unknown', pool), 8192);
    // A model Auto cannot call (API key unset) is no window the router can send a long prompt to.
    const keyless = { ...pool[2]!, id: 'keyless', context_window: 1_000_000, unavailable: 'OPENAI_API_KEY is not set' };
    assert.equal(contextTokensFor('auto', [...pool, keyless]), 128_000);
    // 16k tokens: a quarter (4000) for the answer, the history's tokens and 64 spare, 4 chars a token.
    assert.equal(attachmentBudgetChars(16_000, ''), (16_000 - 4000 - 64) * 4);
    assert.equal(attachmentBudgetChars(16_000, 'x'.repeat(400)), (16_000 - 4000 - 100 - 64) * 4);
    assert.equal(attachmentBudgetChars(1000, 'x'.repeat(10_000)), 0);
  });
});

// ------------------------------------------------------------------ over a real JSON-RPC connection
const stub = (vscode as unknown as { __stub: { [k: string]: any } }).__stub;
let pair: ReturnType<typeof rpcPair>;
beforeEach(() => {
  stub.reset();
  pair = rpcPair();
});
afterEach(() => pair.dispose());

function chunk(delta: ChatCompletionChunk['choices'][number]['delta'], finish: 'tool_calls' | null = null) {
  return {
    id: 'c',
    object: 'chat.completion.chunk' as const,
    created: 0,
    model: 'big',
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}
function completion(message: ChatCompletion['choices'][number]['message']): ChatCompletion {
  return {
    id: 'req-t',
    object: 'chat.completion',
    created: 0,
    model: 'big',
    choices: [{ index: 0, message, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
  };
}

describe('routedChat with tool calls', () => {
  it('hands out each streamed call once, whole, before the request resolves', async () => {
    const seen: ChatParams[] = [];
    pair.daemon.onRequest(ChatRequest, async (params) => {
      seen.push(params);
      const send = (c: ChatCompletionChunk) =>
        pair.daemon.sendNotification(ChatChunkNotification, { streamId: params.streamId!, chunk: c });
      await send(chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_1', function: { name: 'weather' } }] }));
      await send(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":"Paris"}' } }] }));
      await send(chunk({}, 'tool_calls'));
      return completion({
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
      });
    });
    const { ctx } = fakeCtx(pair.rpc);
    const calls: unknown[] = [];
    const texts: string[] = [];
    const tools = toOpenAiTools([{ name: 'weather', description: 'w' }]);
    await routedChat(
      pair.rpc,
      ctx.chunks,
      {
        model: 'auto',
        messages: [{ role: 'user', content: 'weather?' }],
        ...(tools ? { tools } : {}),
        tool_choice: 'auto',
      },
      'lm-provider',
      { onText: (t) => texts.push(t), onToolCall: (c) => calls.push(c) },
    );
    assert.deepEqual(calls, [{ callId: 'call_1', name: 'weather', input: { city: 'Paris' } }]);
    assert.deepEqual(texts, []);
    assert.equal(seen[0]!.request.tool_choice, 'auto');
    assert.equal(seen[0]!.request.tools?.[0]?.function.name, 'weather');
  });

  it('rejects with a clear error when the model’s arguments are not JSON', async () => {
    pair.daemon.onRequest(ChatRequest, async (params) => {
      await pair.daemon.sendNotification(ChatChunkNotification, {
        streamId: params.streamId!,
        chunk: chunk(
          { tool_calls: [{ index: 0, id: 'call_1', function: { name: 'weather', arguments: '{city' } }] },
          'tool_calls',
        ),
      });
      return completion({ role: 'assistant', content: null });
    });
    const { ctx } = fakeCtx(pair.rpc);
    await assert.rejects(
      routedChat(pair.rpc, ctx.chunks, { model: 'auto', messages: [{ role: 'user', content: 'x' }] }, 'lm-provider', {
        onText: () => undefined,
        onToolCall: () => undefined,
      }),
      /tool 'weather' with arguments that are not JSON/,
    );
  });
});

describe('chat participant with references', () => {
  it('sends string references after the prompt, cut to the forced model’s window, and says what was dropped', async () => {
    const seen: ChatParams[] = [];
    pair.daemon.onRequest(ModelsRequest, () => [
      { id: 'tiny', object: 'model' as const, created: 0, owned_by: 'x', context_window: 1000 },
    ]);
    pair.daemon.onRequest(ChatRequest, (params) => {
      seen.push(params);
      return { ...completion({ role: 'assistant', content: 'ok' }), model: 'tiny' };
    });
    const { ctx } = fakeCtx(pair.rpc);
    registerChatParticipant(ctx);
    const parts: string[] = [];
    const stream = { markdown: (t: string) => parts.push(t), progress: () => undefined, reference: () => undefined };
    const outcome = await stub.participants[0].handler(
      {
        prompt: 'tiny Summarize',
        command: 'model',
        references: [
          { id: 'log', value: 'L'.repeat(10_000), modelDescription: 'build.log' },
          { id: 'note', value: 'short note' },
        ],
      },
      { history: [] },
      stream,
      new vscode.CancellationTokenSource().token,
    );
    assert.equal(outcome.errorDetails, undefined);
    const sent = seen[0]!.request.messages.at(-1)!.content as string;
    assert.equal(seen[0]!.request.model, 'tiny');
    assert.match(sent, /^Summarize\n\n---\nAttached by the user:\n/);
    // VS Code lists references last-first; they go in prompt order.
    assert.ok(sent.indexOf('Attached `note`:\nshort note') < sent.indexOf('Attached `build.log`:'));
    // 1000 tokens: 250 for the answer, 64 spare, 4 characters a token.
    assert.ok(sent.length <= (1000 - 250 - 64) * 4, `${sent.length} chars`);
    const dropped = Number(/\[… (\d+) characters dropped/.exec(sent)?.[1]);
    assert.ok(dropped > 7000 && dropped < 10_000, `${dropped}`);
    assert.match(parts.join(''), new RegExp(`${dropped} characters of build\\.log left out`));
  });

  it('does not send an attached image when the only model that sees is one Auto cannot call (API key unset)', async () => {
    const seen: ChatParams[] = [];
    pair.daemon.onRequest(ModelsRequest, () => [
      { id: 'local', object: 'model' as const, created: 0, owned_by: 'x', capabilities: ['chat'] },
      {
        id: 'keyless',
        object: 'model' as const,
        created: 0,
        owned_by: 'x',
        capabilities: ['chat', 'vision'],
        unavailable: 'OPENAI_API_KEY is not set',
      },
    ]);
    pair.daemon.onRequest(ChatRequest, (params) => {
      seen.push(params);
      return completion({ role: 'assistant', content: 'ok' });
    });
    const { ctx } = fakeCtx(pair.rpc);
    registerChatParticipant(ctx);
    const stream = { markdown: () => undefined, progress: () => undefined, reference: () => undefined };
    const image = { mimeType: 'image/png', data: async () => new Uint8Array([137, 80, 78, 71]) };
    const outcome = await stub.participants[0].handler(
      { prompt: 'What is in this picture?', references: [{ id: 'shot.png', value: image }] },
      { history: [] },
      stream,
      new vscode.CancellationTokenSource().token,
    );
    assert.equal(outcome.errorDetails, undefined);
    const sent = seen[0]!.request.messages.at(-1)!.content;
    assert.equal(typeof sent, 'string', JSON.stringify(sent).slice(0, 200));
    assert.match(sent as string, /`shot\.png`:\nan image, and no model in your pool accepts images/);
  });
});

describe('chat participant: attachments of earlier turns', () => {
  it('sends a file attached to an earlier question again with the follow-up (once, read as it is now)', async () => {
    const seen: ChatParams[] = [];
    pair.daemon.onRequest(ModelsRequest, () => [
      { id: 'big', object: 'model' as const, created: 0, owned_by: 'x', context_window: 100_000 },
    ]);
    pair.daemon.onRequest(ChatRequest, (params) => {
      seen.push(params);
      return completion({ role: 'assistant', content: 'ok' });
    });
    stub.files.set('/ws/util.ts', 'export const add = (a: number, b: number) => a + b;\nexport const two = 2;\n');
    stub.files.set('/ws/other.ts', 'export const other = 1;\n');
    const util = vscode.Uri.file('/ws/util.ts');
    const secondLine = new vscode.Location(util, new vscode.Range(1, 0, 1, 21));
    const { ctx } = fakeCtx(pair.rpc);
    registerChatParticipant(ctx);
    const shown: unknown[] = [];
    const stream = { markdown: () => undefined, progress: () => undefined, reference: (r: unknown) => shown.push(r) };
    const answered = (prompt: string) => ({
      participant: 'fugusashi.router',
      response: [],
      result: { metadata: { requestId: 'r', text: `answer to ${prompt}`, model: 'big', prompt, alternatives: [] } },
    });
    const history = [
      // VS Code lists a turn's references last-first.
      {
        prompt: 'What does this do?',
        participant: 'fugusashi.router',
        references: [
          { id: 'sel', value: secondLine },
          { id: 'f', value: util },
        ],
      },
      answered('What does this do?'),
      // A slash command's attachments are not part of the conversation.
      {
        prompt: '',
        participant: 'fugusashi.router',
        command: 'why',
        references: [{ id: 'o', value: vscode.Uri.file('/ws/other.ts') }],
      },
      { participant: 'fugusashi.router', response: [], result: {} },
    ];
    const outcome = await stub.participants[0].handler(
      // The follow-up attaches the same file again: it goes along once.
      { prompt: 'Now write a test for it', references: [{ id: 'f', value: util }] },
      { history },
      stream,
      new vscode.CancellationTokenSource().token,
    );
    assert.equal(outcome.errorDetails, undefined);
    const messages = seen[0]!.request.messages;
    assert.deepEqual(messages.slice(0, -1), [
      { role: 'user', content: 'What does this do?' },
      { role: 'assistant', content: 'answer to What does this do?' },
    ]);
    const sent = messages.at(-1)!.content as string;
    assert.match(sent, /^Now write a test for it\n\n---\nAttached by the user:\n/);
    assert.equal(sent.split('File `util.ts`:').length, 2, `util.ts once in ${sent}`);
    assert.match(sent, /export const add = \(a: number, b: number\) => a \+ b;/);
    assert.match(sent, /Selection `util\.ts:2`:\n```plaintext\nexport const two = 2;\n```/);
    assert.doesNotMatch(sent, /other\.ts/);
    assert.equal(shown.length, 2);
  });
});
