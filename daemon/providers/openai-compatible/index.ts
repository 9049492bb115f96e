// Any OpenAI-compatible server (OpenAI, vLLM, LM Studio, llama.cpp server, OpenRouter, Groq, …):
// the request is already in the right shape, so this adapter forwards the known parameters and parses
// the SSE stream. api_base ends in /v1 by convention; the adapter appends /chat/completions.
import type { ModelConfig } from '../../../shared/config';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatMessage,
  ChatMessageWithThinking,
} from '../../../shared/openai';
import { ProviderError, type LlmProvider, type ProviderCallOptions } from '../types';
import { malformedError, streamEndedEarly } from '../transport/errors';
import {
  ensureOk,
  readText,
  requestJson,
  sendRequest,
  succeeded,
  toWireHeaders,
  type UpstreamRequest,
} from '../transport/http';
import { deltaChunk, trimSlash, usageChunk } from '../transport/openai-shapes';
import { SseParser, type SseEvent } from '../transport/sse';
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

/**
 * OpenAI's reasoning models (o1, o3, o4-mini, the gpt-5 family) refuse `max_tokens` with a 400 ("Use
 * 'max_completion_tokens' instead"), and a 400 is not retried on another model. The Messages door
 * (Anthropic clients always send max_tokens), the Responses door and older OpenAI clients send it.
 * Only bare ids: a gateway's "openai/o3" (OpenRouter) takes max_tokens for every model.
 */
const REFUSES_MAX_TOKENS = /^(o[1-9](-|$)|gpt-5)/;

/** An OpenAI reasoning model's id (o-series, the gpt-5 family), without any gateway's "vendor/" prefix. */
export function isOpenAIReasoningModel(id: string): boolean {
  return REFUSES_MAX_TOKENS.test(id.toLowerCase());
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
  if (body.max_tokens !== undefined && isOpenAIReasoningModel(request.model)) {
    body.max_completion_tokens ??= body.max_tokens;
    delete body.max_tokens;
  }
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

function* completionAsChunks(c: ChatCompletion): Generator<ChatCompletionChunk> {
  const header = { id: c.id, created: c.created, model: c.model };
  const choice = c.choices[0];
  yield deltaChunk(header, { role: 'assistant', content: choice?.message.content ?? '' });
  const calls = choice?.message.tool_calls;
  if (calls?.length) yield deltaChunk(header, { tool_calls: calls.map((t, index) => ({ index, ...t })) });
  yield deltaChunk(header, {}, choice?.finish_reason ?? 'stop');
  if (c.usage) yield usageChunk(header, c.usage);
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

  async *chatStream(
    model: ModelConfig,
    request: ChatCompletionRequest,
    options: ProviderCallOptions,
  ): AsyncGenerator<ChatCompletionChunk> {
    // Made before the request goes out: building it is then not on the way to the first chunk.
    const parser = new SseParser();
    const res = await sendRequest(chatRequest(model, request, true, options));
    let complete = false;
    try {
      // (Checked before calling: an async call that has nothing to do still costs a turn of the
      // microtask queue on the way to the first chunk.)
      if (!succeeded(res)) await ensureOk(res, PROVIDER);
      if (String(res.headers['content-type']).startsWith('application/json')) {
        // Some servers ignore `stream: true` and answer with one JSON completion: replay it as chunks.
        let completion: ChatCompletion | undefined;
        try {
          completion = JSON.parse(await readText(res, PROVIDER)) as ChatCompletion;
        } catch (err) {
          if (err instanceof ProviderError) throw err;
        }
        if (!completion || !Array.isArray(completion.choices)) {
          throw malformedError(PROVIDER, 'completion (no choices)');
        }
        complete = true;
        yield* completionAsChunks(completion);
        return;
      }
      let sawFinish = false;
      // Body chunks parsed in this loop (no generator layer per event: this is the streaming hot path).
      const events: SseEvent[] = [];
      for (let ended = false; !ended;) {
        const next = await res.body.next();
        if (next.done) {
          parser.end(events);
          ended = true;
        } else parser.push(next.value, events);
        for (let i = 0; i < events.length; i++) {
          const data = events[i]!.data;
          if (data === '[DONE]') {
            complete = true;
            return;
          }
          let chunk: ChatCompletionChunk & { error?: { message?: string; type?: string; code?: unknown } };
          try {
            chunk = JSON.parse(data) as typeof chunk;
          } catch {
            throw new ProviderError(`${PROVIDER} upstream sent a malformed stream event`, 'stream', undefined, false);
          }
          // OpenAI, vLLM and LiteLLM report failures after the stream started as `data: {"error": …}`.
          if (chunk.error) {
            const message = chunk.error.message ?? JSON.stringify(chunk.error);
            throw new ProviderError(
              `${PROVIDER} upstream stream error: ${message}`,
              'stream',
              statusOfStreamError(chunk.error),
              false,
              message,
            );
          }
          if (chunk.choices?.some((c) => c.finish_reason)) sawFinish = true;
          yield chunk;
        }
        events.length = 0;
      }
      // Servers that omit [DONE] still end cleanly after a finish_reason; anything else was cut off.
      if (!sawFinish) throw streamEndedEarly(PROVIDER);
      complete = true;
    } finally {
      if (complete) await res.drain();
      else res.close();
    }
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

/**
 * The HTTP status an in-stream error stands for, from its type or code (OpenAI: rate_limit_exceeded,
 * server_error; vLLM and LiteLLM: overloaded…), so a door can tell its client "rate limited" or
 * "overloaded" in its own format (the Messages door's rate_limit_error / overloaded_error).
 */
function statusOfStreamError(error: { type?: string; code?: unknown }): number | undefined {
  const kind = `${error.type ?? ''} ${typeof error.code === 'string' ? error.code : ''}`.toLowerCase();
  if (kind.includes('rate_limit')) return 429;
  if (kind.includes('overload')) return 529;
  if (kind.includes('server_error')) return 500;
  return undefined;
}
