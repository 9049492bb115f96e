// Ids, token counts and prices of finished answers.
import { randomFillSync } from 'node:crypto';
import type { ModelConfig } from '../../shared/config';
import type { ChatMessage, Usage } from '../../shared/openai';
import { messageText } from '../core/features';

/** Random bytes of one request id (96 bits, as the random part of a UUID's 24 digits kept before). */
const ID_BYTES = 12;
const IDS_PER_FILL = 256;
const idEntropy = Buffer.alloc(ID_BYTES * IDS_PER_FILL);
let idsLeft = 0;

/**
 * `fugu-` + 24 random hex digits: what feedback and traces refer to. Drawn from a buffer filled
 * from the CSPRNG 256 ids at a time and read as hex in one native call (a randomUUID cut into
 * pieces cost ~8 µs of a request's way to its upstream call).
 */
export function newRequestId(): string {
  if (idsLeft === 0) {
    randomFillSync(idEntropy);
    idsLeft = IDS_PER_FILL;
  }
  const at = --idsLeft * ID_BYTES;
  return `fugu-${idEntropy.toString('hex', at, at + ID_BYTES)}`;
}

/** ~4 characters per token: only used when an upstream does not report usage. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function estimateUsage(messages: readonly ChatMessage[], completionText: string): Usage {
  let promptChars = 0;
  for (const m of messages) promptChars += messageText(m).length + 16;
  const prompt_tokens = Math.max(1, Math.ceil(promptChars / 4));
  const completion_tokens = completionText ? estimateTokens(completionText) : 0;
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

/**
 * Prompt tokens read from the upstream's prompt cache cost the cached-input price, those written to it the
 * cache-write price (1-hour writes their own), each falling back to the input price when the model has none.
 */
export function usageCost(model: ModelConfig, usage: Usage): number {
  const details = usage.prompt_tokens_details;
  const cached = details?.cached_tokens ?? 0;
  const written = details?.cache_creation_tokens ?? 0;
  const written1h = details?.cache_creation_1h_tokens ?? 0;
  const input = model.cost_per_input_token;
  const writePrice = model.cost_per_cache_write_token ?? input;
  return (
    (usage.prompt_tokens - cached - written) * input +
    cached * (model.cost_per_cached_input_token ?? input) +
    (written - written1h) * writePrice +
    written1h * (model.cost_per_cache_write_1h_token ?? writePrice) +
    usage.completion_tokens * model.cost_per_output_token
  );
}

export function isUsage(value: unknown): value is Usage {
  const u = value as Usage | null | undefined;
  return !!u && typeof u.prompt_tokens === 'number' && typeof u.completion_tokens === 'number';
}

/** A count the upstream reported: a non-negative number, at most `max`; anything else is dropped. */
function count(value: unknown, max: number): number | undefined {
  return typeof value === 'number' && value > 0 ? Math.min(value, max) : undefined;
}

export function normaliseUsage(u: Usage): Usage {
  const out: Usage = {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.prompt_tokens + u.completion_tokens,
  };
  // Cached prompt tokens are part of prompt_tokens: kept (never more than it) for pricing and the doors.
  const cached = count(u.prompt_tokens_details?.cached_tokens, u.prompt_tokens);
  const created = count(u.prompt_tokens_details?.cache_creation_tokens, u.prompt_tokens - (cached ?? 0));
  const created1h = count(u.prompt_tokens_details?.cache_creation_1h_tokens, created ?? 0);
  if (cached !== undefined || created !== undefined) {
    out.prompt_tokens_details = {
      ...(cached !== undefined ? { cached_tokens: cached } : {}),
      ...(created !== undefined ? { cache_creation_tokens: created } : {}),
      ...(created1h !== undefined ? { cache_creation_1h_tokens: created1h } : {}),
    };
  }
  return out;
}

/** The usage of a finished answer: what the upstream reported, else an estimate from the text. */
export function settleUsage(reported: unknown, messages: readonly ChatMessage[], text: string): Usage {
  return isUsage(reported) ? normaliseUsage(reported) : estimateUsage(messages, text);
}

/** The one pricing function: an answer's usage and what it cost at `model`'s configured prices. */
export function priceAnswer(
  model: ModelConfig,
  reported: unknown,
  messages: readonly ChatMessage[],
  text: string,
): { usage: Usage; cost: number } {
  const usage = settleUsage(reported, messages, text);
  return { usage, cost: usageCost(model, usage) };
}
