// Public surface of the providers folder. Other daemon folders import from here (or ./types).
export { createProviderRegistry, type ProviderRegistryDeps } from './registry';
export {
  ProviderError,
  type LlmProvider,
  type ProviderCallOptions,
  type ProviderErrorPhase,
  type ProviderRegistry,
  type VscodeLmBridge,
} from './types';
export { OpenAICompatibleProvider, OPENAI_DEFAULT_BASE } from './openai-compatible';
export { AnthropicProvider, ANTHROPIC_DEFAULT_BASE, ANTHROPIC_VERSION } from './anthropic';
export { OllamaProvider, OLLAMA_DEFAULT_BASE } from './ollama';
export { VscodeLmProvider, NO_VSCODE_BRIDGE } from './vscode-lm';
export { agentStats } from './transport/http';
