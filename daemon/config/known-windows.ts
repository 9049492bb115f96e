// Context windows of well-known hosted models, for pool entries that do not declare
// `context_window`. Without one, the router treats a model's window as unknown and keeps it out of
// any request over ~32k tokens (a Claude Code conversation passes that within a few turns), so a
// pool written without the field (0.3.0's config.yaml, a hand-written one) refused long requests
// with "No configured model can serve this request" although gpt-4o-mini or Claude would take them.
// The figures are each family's documented input window (the smallest within the family where
// versions differ); a configured `context_window` always wins.
import type { ModelConfig } from '../../shared/config';

const KNOWN_WINDOWS: readonly { id: RegExp; tokens: number }[] = [
  { id: /^gpt-4o(-mini)?(-\d{4}-\d{2}-\d{2})?$/, tokens: 128_000 },
  { id: /^gpt-4-turbo/, tokens: 128_000 },
  { id: /^gpt-4\.1(-mini|-nano)?(-\d{4}-\d{2}-\d{2})?$/, tokens: 1_047_576 },
  { id: /^gpt-5(\.\d)?(-mini|-nano)?(-\d{4}-\d{2}-\d{2})?$/, tokens: 400_000 },
  { id: /^o3(-mini)?(-\d{4}-\d{2}-\d{2})?$/, tokens: 200_000 },
  { id: /^o4-mini(-\d{4}-\d{2}-\d{2})?$/, tokens: 200_000 },
  { id: /^claude-(3-|3\.|(opus|sonnet|haiku)-4)/, tokens: 200_000 },
];

/** The window of a hosted model id ("gpt-4o-mini", "openai/gpt-4o" on a gateway), if it is well known. */
export function knownContextWindow(model: Pick<ModelConfig, 'provider' | 'model'>): number | undefined {
  if (model.provider !== 'openai' && model.provider !== 'anthropic') return undefined;
  const id = model.model.toLowerCase().split('/').pop() ?? '';
  return KNOWN_WINDOWS.find((k) => k.id.test(id))?.tokens;
}

/** `model` with its well-known context window filled in when the config leaves it out. */
export function withKnownContextWindow(model: ModelConfig): ModelConfig {
  if (model.context_window !== undefined) return model;
  const tokens = knownContextWindow(model);
  return tokens === undefined ? model : { ...model, context_window: tokens };
}
