// The VS Code LM adapter over a bridge. The bridge is the outer edge here (the RPC layer implements it
// over a real JSON-RPC connection); this in-process one yields text pieces like an extension would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelConfig } from '../../../shared/config';
import type { ChatCompletionChunk, Tool, ToolCall } from '../../../shared/openai';
import type { VscodeLmChatParams, VscodeLmPiece } from '../../../shared/protocol';
import { createProviderRegistry } from '../../../daemon/providers/registry';
import { ProviderError, type VscodeLmBridge } from '../../../daemon/providers/types';
import { VscodeLmProvider } from '../../../daemon/providers/vscode-lm';

const model: ModelConfig = {
  name: 'copilot-gpt',
  provider: 'vscode-lm',
  model: 'copilot/gpt-4o',
  cost_per_input_token: 0,
  cost_per_output_token: 0,
  capabilities: ['chat'],
  max_output_tokens: 500,
};
const options = (signal = new AbortController().signal, firstByteTimeoutMs = 2_000) => ({
  signal,
  connectTimeoutMs: 1_000,
  firstByteTimeoutMs,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function bridge(pieces: VscodeLmPiece[], opts: { delayMs?: number; failAfter?: number } = {}) {
  const calls: (Omit<VscodeLmChatParams, 'streamId'> & { signal: AbortSignal })[] = [];
  const b: VscodeLmBridge & { calls: typeof calls; connected: boolean } = {
    calls,
    connected: true,
    available: () => b.connected,
    async *chat(params, signal) {
      calls.push({ ...params, signal });
      for (let i = 0; i < pieces.length; i++) {
        if (opts.delayMs) await sleep(opts.delayMs);
        if (signal.aborted) throw new Error('Canceled');
        if (opts.failAfter === i) throw new Error('Response contained no choices.');
        yield pieces[i]!;
      }
    },
  };
  return b;
}

const req = { model: 'copilot/gpt-4o', messages: [{ role: 'user' as const, content: 'hello there, model' }] };

test('no window connected: a retryable connect error, so routing goes elsewhere', async () => {
  const b = bridge(['x']);
  b.connected = false;
  await assert.rejects(
    new VscodeLmProvider(b).chat(model, req, options()),
    (e: unknown) => e instanceof ProviderError && e.phase === 'connect' && e.retryable,
  );
  const registry = createProviderRegistry();
  await assert.rejects(
    registry.get('vscode-lm').chat(model, req, options()),
    (e: unknown) => e instanceof ProviderError && e.retryable,
  );
});

test('text pieces become OpenAI chunks, with estimated usage last; the bridge gets id, messages, maxTokens', async () => {
  const b = bridge(['Hel', 'lo', ' world']);
  const chunks = [];
  for await (const c of new VscodeLmProvider(b).chatStream(model, req, options())) chunks.push(c);
  assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hello world');
  assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
  assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  assert.equal(b.calls[0]?.modelId, 'copilot/gpt-4o');
  assert.equal(b.calls[0]?.maxTokens, 500);

  const completion = await new VscodeLmProvider(bridge(['a', 'b'])).chat(model, req, options());
  assert.equal(completion.choices[0]?.message.content, 'ab');
});

test('abort mid-stream reaches the bridge signal and ends with phase aborted', async () => {
  const b = bridge(['a', 'b', 'c', 'd'], { delayMs: 20 });
  const controller = new AbortController();
  await assert.rejects(
    (async () => {
      for await (const c of new VscodeLmProvider(b).chatStream(model, req, options(controller.signal))) {
        if (c.choices[0]?.delta.content) controller.abort();
      }
    })(),
    (e: unknown) => e instanceof ProviderError && e.phase === 'aborted' && !e.retryable,
  );
  assert.equal(b.calls[0]?.signal.aborted, true);
});

test('first-byte timeout and failures before/after the first text', async () => {
  const slow = bridge(['late'], { delayMs: 300 });
  await assert.rejects(
    new VscodeLmProvider(slow).chat(model, req, options(undefined, 50)),
    (e: unknown) => e instanceof ProviderError && e.phase === 'first_byte' && e.retryable,
  );
  assert.equal(slow.calls[0]?.signal.aborted, true, 'the timed-out request is cancelled in VS Code');

  await assert.rejects(
    new VscodeLmProvider(bridge(['a'], { failAfter: 0 })).chat(model, req, options()),
    (e: unknown) => e instanceof ProviderError && e.retryable && e.upstreamMessage === 'Response contained no choices.',
  );
  await assert.rejects(
    new VscodeLmProvider(bridge(['a', 'b'], { failAfter: 1 })).chat(model, req, options()),
    (e: unknown) => e instanceof ProviderError && e.phase === 'stream' && !e.retryable,
  );
});

test('the registry has one adapter per provider kind', () => {
  const registry = createProviderRegistry();
  assert.deepEqual([...registry.kinds], ['openai', 'anthropic', 'ollama', 'vscode-lm']);
  for (const kind of registry.kinds) assert.equal(registry.get(kind).kind, kind);
});

test('tools, tool_choice and max tokens go to the window; its tool calls leave as OpenAI tool calls', async () => {
  const call: ToolCall = {
    id: 'call_1',
    type: 'function',
    function: { name: 'read_file', arguments: '{"path":"a.ts"}' },
  };
  const tools: Tool[] = [{ type: 'function', function: { name: 'read_file', parameters: { type: 'object' } } }];
  const b = bridge(['Let me look.', call]);
  const request = { ...req, tools, tool_choice: 'required', max_completion_tokens: 64 };
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of new VscodeLmProvider(b).chatStream(model, request, options())) chunks.push(chunk);
  assert.deepEqual(
    chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []),
    [{ index: 0, ...call }],
  );
  assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason, 'tool_calls');
  const { signal: _signal, ...sent } = b.calls[0]!;
  assert.deepEqual(sent, {
    modelId: 'copilot/gpt-4o',
    messages: req.messages,
    maxTokens: 64,
    tools,
    toolChoice: 'required',
  });

  const completion = await new VscodeLmProvider(bridge(['Let me look.', call])).chat(model, request, options());
  assert.deepEqual(completion.choices[0]?.message, { role: 'assistant', content: 'Let me look.', tool_calls: [call] });
  assert.equal(completion.choices[0]?.finish_reason, 'tool_calls');
});
