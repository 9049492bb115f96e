// What well-known hosted models can do, for pool entries that do not say: their context window,
// tool calling and image input. Without these the router treats the model as unable: it keeps it out
// of any request over ~32k tokens (a Claude Code conversation passes that within a few turns) and out
// of every request with tools (Claude Code, Codex and Cursor always send tools), so a pool written
// without the fields (0.3.0's config.yaml, a hand-written one) refused those requests with "No
// configured model can serve this request" although gpt-4o-mini or Claude would take them.
// Windows are each family's documented input window (the smallest within the family where versions
// differ). What the config says always wins, including `supports_tools: false`.
// `output` is the documented ceiling on output tokens: a request asking more (Claude Code sends
// max_tokens 32000) is an upstream 400, so output-limit.ts caps it there when the config sets no
// max_output_tokens. (Not written into the config: Anthropic's adapter asks for max_output_tokens
// when a request names no limit, and 64k by default would change every such request.)
import type { ModelConfig } from '../../shared/config';

interface KnownModel {
  id: RegExp;
  window: number;
  vision: boolean;
  /** Most output tokens one answer may ask for (OpenAI's and Anthropic's model pages). */
  output: number;
}

const DATE = '(-\\d{4}-\\d{2}-\\d{2})?$';
const KNOWN: readonly KnownModel[] = [
  // The first gpt-4o build answered at most 4,096 tokens; the later ones (and the alias) 16,384.
  { id: /^gpt-4o-2024-05-13$/, window: 128_000, vision: true, output: 4_096 },
  { id: new RegExp(`^gpt-4o(-mini)?${DATE}`), window: 128_000, vision: true, output: 16_384 },
  { id: /^gpt-4-turbo/, window: 128_000, vision: false, output: 4_096 },
  { id: new RegExp(`^gpt-4\\.1(-mini|-nano)?${DATE}`), window: 1_047_576, vision: true, output: 32_768 },
  { id: new RegExp(`^gpt-5(\\.\\d)?(-mini|-nano)?${DATE}`), window: 400_000, vision: true, output: 128_000 },
  { id: new RegExp(`^o3${DATE}`), window: 200_000, vision: true, output: 100_000 },
  { id: new RegExp(`^o3-mini${DATE}`), window: 200_000, vision: false, output: 100_000 },
  { id: new RegExp(`^o4-mini${DATE}`), window: 200_000, vision: true, output: 100_000 },
  // Claude: 4,096 (3), 8,192 (3.5), 64k (3.7, Sonnet 4 and 4.5, Haiku 4.5, Opus 4.5), 32k (Opus 4
  // and 4.1), 128k (Sonnet 4.6, Opus 4.6 and later). An unlisted version gets no cap.
  { id: /^claude-3-(opus|sonnet|haiku)/, window: 200_000, vision: true, output: 4_096 },
  { id: /^claude-3[-.]5-/, window: 200_000, vision: true, output: 8_192 },
  { id: /^claude-3[-.]7-/, window: 200_000, vision: true, output: 64_000 },
  { id: /^claude-opus-4(-[01])?(-\d{8})?$/, window: 200_000, vision: true, output: 32_000 },
  { id: /^claude-(sonnet-4|sonnet-4-5|haiku-4-5|opus-4-5)(-\d{8})?$/, window: 200_000, vision: true, output: 64_000 },
  { id: /^claude-(sonnet|opus)-4-[6-9](-\d{8})?$/, window: 200_000, vision: true, output: 128_000 },
  { id: /^claude-(opus|sonnet|haiku)-4/, window: 200_000, vision: true, output: Number.POSITIVE_INFINITY },
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

/** The documented output ceiling of a well-known hosted model, if there is one. */
export function knownOutputLimit(model: Pick<ModelConfig, 'provider' | 'model'>): number | undefined {
  const output = knownModel(model)?.output;
  return output === undefined || output === Number.POSITIVE_INFINITY ? undefined : output;
}
