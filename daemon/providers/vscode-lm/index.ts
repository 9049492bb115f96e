// VS Code language models as a provider. The daemon has no VS Code API; the RPC layer hands in a
// bridge to a connected extension window. With no window connected the call fails as retryable, so
// routing moves on to another model. VS Code reports no token counts: usage is estimated (chars / 4).
// The request's tools, tool_choice and max tokens go to the window; the model's tool calls come back
// whole and leave here as OpenAI tool-call deltas with finish reason `tool_calls`, like any provider's.
import type { ModelConfig } from '../../../shared/config';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatMessage,
  ToolCall,
} from '../../../shared/openai';
import type { VscodeLmPiece } from '../../../shared/protocol';
import { ProviderError, type LlmProvider, type ProviderCallOptions, type VscodeLmBridge } from '../types';
import { abortedError, firstByteTimeoutError } from '../transport/errors';
import { deltaChunk, estimateTokens, newCompletionId, nowSeconds, usage, usageChunk } from '../transport/openai-shapes';

const PROVIDER = 'vscode-lm';

/** A bridge for daemons with no extension attached (CLI, tests): never available. */
export const NO_VSCODE_BRIDGE: VscodeLmBridge = {
  available: () => false,
  chat: () => {
    throw new ProviderError(`${PROVIDER}: no VS Code window is connected`, 'connect', undefined, true);
  },
};

function messageChars(messages: readonly ChatMessage[]): number {
  let chars = 0;
  for (const m of messages) {
    if (typeof m.content === 'string') chars += m.content.length;
    else if (Array.isArray(m.content)) for (const p of m.content) if (p.type === 'text') chars += p.text.length;
    for (const call of m.tool_calls ?? []) chars += call.function.name.length + call.function.arguments.length;
  }
  return chars;
}

export class VscodeLmProvider implements LlmProvider {
  readonly kind = 'vscode-lm';

  constructor(private readonly bridge: VscodeLmBridge = NO_VSCODE_BRIDGE) {}

  async *chatStream(
    model: ModelConfig,
    request: ChatCompletionRequest,
    options: ProviderCallOptions,
  ): AsyncGenerator<ChatCompletionChunk> {
    if (options.signal.aborted) throw abortedError(PROVIDER);
    if (!this.bridge.available()) {
      throw new ProviderError(
        `${PROVIDER}: no VS Code window is connected to run ${model.model}`,
        'connect',
        undefined,
        true,
      );
    }
    // Our own controller so a first-byte timeout or an early stop by the consumer also cancels VS Code.
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    const maxTokens = request.max_tokens ?? request.max_completion_tokens ?? model.max_output_tokens;
    const header = { id: newCompletionId('vscode'), created: nowSeconds(), model: request.model };
    let iterator: AsyncIterator<VscodeLmPiece> | undefined;
    let toolCalls = 0;
    let completionChars = 0;
    let complete = false;
    try {
      iterator = this.bridge
        .chat(
          {
            modelId: model.model,
            messages: request.messages,
            ...(maxTokens ? { maxTokens } : {}),
            ...(request.tools?.length ? { tools: request.tools } : {}),
            ...(request.tool_choice !== undefined ? { toolChoice: request.tool_choice } : {}),
          },
          controller.signal,
        )
        [Symbol.asyncIterator]();
      const first = await this.firstPiece(iterator, controller, options);
      yield deltaChunk(header, { role: 'assistant', content: '' });
      let next = first;
      while (!next.done) {
        const piece = next.value;
        if (typeof piece !== 'string') {
          completionChars += piece.function.name.length + piece.function.arguments.length;
          yield deltaChunk(header, { tool_calls: [{ index: toolCalls++, ...piece }] });
        } else if (piece) {
          completionChars += piece.length;
          yield deltaChunk(header, { content: piece });
        }
        next = await iterator.next();
      }
      complete = true;
      yield deltaChunk(header, {}, toolCalls > 0 ? 'tool_calls' : 'stop');
      yield usageChunk(header, usage(estimateTokens(messageChars(request.messages)), estimateTokens(completionChars)));
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      if (options.signal.aborted) throw abortedError(PROVIDER);
      const detail = err instanceof Error ? err.message : String(err);
      // Before any text another model can still answer; after it, the answer is half sent.
      throw completionChars === 0
        ? new ProviderError(`${PROVIDER} failed: ${detail}`, 'response', undefined, true, detail)
        : new ProviderError(`${PROVIDER} failed mid-stream: ${detail}`, 'stream', undefined, false, detail);
    } finally {
      options.signal.removeEventListener('abort', onAbort);
      if (!complete) {
        controller.abort();
        void iterator?.return?.()?.catch(() => undefined);
      }
    }
  }

  private async firstPiece(
    iterator: AsyncIterator<VscodeLmPiece>,
    controller: AbortController,
    options: ProviderCallOptions,
  ): Promise<IteratorResult<VscodeLmPiece>> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(firstByteTimeoutError(PROVIDER, options.firstByteTimeoutMs));
      }, options.firstByteTimeoutMs);
      onAbort = () => reject(abortedError(PROVIDER));
      options.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([iterator.next(), timeout]);
    } finally {
      clearTimeout(timer);
      if (onAbort) options.signal.removeEventListener('abort', onAbort);
    }
  }

  async chat(
    model: ModelConfig,
    request: ChatCompletionRequest,
    options: ProviderCallOptions,
  ): Promise<ChatCompletion> {
    let text = '';
    let id = '';
    let usageSeen: ChatCompletion['usage'];
    // Each call arrives whole in one delta (see chatStream), so collecting is just keeping them.
    const toolCalls: ToolCall[] = [];
    for await (const chunk of this.chatStream(model, request, options)) {
      id = chunk.id;
      text += chunk.choices[0]?.delta.content ?? '';
      for (const call of chunk.choices[0]?.delta.tool_calls ?? [])
        if (call.id && call.function?.name !== undefined)
          toolCalls.push({
            id: call.id,
            type: 'function',
            function: { name: call.function.name, arguments: call.function.arguments ?? '' },
          });
      if (chunk.usage) usageSeen = chunk.usage;
    }
    const message: ChatCompletion['choices'][number]['message'] =
      toolCalls.length > 0
        ? { role: 'assistant', content: text || null, tool_calls: toolCalls }
        : { role: 'assistant', content: text };
    return {
      id,
      object: 'chat.completion',
      created: nowSeconds(),
      model: request.model,
      choices: [{ index: 0, message, finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop', logprobs: null }],
      ...(usageSeen ? { usage: usageSeen } : {}),
    };
  }
}
