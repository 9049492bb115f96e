// Ollama adapter: POST {api_base}/api/chat (NDJSON stream or one JSON object), GET {api_base}/api/tags.
// api_base is the host (default http://localhost:11434).
import type { ModelConfig } from '../../../shared/config';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../../shared/openai';
import { ProviderError, type LlmProvider, type ProviderCallOptions } from '../types';
import { malformedError, streamEndedEarly } from '../transport/errors';
import { ensureOk, requestJson, sendRequest, type UpstreamRequest } from '../transport/http';
import { parseNdjsonLines } from '../transport/ndjson';
import { trimSlash } from '../transport/openai-shapes';
import { buildOllamaRequest } from './request';
import { OllamaStreamTranslator, toChatCompletion, type OllamaChatLine } from './response';

export const OLLAMA_DEFAULT_BASE = 'http://localhost:11434';
const PROVIDER = 'ollama';

function headersFor(
  apiKey: string | undefined,
  extra: Record<string, string> | undefined,
  accept: string,
): Record<string, string> {
  const headers: Record<string, string> = { accept, 'content-type': 'application/json' };
  // Plain Ollama needs no key; one set in the config is for a proxy or a hosted Ollama in front.
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  if (extra) Object.assign(headers, extra);
  return headers;
}

function chatRequest(
  model: ModelConfig,
  request: ChatCompletionRequest,
  stream: boolean,
  options: ProviderCallOptions,
): UpstreamRequest {
  return {
    provider: PROVIDER,
    method: 'POST',
    url: `${trimSlash(model.api_base || OLLAMA_DEFAULT_BASE)}/api/chat`,
    headers: headersFor(model.api_key, model.headers, stream ? 'application/x-ndjson' : 'application/json'),
    body: JSON.stringify(buildOllamaRequest(request, stream)),
    options,
  };
}

export class OllamaProvider implements LlmProvider {
  readonly kind = 'ollama';

  async chat(
    model: ModelConfig,
    request: ChatCompletionRequest,
    options: ProviderCallOptions,
  ): Promise<ChatCompletion> {
    const line = await requestJson<OllamaChatLine>(chatRequest(model, request, false, options));
    if (!line || typeof line !== 'object' || !line.message) throw malformedError(PROVIDER, 'chat answer (no message)');
    return toChatCompletion(line, request.model);
  }

  async *chatStream(
    model: ModelConfig,
    request: ChatCompletionRequest,
    options: ProviderCallOptions,
  ): AsyncGenerator<ChatCompletionChunk> {
    const res = await sendRequest(chatRequest(model, request, true, options));
    let complete = false;
    try {
      await ensureOk(res, PROVIDER);
      const translator = new OllamaStreamTranslator(request.model);
      for await (const text of parseNdjsonLines(res.body)) {
        let line: OllamaChatLine;
        try {
          line = JSON.parse(text) as OllamaChatLine;
        } catch {
          throw new ProviderError(`${PROVIDER} upstream sent a malformed stream line`, 'stream', undefined, false);
        }
        for (const chunk of translator.push(line)) yield chunk;
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
    const tags = await requestJson<{ models?: { name: string }[] }>({
      provider: PROVIDER,
      method: 'GET',
      url: `${trimSlash(apiBase || OLLAMA_DEFAULT_BASE)}/api/tags`,
      headers: headersFor(apiKey, undefined, 'application/json'),
      options,
    });
    return (tags.models ?? []).map((m) => m.name);
  }
}
