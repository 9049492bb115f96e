// Fake OpenAI-compatible upstream: POST /v1/chat/completions (JSON or SSE `data: {...}` … `data: [DONE]`,
// with stream_options.include_usage), GET /v1/models, and OpenAI's error body.
import {
  lastUserMessageText,
  messagesChars,
  startFakeServer,
  type FakeAnswer,
  type FakeError,
  type FakeOptions,
  type FakeUpstream,
  type WireFormat,
} from './server';

function openaiErrorType(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 404) return { type: 'invalid_request_error', code: 'model_not_found' };
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

function chunk(a: FakeAnswer, delta: Record<string, unknown>, finish: string | null, usage?: unknown) {
  return {
    id: a.id,
    object: 'chat.completion.chunk',
    created: a.created,
    model: a.model,
    system_fingerprint: 'fp_fake',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(usage === undefined ? {} : { usage }),
  };
}

function usageOf(a: FakeAnswer) {
  return {
    prompt_tokens: a.usage.prompt,
    completion_tokens: a.usage.completion,
    total_tokens: a.usage.prompt + a.usage.completion,
    ...(a.usage.cacheRead !== undefined ? { prompt_tokens_details: { cached_tokens: a.usage.cacheRead } } : {}),
  };
}

export const openaiWire: WireFormat = {
  kind: 'openai',
  basePath: '/v1',
  chatRoute: 'POST /v1/chat/completions',
  idPrefix: 'chatcmpl-fake-',
  toolIdPrefix: 'call_fake_',
  isStream: (body) => body.stream === true,
  includeUsage: (body) => body.stream_options?.include_usage === true,
  lastUserText: (body) => lastUserMessageText(body.messages),
  promptChars: (body) => messagesChars(body.messages),
  authorized: (headers, key) => headers.authorization === `Bearer ${key}`,
  errorBody: (e: FakeError) => {
    const d = openaiErrorType(e.status);
    return {
      error: {
        message: e.message,
        type: e.type ?? d.type,
        param: e.param ?? null,
        code: e.code !== undefined ? e.code : d.code,
      },
    };
  },
  notFound: (method, path) => ({ status: 404, message: `Invalid URL (${method} ${path})`, code: null }),
  json: (a) => ({
    id: a.id,
    object: 'chat.completion',
    created: a.created,
    model: a.model,
    system_fingerprint: 'fp_fake',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: a.toolCalls.length && !a.text ? null : a.text,
          refusal: null,
          ...(a.toolCalls.length
            ? {
                tool_calls: a.toolCalls.map((t) => ({
                  id: t.id,
                  type: 'function',
                  function: { name: t.name, arguments: t.args },
                })),
              }
            : {}),
        },
        logprobs: null,
        finish_reason: a.nativeFinishReason ?? a.finishReason,
      },
    ],
    usage: usageOf(a),
  }),
  streamContentType: 'text/event-stream; charset=utf-8',
  frames: (a) => {
    const withUsage = a.includeUsage ? null : undefined;
    const frames = [sse(chunk(a, { role: 'assistant', content: '', refusal: null }, null, withUsage))];
    for (const piece of a.pieces) frames.push(sse(chunk(a, { content: piece }, null, withUsage)));
    // Arguments arrive in pieces, as the real API sends them; clients must concatenate. Each call's
    // frames: its head (id, name), then two halves of its arguments.
    const perCall = a.toolCalls.map((t) => {
      const head = { index: t.index, id: t.id, type: 'function', function: { name: t.name, arguments: '' } };
      const half = Math.ceil(t.args.length / 2);
      const parts = [t.args.slice(0, half), t.args.slice(half)].filter(Boolean);
      return [head, ...parts.map((part) => ({ index: t.index, function: { arguments: part } }))];
    });
    // One call after the other, or (interleaveToolCalls) round-robin: every call's first frame, then every second…
    const order = a.interleaveToolCalls
      ? Array.from({ length: 3 }, (_, i) => perCall.flatMap((frames) => frames.slice(i, i + 1))).flat()
      : perCall.flat();
    for (const call of order) frames.push(sse(chunk(a, { tool_calls: [call] }, null, withUsage)));
    frames.push(sse(chunk(a, {}, a.nativeFinishReason ?? a.finishReason, withUsage)));
    if (a.includeUsage) {
      frames.push(
        sse({
          id: a.id,
          object: 'chat.completion.chunk',
          created: a.created,
          model: a.model,
          system_fingerprint: 'fp_fake',
          choices: [],
          usage: usageOf(a),
        }),
      );
    }
    frames.push('data: [DONE]\n\n');
    return frames;
  },
  // What OpenAI (and vLLM, LiteLLM…) send when a stream fails after it started.
  streamErrorFrame: (e) =>
    sse({ error: { message: e.message, type: e.type ?? 'server_error', param: null, code: null } }),
  routes: {
    'GET /v1/models': (fake: FakeUpstream) => ({
      object: 'list',
      data: fake.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' })),
    }),
  },
};

/** A fake OpenAI-compatible server; `url` ends in /v1. */
export function startFakeOpenAI(opts: FakeOptions = {}): Promise<FakeUpstream> {
  return startFakeServer(openaiWire, opts);
}
