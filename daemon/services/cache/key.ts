// gateway (issue 12): the exact cache's key: a sha256 over the request normalised (messages,
// tools, sampling parameters; not stream, stream_options, user or the cache extension), the
// requested model or mode, and a fingerprint of what routes it (the pool, the strategy chain, λ).
import { createHash } from 'node:crypto';
import type { ModelConfig } from '../../../shared/config';
import { THINKING_FIELD } from '../../../shared/anthropic-messages';
import type { ChatCompletionRequest, ChatMessage } from '../../../shared/openai';
import type { ServiceConfig } from '../deps';

const SAMPLING = [
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'seed',
  'n',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'tool_choice',
  'response_format',
  'parallel_tool_calls',
  'reasoning_effort',
  'verbosity',
  // Extended thinking (the Messages door's `thinking`): an answer with thinking is another answer.
  THINKING_FIELD,
] as const;

/** What makes two models' answers differ: provider, upstream id, endpoint, output bound. */
export function modelFingerprint(m: ModelConfig): string {
  return sha(
    JSON.stringify([
      m.provider,
      m.model,
      m.api_base ?? '',
      m.max_output_tokens ?? null,
      m.enabled !== false,
      m.headers ?? null,
    ]),
  ).slice(0, 16);
}

const poolPrints = new WeakMap<ServiceConfig, string>();

/** The routing side of the key for "auto" modes: pool, chain and λ; computed once per config. */
export function routingFingerprint(config: ServiceConfig): string {
  let fp = poolPrints.get(config);
  if (fp === undefined) {
    const pool = config.pool.filter((m) => m.enabled !== false).map((m) => [m.name, modelFingerprint(m)]);
    fp = sha(JSON.stringify([pool, config.strategies, config.costWeight, config.defaultModel ?? null])).slice(0, 16);
    poolPrints.set(config, fp);
  }
  return fp;
}

export function normaliseMessage(m: ChatMessage): unknown[] {
  const content =
    typeof m.content === 'string' ? m.content.replace(/\r\n/g, '\n').trim() : m.content === null ? null : m.content;
  return [m.role, content, m.name ?? null, m.tool_calls ?? null, m.tool_call_id ?? null];
}

/** The part of the key that is the conversation minus its last user turn (semantic cache: "the rest"). */
export function requestKey(request: ChatCompletionRequest, routing: string): string {
  const source = request as Record<string, unknown>;
  const params: unknown[] = SAMPLING.map((k) => source[k] ?? null);
  return sha(
    JSON.stringify([request.model, routing, request.messages.map(normaliseMessage), request.tools ?? null, params]),
  );
}

export function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
