// Small builders for OpenAI-shaped results, shared by the adapters that translate other wire formats.
import type { ChatCompletionChunk, FinishReason, Usage } from '../../../shared/openai';

let sequence = 0;
const processTag = Math.floor(Math.random() * 36 ** 4).toString(36);

/** A unique completion id for adapters whose upstream sends none (Ollama, VS Code LM). */
export function newCompletionId(prefix: string): string {
  return `chatcmpl-${prefix}-${processTag}${(++sequence).toString(36)}`;
}

/** A tool call id for upstreams that send none (Ollama). */
export function newToolCallId(): string {
  return `call_${processTag}${(++sequence).toString(36)}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function usage(prompt: number, completion: number, details?: Usage['prompt_tokens_details']): Usage {
  const u: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (details) u.prompt_tokens_details = details;
  return u;
}

export interface ChunkHeader {
  id: string;
  created: number;
  model: string;
}

export function deltaChunk(
  h: ChunkHeader,
  delta: ChatCompletionChunk['choices'][number]['delta'],
  finishReason: FinishReason = null,
): ChatCompletionChunk {
  return {
    id: h.id,
    object: 'chat.completion.chunk',
    created: h.created,
    model: h.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

/** The final usage-only chunk, as OpenAI sends it with stream_options.include_usage (choices: []). */
export function usageChunk(h: ChunkHeader, u: Usage): ChatCompletionChunk {
  return { id: h.id, object: 'chat.completion.chunk', created: h.created, model: h.model, choices: [], usage: u };
}

/** Rough token estimate for upstreams that report none: ~4 characters per token. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export function trimSlash(base: string): string {
  return base.endsWith('/') ? base.replace(/\/+$/, '') : base;
}
