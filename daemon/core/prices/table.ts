// The bundled price table: USD per token for well-known current models, so a pool model whose
// upstream id is listed here needs no cost fields in config.yaml (config fields still win).
//
// Dated: TABLE_DATE is when the entries were last checked. Every entry names the public page its
// figures come from and that page's own date. Where the provider's own page was not reachable,
// the source is a secondary page that quotes it (named as such). Prices change: a wrong price
// silently makes cost figures wrong, so set cost_per_input_token / cost_per_output_token in
// config.yaml whenever your contract differs (batch, priority tiers, long-context surcharges and
// regional prices are NOT modelled here: these are standard pay-as-you-go rates, ≤ 200k context).

export const TABLE_DATE = '2026-12-06';

export interface PriceSource {
  url: string;
  /** The date the source page states for its figures. */
  as_of: string;
  /** Set when the page is not the provider's own. */
  note?: string;
}

export interface PriceEntry {
  /** Canonical upstream id plus aliases (matched after normalisation, see lookup.ts). */
  ids: readonly string[];
  vendor: 'openai' | 'anthropic' | 'google' | 'mistral' | 'deepseek';
  /** USD per 1M tokens, as price pages state them. */
  input: number;
  output: number;
  /** USD per 1M cached input tokens (prompt-cache read); absent when the source gives none. */
  cached_input?: number;
  source: PriceSource;
}

const OPENAI_SECONDARY: PriceSource = {
  url: 'https://deploybase.ai/articles/openai-pricing',
  as_of: '2026-03-21',
  note: "secondary page quoting OpenAI's pricing page (developers.openai.com/api/docs/pricing)",
};
const OPENAI_5X: PriceSource = {
  url: 'https://www.morphllm.com/openai-api-pricing',
  as_of: '2026-06',
  note: "secondary page quoting OpenAI's pricing page",
};
const OPENAI_4O: PriceSource = {
  url: 'https://chatgptpricing-akr.pages.dev/api-pricing',
  as_of: '2026',
  note: 'secondary page quoting developers.openai.com/api/docs/pricing',
};
const ANTHROPIC_DOCS: PriceSource = {
  url: 'https://docs.anthropic.com/en/docs/about-claude/pricing',
  as_of: '2025-08',
};
const ANTHROPIC_4X: PriceSource = {
  url: 'https://deploybase.ai/articles/claude-api-pricing',
  as_of: '2026-03-21',
  note: "secondary page; cached input = 10 % of input, Anthropic's documented cache-hit rate",
};
const GOOGLE: PriceSource = {
  url: 'https://www.morphllm.com/gemini-api-pricing',
  as_of: '2026',
  note: 'secondary page quoting ai.google.dev/gemini-api/docs/pricing; rates for prompts ≤ 200k tokens',
};
const MISTRAL: PriceSource = {
  url: 'https://developer.puter.com/tutorials/mistral-api-pricing/',
  as_of: '2026-06',
  note: 'secondary page quoting mistral.ai/pricing; Mistral publishes no cached-input rate',
};
const DEEPSEEK: PriceSource = {
  url: 'https://benchlm.ai/blog/posts/deepseek-api-pricing',
  as_of: '2026-04-13',
  note: 'secondary page quoting api-docs.deepseek.com/quick_start/pricing (DeepSeek-V3.2 endpoints)',
};

