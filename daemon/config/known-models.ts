// What well-known hosted models can do, for pool entries that do not say: their context window,
// tool calling and image input. Without these the router treats the model as unable: it keeps it out
// of any request over ~32k tokens (a Claude Code conversation passes that within a few turns) and out
// of every request with tools (Claude Code, Codex and Cursor always send tools), so a pool written
// without the fields (0.3.0's config.yaml, a hand-written one) refused those requests with "No
// configured model can serve this request" although gpt-4o-mini or Claude would take them.
// Windows are each family's documented input window (the smallest within the family where versions
// differ). What the config says always wins, including `supports_tools: false`.
import type { ModelConfig } from '../../shared/config';

interface KnownModel {
  id: RegExp;
  window: number;
  vision: boolean;
}

const DATE = '(-\\d{4}-\\d{2}-\\d{2})?$';
const KNOWN: readonly KnownModel[] = [
  { id: new RegExp(`^gpt-4o(-mini)?${DATE}`), window: 128_000, vision: true },
  { id: /^gpt-4-turbo/, window: 128_000, vision: false },
  { id: new RegExp(`^gpt-4\\.1(-mini|-nano)?${DATE}`), window: 1_047_576, vision: true },
  { id: new RegExp(`^gpt-5(\\.\\d)?(-mini|-nano)?${DATE}`), window: 400_000, vision: true },
  { id: new RegExp(`^o3${DATE}`), window: 200_000, vision: true },
  { id: new RegExp(`^o3-mini${DATE}`), window: 200_000, vision: false },
  { id: new RegExp(`^o4-mini${DATE}`), window: 200_000, vision: true },
  { id: /^claude-(3-|3\.|(opus|sonnet|haiku)-4)/, window: 200_000, vision: true },
];

/** The entry of a hosted model id ("gpt-4o-mini", "openai/gpt-4o" on a gateway), if it is well known. */
export function knownModel(model: Pick<ModelConfig, 'provider' | 'model'>): KnownModel | undefined {
  if (model.provider !== 'openai' && model.provider !== 'anthropic') return undefined;
  const id = model.model.toLowerCase().split('/').pop() ?? '';
  return KNOWN.find((k) => k.id.test(id));
}

/** `model` with what is well known about it filled in where the config leaves it out. */
export function withKnownAbilities(model: ModelConfig): ModelConfig {
  const known = knownModel(model);
  if (!known) return model;
  const out: ModelConfig = { ...model };
  out.context_window ??= known.window;
  // Every model here calls tools; an explicit supports_tools / a 'tools' tag is the config's word.
  if (out.supports_tools === undefined && !out.capabilities.includes('tools')) out.supports_tools = true;
  if (known.vision && out.supports_vision === undefined && !out.capabilities.includes('vision'))
    out.supports_vision = true;
  return out;
}
