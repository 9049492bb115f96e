// Any OpenAI-compatible server (OpenAI, vLLM, LM Studio, llama.cpp server, OpenRouter, Groq, …):
// the request is already in the right shape, so this adapter forwards the known parameters and parses
// the SSE stream. api_base ends in /v1 by convention; the adapter appends /chat/completions.
import type { ModelConfig } from '../../../shared/config';
import type {
  ChatCompletion,
  ChatCompletionRequest,
  ChatMessage,
  ChatMessageWithThinking,
} from '../../../shared/openai';
import type { LlmProvider, ProviderCallOptions } from '../types';
import { malformedError } from '../transport/errors';
import { requestJson, toWireHeaders, type UpstreamRequest } from '../transport/http';
import { trimSlash } from '../transport/openai-shapes';
import { OpenAIChunkStream } from './stream';
import { moveToolImagesToUserTurn } from './tool-images';

export const OPENAI_DEFAULT_BASE = 'https://api.openai.com/v1';
const PROVIDER = 'openai';

/**
 * Request fields forwarded upstream. An allowlist, because OpenAI itself rejects unknown parameters
 * and clients may send extras meant for the daemon.
 */
const FORWARDED = [
  'messages',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'seed',
  'n',
  'user',
  'frequency_penalty',
  'presence_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'reasoning_effort',
  'verbosity',
  'service_tier',
  'prediction',
  'modalities',
  'audio',
  'metadata',
  'store',
] as const;

const FORWARDED_KEYS: ReadonlySet<string> = new Set(FORWARDED);

/** Anthropic thinking blocks in history (Messages door) are not OpenAI fields: left out, with one scan. */
function withoutThinking(messages: ChatMessage[]): ChatMessage[] {
  if (!messages.some((m) => 'thinking_blocks' in m)) return messages;
  return messages.map((m) => {
    if (!('thinking_blocks' in m)) return m;
    const { thinking_blocks: _dropped, ...rest } = m as ChatMessageWithThinking;
    return rest;
  });
}

export function buildOpenAIBody(request: ChatCompletionRequest, stream: boolean): Record<string, unknown> {
  const source = request as Record<string, unknown>;
  const body: Record<string, unknown> = { model: request.model };
  // The request's own few keys, not the allowlist's 26: looking up absent keys on request objects
  // of many shapes cost more than the rest of building the upstream request (bench:gateway profile).
  for (const key of Object.keys(source)) {
    if (!FORWARDED_KEYS.has(key)) continue;
    const value = source[key];
    if (value !== undefined) body[key] = value;
  }
  if (Array.isArray(body.messages))
    body.messages = withoutThinking(moveToolImagesToUserTurn(body.messages as ChatMessage[]));
  if (stream) {
    body.stream = true;
    // Always ask for usage: the daemon records tokens and cost. The usage-only chunk comes last.
    body.stream_options = { ...request.stream_options, include_usage: true };
  }
  return body;
}

function headersFor(
  model: ModelConfig | undefined,
  apiKey: string | undefined,
  accept: string,
): Record<string, string> {
  const headers: Record<string, string> = { accept };
  if (model) headers['content-type'] = 'application/json';
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  // Gateways such as OpenRouter want extra headers (HTTP-Referer, X-Title…); the config supplies them.
  if (model?.headers) Object.assign(headers, model.headers);
  return headers;
}

/** What every chat call to one model sends besides its body: built once per model and kind of answer. */
interface ChatTarget {
  url: string;
  headers: Record<string, string>;
  /** Read, never changed, by undici (it copies what it sends). */
  wire: string[];
}

/**
 * Per pool model (a config reload makes new model objects): the URL and headers are the same for
 * every call, and rebuilding them (object, merge, flat list, URL string) was on the way to the
 * upstream request of every answer.
 */
const chatTargets = new WeakMap<ModelConfig, { stream: ChatTarget; json: ChatTarget }>();

function chatTarget(model: ModelConfig, stream: boolean): ChatTarget {
  let targets = chatTargets.get(model);
  if (!targets) {
    const url = `${trimSlash(model.api_base || OPENAI_DEFAULT_BASE)}/chat/completions`;
    const make = (accept: string): ChatTarget => {
      const headers = headersFor(model, model.api_key, accept);
      return { url, headers, wire: toWireHeaders(headers, '') };
    };
    targets = { stream: make('text/event-stream'), json: make('application/json') };
    chatTargets.set(model, targets);
  }
  return stream ? targets.stream : targets.json;
}

function chatRequest(
  model: ModelConfig,
  request: ChatCompletionRequest,
  stream: boolean,
  options: ProviderCallOptions,
): UpstreamRequest {
  const target = chatTarget(model, stream);
  return {
    provider: PROVIDER,
    method: 'POST',
    url: target.url,
    headers: target.headers,
    wire: target.wire,
    body: JSON.stringify(buildOpenAIBody(request, stream)),
    options,
  };
}

export class OpenAICompatibleProvider implements LlmProvider {
  readonly kind = 'openai';

  async chat(
    model: ModelConfig,
    request: ChatCompletionRequest,
    options: ProviderCallOptions,
  ): Promise<ChatCompletion> {
    const completion = await requestJson<ChatCompletion>(chatRequest(model, request, false, options));
    if (!completion || !Array.isArray(completion.choices)) throw malformedError(PROVIDER, 'completion (no choices)');
    completion.object ??= 'chat.completion';
    return completion;
  }

  chatStream(model: ModelConfig, request: ChatCompletionRequest, options: ProviderCallOptions): OpenAIChunkStream {
    return new OpenAIChunkStream(PROVIDER, () => chatRequest(model, request, true, options));
  }

  async listModels(
    apiBase: string | undefined,
    apiKey: string | undefined,
    options: ProviderCallOptions,
  ): Promise<string[]> {
    const list = await requestJson<{ data?: { id: string }[] }>({
      provider: PROVIDER,
      method: 'GET',
      url: `${trimSlash(apiBase || OPENAI_DEFAULT_BASE)}/models`,
      headers: headersFor(undefined, apiKey, 'application/json'),
      options,
    });
    return (list.data ?? []).map((m) => m.id);
  }
}
