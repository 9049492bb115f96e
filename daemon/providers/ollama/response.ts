// Ollama /api/chat answers → OpenAI shapes. Ollama sends no ids and reports done_reason 'stop' even
// when the model called tools, so the finish reason is derived from what arrived.
import type { ChatCompletion, ChatCompletionChunk, FinishReason, ToolCall } from '../../../shared/openai';
import { ProviderError } from '../types';
import {
  deltaChunk,
  newCompletionId,
  newToolCallId,
  nowSeconds,
  usage,
  usageChunk,
  type ChunkHeader,
} from '../transport/openai-shapes';

export interface OllamaChatLine {
  model?: string;
  message?: {
    role?: string;
    content?: string;
    thinking?: string;
    tool_calls?: { id?: string; function: { name: string; arguments: unknown } }[];
  };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

export function mapDoneReason(reason: string | undefined, calledTools: boolean): FinishReason {
  if (calledTools) return 'tool_calls';
  return reason === 'length' ? 'length' : 'stop';
}

function toToolCalls(calls: NonNullable<NonNullable<OllamaChatLine['message']>['tool_calls']>): ToolCall[] {
  return calls.map((c) => ({
    id: c.id ?? newToolCallId(),
    type: 'function',
    function: {
      name: c.function.name,
      arguments:
        typeof c.function.arguments === 'string' ? c.function.arguments : JSON.stringify(c.function.arguments ?? {}),
    },
  }));
}

export function toChatCompletion(line: OllamaChatLine, requestedModel: string): ChatCompletion {
  const calls = line.message?.tool_calls?.length ? toToolCalls(line.message.tool_calls) : undefined;
  const text = line.message?.content ?? '';
  return {
    id: newCompletionId('ollama'),
    object: 'chat.completion',
    created: nowSeconds(),
    model: line.model ?? requestedModel,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: calls && !text ? null : text, ...(calls ? { tool_calls: calls } : {}) },
        finish_reason: mapDoneReason(line.done_reason, calls !== undefined),
        logprobs: null,
      },
    ],
    usage: usage(line.prompt_eval_count ?? 0, line.eval_count ?? 0),
  };
}

/** Turns NDJSON lines (parsed) into OpenAI chunks; `done` turns true on the line with done: true. */
export class OllamaStreamTranslator {
  done = false;
  private header: ChunkHeader;
  private started = false;
  private toolCount = 0;

  constructor(requestedModel: string) {
    this.header = { id: newCompletionId('ollama'), created: nowSeconds(), model: requestedModel };
  }

  push(line: OllamaChatLine): ChatCompletionChunk[] {
    if (line.error) {
      throw new ProviderError(`ollama upstream stream error: ${line.error}`, 'stream', undefined, false, line.error);
    }
    const out: ChatCompletionChunk[] = [];
    if (!this.started) {
      this.started = true;
      if (line.model) this.header.model = line.model;
      out.push(deltaChunk(this.header, { role: 'assistant', content: '' }));
    }
    const content = line.message?.content;
    if (content) out.push(deltaChunk(this.header, { content }));
    const calls = line.message?.tool_calls;
    if (calls?.length) {
      // Ollama sends each call whole, so one delta carries id, name and the full arguments.
      out.push(
        deltaChunk(this.header, {
          tool_calls: toToolCalls(calls).map((c) => ({ index: this.toolCount++, ...c })),
        }),
      );
    }
    if (line.done) {
      this.done = true;
      out.push(deltaChunk(this.header, {}, mapDoneReason(line.done_reason, this.toolCount > 0)));
      out.push(usageChunk(this.header, usage(line.prompt_eval_count ?? 0, line.eval_count ?? 0)));
    }
    return out;
  }
}
