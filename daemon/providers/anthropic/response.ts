// Anthropic Messages answers → OpenAI shapes: a whole message → ChatCompletion, and the stream's
// events → ChatCompletionChunks. Pure (the stream translator is a small state machine fed event by event).
import type {
  ChatCompletion,
  ChatCompletionChunk,
  FinishReason,
  ThinkingBlock,
  ToolCall,
  Usage,
} from '../../../shared/openai';
import { ProviderError } from '../types';
import { deltaChunk, nowSeconds, usage, usageChunk, type ChunkHeader } from '../transport/openai-shapes';

export interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  /** The writes split by cache lifetime (newer API versions). */
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
}

export interface AnthropicResponse {
  id: string;
  model: string;
  content: (
    { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown } | { type: string }
  )[];
  stop_reason: string | null;
  stop_sequence?: string | null;
  usage?: AnthropicUsage;
}

export function mapStopReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return reason ? 'stop' : null;
  }
}

/** Which stop sequence ended the answer, kept so the Messages door can tell its client (OpenAI has no field). */
function stopSequence(
  reason: string | null | undefined,
  sequence: string | null | undefined,
): { stop_sequence?: string } {
  return reason === 'stop_sequence' && typeof sequence === 'string' ? { stop_sequence: sequence } : {};
}

/** Cached input tokens are input tokens too: they are billed, so they count as prompt tokens. */
function inputTokens(u: AnthropicUsage | undefined): number {
  return (u?.input_tokens ?? 0) + (u?.cache_creation_input_tokens ?? 0) + (u?.cache_read_input_tokens ?? 0);
}

/** Which of those input tokens were read from / written to the prompt cache (priced and reported apart). */
function cacheDetails(u: AnthropicUsage | undefined): Usage['prompt_tokens_details'] {
  const read = u?.cache_read_input_tokens ?? 0;
  const created = u?.cache_creation_input_tokens ?? 0;
  const created1h = u?.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  if (!read && !created) return undefined;
  return {
    cached_tokens: read,
    ...(created ? { cache_creation_tokens: created } : {}),
    ...(created && created1h ? { cache_creation_1h_tokens: created1h } : {}),
  };
}

export function toChatCompletion(msg: AnthropicResponse, requestedModel: string): ChatCompletion {
  let text = '';
  const toolCalls: ToolCall[] = [];
  const thinking: ThinkingBlock[] = [];
  for (const block of msg.content ?? []) {
    if (block.type === 'text') text += (block as { text: string }).text;
    else if (block.type === 'thinking' || block.type === 'redacted_thinking') thinking.push(block as ThinkingBlock);
    else if (block.type === 'tool_use') {
      const b = block as { id: string; name: string; input: unknown };
      toolCalls.push({
        id: b.id,
        type: 'function',
        function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) },
      });
    }
  }
  return {
    id: msg.id,
    object: 'chat.completion',
    created: nowSeconds(),
    model: msg.model ?? requestedModel,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text || (toolCalls.length ? null : ''),
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          ...(thinking.length ? { thinking_blocks: thinking } : {}),
        },
        finish_reason: mapStopReason(msg.stop_reason),
        logprobs: null,
        ...stopSequence(msg.stop_reason, msg.stop_sequence),
      },
    ],
    usage: usage(inputTokens(msg.usage), msg.usage?.output_tokens ?? 0, cacheDetails(msg.usage)),
  };
}

/** The fields of Anthropic stream events this translator reads (all optional: be lenient with new ones). */
export interface AnthropicStreamEvent {
  type?: string;
  index?: number;
  message?: { id?: string; model?: string; usage?: AnthropicUsage };
  content_block?: {
    type?: string;
    id?: string;
    name?: string;
    text?: string;
    input?: unknown;
    thinking?: string;
    data?: string;
  };
  delta?: {
    type?: string;
    text?: string;
    partial_json?: string;
    thinking?: string;
    signature?: string;
    stop_reason?: string | null;
    stop_sequence?: string | null;
  };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
}

/** Anthropic error types that another candidate may not hit (capacity, transient server faults). */
const RETRYABLE_STREAM_ERRORS: Record<string, number> = {
  overloaded_error: 529,
  api_error: 500,
  rate_limit_error: 429,
};

