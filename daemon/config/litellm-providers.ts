// LiteLLM's provider names for APIs that speak OpenAI's chat completions. Fugusashi 0.3.0 called its
// models through LiteLLM, so a 0.3.0 config.yaml may say `provider: groq` (or openrouter, mistral…)
// with no api_base and no api_key: LiteLLM knew each provider's endpoint and read its key from the
// provider's environment variable. Here those models are OpenAI-compatible upstreams at the same
// endpoint with the same variable (legacy-030.ts rewrites the provider, env-keys.ts reads the key).

export interface HostedOpenAiCompatible {
  /** The provider's OpenAI-compatible base URL (chat/completions is appended). */
  apiBase: string;
  /** Environment variables LiteLLM reads the key from, in its order of preference. */
  variables: readonly string[];
}

/** Hosted providers: LiteLLM name → endpoint and key variables. */
export const LITELLM_HOSTED: Readonly<Record<string, HostedOpenAiCompatible>> = {
  groq: { apiBase: 'https://api.groq.com/openai/v1', variables: ['GROQ_API_KEY'] },
  openrouter: { apiBase: 'https://openrouter.ai/api/v1', variables: ['OPENROUTER_API_KEY', 'OR_API_KEY'] },
  together_ai: {
    apiBase: 'https://api.together.xyz/v1',
    variables: ['TOGETHER_API_KEY', 'TOGETHER_AI_API_KEY', 'TOGETHERAI_API_KEY', 'TOGETHER_AI_TOKEN'],
  },
  deepseek: { apiBase: 'https://api.deepseek.com/v1', variables: ['DEEPSEEK_API_KEY'] },
  mistral: { apiBase: 'https://api.mistral.ai/v1', variables: ['MISTRAL_API_KEY'] },
  fireworks_ai: {
    apiBase: 'https://api.fireworks.ai/inference/v1',
    variables: ['FIREWORKS_API_KEY', 'FIREWORKS_AI_API_KEY', 'FIREWORKSAI_API_KEY'],
  },
  xai: { apiBase: 'https://api.x.ai/v1', variables: ['XAI_API_KEY'] },
  perplexity: { apiBase: 'https://api.perplexity.ai', variables: ['PERPLEXITYAI_API_KEY', 'PERPLEXITY_API_KEY'] },
  deepinfra: { apiBase: 'https://api.deepinfra.com/v1/openai', variables: ['DEEPINFRA_API_KEY'] },
  cerebras: { apiBase: 'https://api.cerebras.ai/v1', variables: ['CEREBRAS_API_KEY'] },
  sambanova: { apiBase: 'https://api.sambanova.ai/v1', variables: ['SAMBANOVA_API_KEY'] },
  nvidia_nim: { apiBase: 'https://integrate.api.nvidia.com/v1', variables: ['NVIDIA_NIM_API_KEY'] },
  // Hugging Face's inference router speaks OpenAI's chat completions; LiteLLM reads HF_TOKEN first.
  huggingface: { apiBase: 'https://router.huggingface.co/v1', variables: ['HF_TOKEN', 'HUGGINGFACE_API_KEY'] },
  // Google's OpenAI-compatible endpoint takes the same key LiteLLM's gemini provider reads.
  gemini: { apiBase: 'https://generativelanguage.googleapis.com/v1beta/openai', variables: ['GEMINI_API_KEY'] },
};

/**
 * LiteLLM names for self-hosted OpenAI-compatible servers (their config gives api_base) and for
 * Ollama's chat endpoint: the provider kind they are here.
 */
export const LITELLM_SELF_HOSTED: Readonly<Record<string, 'openai' | 'ollama'>> = {
  hosted_vllm: 'openai',
  lm_studio: 'openai',
  openai_like: 'openai',
  custom_openai: 'openai',
  ollama_chat: 'ollama',
};

/** The key variables of the hosted provider whose endpoint is at `host`, if any. */
export function hostedVariablesFor(host: string): readonly string[] | undefined {
  for (const provider of Object.values(LITELLM_HOSTED)) {
    if (new URL(provider.apiBase).hostname === host) return provider.variables;
  }
  return undefined;
}
