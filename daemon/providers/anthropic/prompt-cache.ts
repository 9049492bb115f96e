// Anthropic's prompt cache needs explicit breakpoints (`cache_control`). The Messages door carries a
// client's wish for caching as one flag (shared/anthropic-messages.ts PROMPT_CACHE_FIELD), since its
// blocks pass through OpenAI-shaped messages; here it becomes breakpoints again where Claude Code puts
// them: the last tool, the system prompt, and the last block of the conversation, so every turn reads
// the previous turns from the cache (Anthropic allows 4 breakpoints; prefixes under its minimum
// length are simply not cached).
import { PROMPT_CACHE_FIELD } from '../../../shared/anthropic-messages';
import type { ChatCompletionRequest } from '../../../shared/openai';
import type { AnthropicRequest } from './request';

const EPHEMERAL = { type: 'ephemeral' } as const;

export function wantsPromptCache(request: ChatCompletionRequest): boolean {
  return (request as Record<string, unknown>)[PROMPT_CACHE_FIELD] === true;
}

/** Adds the cache breakpoints to an upstream body (after JSON mode, which edits `system`). */
export function addCacheBreakpoints(body: AnthropicRequest): void {
  const lastTool = body.tools?.[body.tools.length - 1];
  if (lastTool) lastTool.cache_control = EPHEMERAL;
  if (typeof body.system === 'string' && body.system)
    body.system = [{ type: 'text', text: body.system, cache_control: EPHEMERAL }];
  // The last turn's last block, unless it is JSON mode's one-character prefill (then the turn before).
  for (let i = body.messages.length - 1; i >= 0; i--) {
    const block = body.messages[i]!.content.at(-1);
    if (!block || (body.messages[i]!.role === 'assistant' && i === body.messages.length - 1)) continue;
    // Anthropic refuses a breakpoint on an empty text block.
    if (block.type === 'text' && block.text === '') continue;
    block.cache_control = EPHEMERAL;
    break;
  }
}