/**
 * Feeds stream events (already JSON-parsed) and returns the OpenAI chunks each one produces. `done`
 * turns true at message_stop; an `error` event throws ProviderError(phase 'stream').
 */
export class AnthropicStreamTranslator {
  done = false;
  private header: ChunkHeader;
  private inputTokens = 0;
  private outputTokens = 0;
  private cache: Usage['prompt_tokens_details'];
  /** Anthropic content-block index → OpenAI tool_call index. */
  private toolIndex = new Map<number, number>();

  constructor(requestedModel: string) {
    this.header = { id: '', created: nowSeconds(), model: requestedModel };
  }

  get usage(): Usage {
    return usage(this.inputTokens, this.outputTokens, this.cache);
  }

  push(event: AnthropicStreamEvent): ChatCompletionChunk[] {
    switch (event.type) {
      case 'message_start': {
        const m = event.message ?? {};
        this.header = { id: m.id ?? this.header.id, created: this.header.created, model: m.model ?? this.header.model };
        this.inputTokens = inputTokens(m.usage);
        this.cache = cacheDetails(m.usage);
        this.outputTokens = m.usage?.output_tokens ?? 0;
        return [deltaChunk(this.header, { role: 'assistant', content: '' })];
      }
      case 'content_block_start': {
        const block = event.content_block ?? {};
        if (block.type === 'tool_use') {
          const index = this.toolIndex.size;
          this.toolIndex.set(event.index ?? 0, index);
          return [
            deltaChunk(this.header, {
              tool_calls: [
                { index, id: block.id ?? '', type: 'function', function: { name: block.name ?? '', arguments: '' } },
              ],
            }),
          ];
        }
        if (block.type === 'text' && block.text) return [deltaChunk(this.header, { content: block.text })];
        if (block.type === 'thinking' && block.thinking)
          return [deltaChunk(this.header, { thinking_blocks: [{ type: 'thinking', thinking: block.thinking }] })];
        if (block.type === 'redacted_thinking' && typeof block.data === 'string')
          return [deltaChunk(this.header, { thinking_blocks: [{ type: 'redacted_thinking', data: block.data }] })];
        return [];
      }
      case 'content_block_delta': {
        const delta = event.delta ?? {};
        if (delta.type === 'text_delta') return [deltaChunk(this.header, { content: delta.text })];
        if (delta.type === 'input_json_delta') {
          const index = this.toolIndex.get(event.index ?? 0);
          if (index === undefined || !delta.partial_json) return [];
          return [deltaChunk(this.header, { tool_calls: [{ index, function: { arguments: delta.partial_json } }] })];
        }
        // Thinking has no OpenAI chat field: it rides as `thinking_blocks` pieces (the Messages door's).
        if (delta.type === 'thinking_delta' && delta.thinking)
          return [deltaChunk(this.header, { thinking_blocks: [{ type: 'thinking', thinking: delta.thinking }] })];
        if (delta.type === 'signature_delta' && delta.signature)
          return [deltaChunk(this.header, { thinking_blocks: [{ type: 'thinking', signature: delta.signature }] })];
        return [];
      }
      case 'message_delta': {
        if (event.usage?.output_tokens !== undefined) this.outputTokens = event.usage.output_tokens;
        // message_delta's input counters are cumulative totals when present (newer API versions).
        if (event.usage?.input_tokens !== undefined) {
          this.inputTokens = inputTokens(event.usage);
          this.cache = cacheDetails(event.usage);
        }
        const finish = mapStopReason(event.delta?.stop_reason);
        if (!finish) return [];
        const chunk = deltaChunk(this.header, {}, finish);
        Object.assign(chunk.choices[0]!, stopSequence(event.delta?.stop_reason, event.delta?.stop_sequence));
        return [chunk];
      }
      case 'message_stop':
        this.done = true;
        return [usageChunk(this.header, this.usage)];
      case 'error': {
        const type = event.error?.type ?? 'api_error';
        const message = event.error?.message ?? 'unknown error';
        const status = RETRYABLE_STREAM_ERRORS[type];
        throw new ProviderError(
          `anthropic upstream stream error (${type}): ${message}`,
          'stream',
          status,
          status !== undefined,
          message,
        );
      }
      default:
        return []; // ping, content_block_stop, and event types added later
    }
  }
}
