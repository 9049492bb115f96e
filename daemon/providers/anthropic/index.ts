// Anthropic Messages API adapter: POST {api_base}/v1/messages with x-api-key and anthropic-version;
// translation lives in request.ts / response.ts, transport in ../transport.
import type { ModelConfig } from '../../../shared/config';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../../shared/openai';
import { ProviderError, type LlmProvider, type ProviderCallOptions } from '../types';
import { malformedError, streamEndedEarly } from '../transport/errors';
import { ensureOk, requestJson, sendRequest, type UpstreamRequest } from '../transport/http';
import { trimSlash } from '../transport/openai-shapes';
import { parseSse } from '../transport/sse';
import { applyJsonMode, buildAnthropicRequest } from './request';
import { addCacheBreakpoints, wantsPromptCache } from './prompt-cache';
import {
  AnthropicStreamTranslator,
  toChatCompletion,
  type AnthropicResponse,
  type AnthropicStreamEvent,
} from './response';

export const ANTHROPIC_DEFAULT_BASE = 'https://api.anthropic.com';
export const ANTHROPIC_VERSION = '2023-06-01';
const PROVIDER = 'anthropic';

function headersFor(
  apiKey: string | undefined,
  extra: Record<string, string> | undefined,
  accept: string,
): Record<string, string> {
  const headers: Record<string, string> = {
    accept,
    'content-type': 'application/json',
    'anthropic-version': ANTHROPIC_VERSION,
  };
  if (apiKey) headers['x-api-key'] = apiKey;
  if (extra) Object.assign(headers, extra);
  return headers;
}

/** The upstream request, and the text prefilled for JSON mode (the answer continues after it). */
function messagesRequest(
  model: ModelConfig,
  request: ChatCompletionRequest,
  stream: boolean,
  options: ProviderCallOptions,
): UpstreamRequest & { prefill: string } {
  const body = buildAnthropicRequest(model, request, stream);
  const prefill = applyJsonMode(body, request.response_format) ?? '';
  if (wantsPromptCache(request)) addCacheBreakpoints(body);
  return {
    provider: PROVIDER,
    method: 'POST',
    url: `${trimSlash(model.api_base || ANTHROPIC_DEFAULT_BASE)}/v1/messages`,
    headers: headersFor(model.api_key, model.headers, stream ? 'text/event-stream' : 'application/json'),
    body: JSON.stringify(body),
    options,
    prefill,
  };
}

export class AnthropicProvider implements LlmProvider {
  readonly kind = 'anthropic';

  async chat(
    model: ModelConfig,
    request: ChatCompletionRequest,
    options: ProviderCallOptions,
  ): Promise<ChatCompletion> {
    const upstream = messagesRequest(model, request, false, options);
    const msg = await requestJson<AnthropicResponse>(upstream);
    if (!msg || !Array.isArray(msg.content)) throw malformedError(PROVIDER, 'message (no content)');
    const completion = toChatCompletion(msg, request.model);
    const message = completion.choices[0]?.message;
    if (upstream.prefill && message) message.content = upstream.prefill + (message.content ?? '');
    return completion;
  }

  async *chatStream(
    model: ModelConfig,
    request: ChatCompletionRequest,
    options: ProviderCallOptions,
  ): AsyncGenerator<ChatCompletionChunk> {
    const upstream = messagesRequest(model, request, true, options);
    const res = await sendRequest(upstream);
    let prefill = upstream.prefill;
    let complete = false;
    try {
      await ensureOk(res, PROVIDER);
      const translator = new AnthropicStreamTranslator(request.model);
      for await (const event of parseSse(res.body)) {
        let parsed: AnthropicStreamEvent;
        try {
          parsed = JSON.parse(event.data) as AnthropicStreamEvent;
        } catch {
          throw new ProviderError(`${PROVIDER} upstream sent a malformed stream event`, 'stream', undefined, false);
        }
        parsed.type ??= event.event;
        for (const chunk of translator.push(parsed)) {
          const delta = chunk.choices[0]?.delta;
          if (prefill && delta && typeof delta.content === 'string') {
            delta.content = prefill + delta.content;
            prefill = '';
          }
          yield chunk;
        }
        if (translator.done) {
          complete = true;
          return;
        }
      }
      throw streamEndedEarly(PROVIDER);
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
      url: `${trimSlash(apiBase || ANTHROPIC_DEFAULT_BASE)}/v1/models`,
      headers: headersFor(apiKey, undefined, 'application/json'),
      options,
    });
    return (list.data ?? []).map((m) => m.id);
  }
}