export const PRICE_TABLE: readonly PriceEntry[] = [
  // OpenAI
  { ids: ['gpt-5.5'], vendor: 'openai', input: 5, cached_input: 0.5, output: 30, source: OPENAI_5X },
  { ids: ['gpt-5.4'], vendor: 'openai', input: 2.5, cached_input: 0.25, output: 15, source: OPENAI_5X },
  { ids: ['gpt-5.4-mini'], vendor: 'openai', input: 0.75, cached_input: 0.075, output: 4.5, source: OPENAI_5X },
  { ids: ['gpt-5.4-nano'], vendor: 'openai', input: 0.2, cached_input: 0.02, output: 1.25, source: OPENAI_5X },
  { ids: ['gpt-5.1', 'gpt-5'], vendor: 'openai', input: 1.25, output: 10, source: OPENAI_SECONDARY },
  { ids: ['gpt-5-mini'], vendor: 'openai', input: 0.25, output: 2, source: OPENAI_SECONDARY },
  { ids: ['gpt-5-nano'], vendor: 'openai', input: 0.05, output: 0.4, source: OPENAI_SECONDARY },
  { ids: ['gpt-4.1'], vendor: 'openai', input: 2, output: 8, source: OPENAI_SECONDARY },
  { ids: ['gpt-4.1-mini'], vendor: 'openai', input: 0.4, output: 1.6, source: OPENAI_SECONDARY },
  { ids: ['gpt-4.1-nano'], vendor: 'openai', input: 0.1, output: 0.4, source: OPENAI_SECONDARY },
  { ids: ['gpt-4o'], vendor: 'openai', input: 2.5, cached_input: 1.25, output: 10, source: OPENAI_4O },
  { ids: ['gpt-4o-mini'], vendor: 'openai', input: 0.15, cached_input: 0.075, output: 0.6, source: OPENAI_4O },
  { ids: ['o3'], vendor: 'openai', input: 2, output: 8, source: OPENAI_SECONDARY },
  { ids: ['o4-mini'], vendor: 'openai', input: 1.1, output: 4.4, source: OPENAI_SECONDARY },
  // Anthropic
  {
    ids: ['claude-opus-4-1', 'claude-opus-4'],
    vendor: 'anthropic',
    input: 15,
    cached_input: 1.5,
    output: 75,
    source: ANTHROPIC_DOCS,
  },
  {
    ids: ['claude-sonnet-4', 'claude-3-7-sonnet'],
    vendor: 'anthropic',
    input: 3,
    cached_input: 0.3,
    output: 15,
    source: ANTHROPIC_DOCS,
  },
  { ids: ['claude-3-5-haiku'], vendor: 'anthropic', input: 0.8, cached_input: 0.08, output: 4, source: ANTHROPIC_DOCS },
  {
    ids: ['claude-3-haiku'],
    vendor: 'anthropic',
    input: 0.25,
    cached_input: 0.03,
    output: 1.25,
    source: ANTHROPIC_DOCS,
  },
  {
    ids: ['claude-opus-4-6', 'claude-opus-4-5'],
    vendor: 'anthropic',
    input: 5,
    cached_input: 0.5,
    output: 25,
    source: ANTHROPIC_4X,
  },
  {
    ids: ['claude-sonnet-4-6', 'claude-sonnet-4-5'],
    vendor: 'anthropic',
    input: 3,
    cached_input: 0.3,
    output: 15,
    source: ANTHROPIC_4X,
  },
  { ids: ['claude-haiku-4-5'], vendor: 'anthropic', input: 1, cached_input: 0.1, output: 5, source: ANTHROPIC_4X },
  // Google
  { ids: ['gemini-3.1-pro', 'gemini-3.1-pro-preview'], vendor: 'google', input: 2, output: 12, source: GOOGLE },
  { ids: ['gemini-3-flash', 'gemini-3-flash-preview'], vendor: 'google', input: 0.5, output: 3, source: GOOGLE },
  { ids: ['gemini-2.5-pro'], vendor: 'google', input: 1.25, output: 10, source: GOOGLE },
  { ids: ['gemini-2.5-flash'], vendor: 'google', input: 0.3, output: 2.5, source: GOOGLE },
  { ids: ['gemini-2.5-flash-lite'], vendor: 'google', input: 0.1, output: 0.4, source: GOOGLE },
  // Mistral (the -latest aliases point at these generations on the source's date)
  { ids: ['mistral-medium-3.5', 'mistral-medium-latest'], vendor: 'mistral', input: 1.5, output: 7.5, source: MISTRAL },
  { ids: ['mistral-large-3', 'mistral-large-latest'], vendor: 'mistral', input: 0.5, output: 1.5, source: MISTRAL },
  { ids: ['mistral-small-4', 'mistral-small-latest'], vendor: 'mistral', input: 0.1, output: 0.3, source: MISTRAL },
  { ids: ['codestral'], vendor: 'mistral', input: 0.3, output: 0.9, source: MISTRAL },
  { ids: ['magistral-medium'], vendor: 'mistral', input: 2, output: 5, source: MISTRAL },
  { ids: ['magistral-small'], vendor: 'mistral', input: 0.5, output: 1.5, source: MISTRAL },
  { ids: ['devstral-2', 'devstral-latest'], vendor: 'mistral', input: 0.4, output: 2, source: MISTRAL },
  // DeepSeek
  {
    ids: ['deepseek-chat', 'deepseek-reasoner'],
    vendor: 'deepseek',
    input: 0.28,
    cached_input: 0.028,
    output: 0.42,
    source: DEEPSEEK,
  },
];
