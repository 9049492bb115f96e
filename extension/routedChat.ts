// One routed, streamed chat call over JSON-RPC: shared by the chat participant and the LM provider.
import type { RequestSource } from '../shared/api';
import type { ChatCompletion, ChatCompletionRequest, RoutingDecision } from '../shared/openai';
import { ChatRequest } from '../shared/protocol';
import { ToolCallAssembler, type AssembledToolCall } from './lm/toolCalls';
import { newStreamId, type CancellationLike, type ChunkRouter, type DaemonRpc } from './rpc';

export interface StreamHandlers {
  onText(text: string): void;
  /** Called once, as soon as the decision is known (first chunk that carries it, or the final answer). */
  onDecision?(decision: RoutingDecision): void;
  /** Each tool call the model makes, whole (arguments parsed), once; at the latest before the call resolves. */
  onToolCall?(call: AssembledToolCall): void;
}

export interface RoutedAnswer {
  completion: ChatCompletion;
  decision: RoutingDecision | undefined;
  /** The request id the daemon stores (the completion id): what ratings refer to. */
  requestId: string;
  text: string;
}

export async function routedChat(
  rpc: DaemonRpc,
  chunks: ChunkRouter,
  request: ChatCompletionRequest,
  source: RequestSource,
  handlers: StreamHandlers,
  token?: CancellationLike,
): Promise<RoutedAnswer> {
  const streamId = newStreamId(source);
  let decision: RoutingDecision | undefined;
  let streamed = '';
  const toolCalls = new ToolCallAssembler();
  let streamError: Error | undefined;
  const handOutToolCalls = (calls: AssembledToolCall[]) => calls.forEach((c) => handlers.onToolCall?.(c));
  const announce = (d: RoutingDecision | undefined) => {
    if (d && !decision) {
      decision = d;
      handlers.onDecision?.(d);
    }
  };
  const listening = chunks.listen(streamId, (chunk) => {
    announce(chunk.routing_decision);
    const choice = chunk.choices[0];
    const text = choice?.delta.content;
    if (text) {
      streamed += text;
      handlers.onText(text);
    }
    toolCalls.add(choice?.delta.tool_calls);
    if (choice?.finish_reason) {
      // A notification handler must not throw: keep the error for the caller (bad tool arguments).
      try {
        handOutToolCalls(toolCalls.take());
      } catch (err) {
        streamError ??= err instanceof Error ? err : new Error(String(err));
      }
    }
  });
  try {
    const completion = await rpc.sendRequest(
      ChatRequest,
      { request: { ...request, stream: true }, streamId, source },
      token,
    );
    announce(completion.routing_decision);
    const full = completion.choices[0]?.message.content ?? '';
    // Chunks and the final result travel separately; send whatever the stream did not deliver.
    if (full.length > streamed.length && full.startsWith(streamed)) handlers.onText(full.slice(streamed.length));
    if (streamError) throw streamError;
    handOutToolCalls(toolCalls.take());
    handOutToolCalls(toolCalls.reconcile(completion.choices[0]?.message.tool_calls));
    return { completion, decision, requestId: completion.id, text: full || streamed };
  } finally {
    listening.dispose();
  }
}
