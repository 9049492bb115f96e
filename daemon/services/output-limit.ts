// A client's output ceiling above a model's own limit is an upstream 400 ("max_tokens is too large"),
// which fails the whole request (a bad request is not retried elsewhere). Anthropic clients must send
// max_tokens and Claude Code sends 32k+, far above many pool models: cap it at the model's configured
// max_output_tokens, else at the documented ceiling of a well-known hosted model (gpt-4o-mini:
// 16,384), per candidate, so the same request can go to any of them.
import type { ModelConfig } from '../../shared/config';
import { knownOutputLimit } from '../config/known-models';
import type { ChatCompletionRequest } from '../../shared/openai';

export function withinOutputLimit(request: ChatCompletionRequest, config: ModelConfig): ChatCompletionRequest {
  // Most requests name no ceiling: nothing to look up for them.
  if (request.max_tokens === undefined && request.max_completion_tokens === undefined) return request;
  const limit = config.max_output_tokens ?? knownOutputLimit(config);
  if (limit === undefined) return request;
  const tooMany = (n: number | undefined): boolean => n !== undefined && n > limit;
  if (!tooMany(request.max_tokens) && !tooMany(request.max_completion_tokens)) return request;
  return {
    ...request,
    ...(tooMany(request.max_tokens) ? { max_tokens: limit } : {}),
    ...(tooMany(request.max_completion_tokens) ? { max_completion_tokens: limit } : {}),
  };
}
