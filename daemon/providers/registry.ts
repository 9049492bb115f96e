// The explicit list of adapters (Portkey keeps one too): provider kind → LlmProvider.
//
//   const providers = createProviderRegistry({ vscodeLm: bridge });
//   const provider = providers.get(model.provider);           // throws for an unknown kind
//   await provider.chat(model, { ...request, model: model.model }, { signal, connectTimeoutMs, firstByteTimeoutMs });
//   for await (const chunk of provider.chatStream(model, request, options)) { ... }
//
// Every adapter returns OpenAI shapes. chatStream always asks the upstream for usage and ends with a
// usage-only chunk (choices: []), as OpenAI does with stream_options.include_usage; the gateway
// forwards it only when the client asked. Failures are ProviderError (see ./types.ts): connect,
// first-byte timeouts, 5xx and 429 are retryable; other 4xx and caller aborts are not; a stream that
// breaks after chunks were yielded has phase 'stream' (only retryable for Anthropic overload/api
// errors, which the gateway should still treat as final once it has forwarded content).
import { PROVIDER_KINDS, type ProviderKind } from '../../shared/config';
import { AnthropicProvider } from './anthropic';
import { OllamaProvider } from './ollama';
import { OpenAICompatibleProvider } from './openai-compatible';
import type { LlmProvider, ProviderRegistry, VscodeLmBridge } from './types';
import { VscodeLmProvider } from './vscode-lm';

export interface ProviderRegistryDeps {
  /** The RPC layer's link to VS Code windows; without it vscode-lm models fail as retryable. */
  vscodeLm?: VscodeLmBridge;
}

export function createProviderRegistry(deps: ProviderRegistryDeps = {}): ProviderRegistry {
  const providers: Record<ProviderKind, LlmProvider> = {
    openai: new OpenAICompatibleProvider(),
    anthropic: new AnthropicProvider(),
    ollama: new OllamaProvider(),
    'vscode-lm': new VscodeLmProvider(deps.vscodeLm),
  };
  return {
    kinds: PROVIDER_KINDS,
    get(kind) {
      const provider = providers[kind];
      if (!provider) throw new Error(`unknown provider kind "${String(kind)}"`);
      return provider;
    },
  };
}
