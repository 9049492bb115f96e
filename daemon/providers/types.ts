// The one interface every upstream adapter implements (Portkey-style: one folder per provider).
// Requests and responses are OpenAI-shaped; each adapter translates to its own wire format.
import type { ModelConfig, ProviderKind } from '../../shared/config';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../shared/openai';
import type { VscodeLmChatParams, VscodeLmPiece } from '../../shared/protocol';

/**
 * What a request's cancellation is read through: an AbortSignal has it, and so has the HTTP door's
 * lighter ClientDisconnect (http/client-disconnect.ts), which every HTTP request creates. Only
 * these four members are used, so either fits wherever a request's signal goes.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface ProviderCallOptions {
  signal: CancelSignal;
  /** Fail with ProviderError(phase 'connect') if the TCP/TLS connection takes longer. */
  connectTimeoutMs: number;
  /** Fail with ProviderError(phase 'first_byte') if no response byte/chunk arrives in time. */
  firstByteTimeoutMs: number;
  /** Fail with ProviderError(phase 'stream') if the upstream goes silent this long mid-answer (default: firstByteTimeoutMs). */
  idleTimeoutMs?: number;
}

/**
 * One upstream API (OpenAI-compatible, Anthropic, Ollama, VS Code LM). Requests and responses are
 * OpenAI-shaped; `request.model` is already the upstream id (ModelConfig.model).
 */
export interface LlmProvider {
  readonly kind: string;
  chat(model: ModelConfig, request: ChatCompletionRequest, options: ProviderCallOptions): Promise<ChatCompletion>;
  /** Chunks in OpenAI's chunk shape; the last chunk carries usage when the upstream reports it. */
  chatStream(
    model: ModelConfig,
    request: ChatCompletionRequest,
    options: ProviderCallOptions,
  ): AsyncIterable<ChatCompletionChunk>;
  /** Installed/available upstream model ids (Ollama's tags, OpenAI's /models). */
  listModels?(apiBase: string | undefined, apiKey: string | undefined, options: ProviderCallOptions): Promise<string[]>;
}

export type ProviderErrorPhase = 'connect' | 'first_byte' | 'response' | 'stream' | 'aborted';

/** Every adapter maps its failures to this. `retryable` says whether another candidate should be tried. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly phase: ProviderErrorPhase,
    /** Upstream HTTP status, when there was one. */
    readonly status: number | undefined,
    /** Connect errors, 5xx, 429 and first-byte timeouts are retryable; 4xx and aborts are not. */
    readonly retryable: boolean,
    /** The upstream's own error message, if it sent one. */
    readonly upstreamMessage?: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/**
 * How the daemon reaches VS Code's language models: it cannot call VS Code itself, so the RPC layer
 * asks a connected extension window (fugusashi/vscodeLmChat + fugusashi/vscodeLmChunk) and exposes it
 * through this. `chat` yields text pieces and whole tool calls as they arrive and stops when `signal`
 * aborts.
 */
export interface VscodeLmBridge {
  /** True while at least one extension window that offers language models is connected. */
  available(): boolean;
  chat(params: Omit<VscodeLmChatParams, 'streamId'>, signal: AbortSignal): AsyncIterable<VscodeLmPiece>;
}

/** All adapters by provider kind (see ./registry.ts). */
export interface ProviderRegistry {
  get(kind: ProviderKind): LlmProvider;
  readonly kinds: readonly ProviderKind[];
}
