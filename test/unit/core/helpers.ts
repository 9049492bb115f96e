// Small builders for router tests: models and requests as a user would configure and send them.
import type { ModelConfig } from '../../../shared/config';
import type { ChatCompletionRequest } from '../../../shared/openai';
import { routingInput } from '../../../daemon/core/features';
import type { RouteInput } from '../../../daemon/core/ports';

export function model(name: string, extra: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name,
    provider: 'openai',
    model: name,
    api_base: 'https://api.openai.com/v1',
    cost_per_input_token: 0.000001,
    cost_per_output_token: 0.000002,
    capabilities: ['chat'],
    ...extra,
  };
}

export const local = (name: string, extra: Partial<ModelConfig> = {}): ModelConfig =>
  model(name, {
    provider: 'ollama',
    api_base: 'http://localhost:11434',
    cost_per_input_token: 0,
    cost_per_output_token: 0,
    ...extra,
  });

export function input(request: Partial<ChatCompletionRequest> & { prompt?: string } = {}): RouteInput {
  const { prompt, ...rest } = request;
  const req: ChatCompletionRequest = {
    model: 'auto',
    messages: [{ role: 'user', content: prompt ?? 'Hello there' }],
    ...rest,
  };
  return routingInput(req, { costWeight: 1, explore: false, random: () => 0.5 });
}

export const noCooldown = { isCoolingDown: () => false };
