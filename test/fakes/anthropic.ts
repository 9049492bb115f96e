// Fake Anthropic Messages API: POST /v1/messages (JSON, or SSE events message_start, ping,
// content_block_start/delta/stop, message_delta, message_stop), GET /v1/models, and Anthropic's error
// body {type:'error', error:{type, message}} (also as an `event: error` mid-stream).
import {
  contentText,
  lastUserMessageText,
  messagesChars,
  startFakeServer,
  type FakeAnswer,
  type FakeError,
  type FakeOptions,
  type FakeUpstream,
  type WireFormat,
} from './server';

function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

const event = (type: string, data: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

function stopReason(a: FakeAnswer): string {
  if (a.nativeFinishReason) return a.nativeFinishReason;
  return a.finishReason === 'length' ? 'max_tokens' : a.finishReason === 'tool_calls' ? 'tool_use' : 'end_turn';
}

/** Anthropic's input_tokens leave out the tokens its prompt cache read or wrote (reported apart). */
function inputUsage(a: FakeAnswer): Record<string, number | Record<string, number>> {
  const read = a.usage.cacheRead ?? 0;
  const created = a.usage.cacheCreation ?? 0;
  return {
    input_tokens: a.usage.prompt - read - created,
    ...(a.usage.cacheRead !== undefined || a.usage.cacheCreation !== undefined
      ? {
          cache_read_input_tokens: read,
          cache_creation_input_tokens: created,
          cache_creation: {
            ephemeral_5m_input_tokens: created - (a.usage.cacheCreation1h ?? 0),
            ephemeral_1h_input_tokens: a.usage.cacheCreation1h ?? 0,
          },
        }
      : {}),
  };
}

/** Thinking streams in two pieces, as real thinking arrives in several deltas. */
function splitThinking(text: string): string[] {
  const half = Math.ceil(text.length / 2);
  return [text.slice(0, half), text.slice(half)].filter(Boolean);
}

function parseArgs(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return {};
  }
}

function systemText(system: unknown): string {
  return typeof system === 'string' ? system : contentText(system);
}

export const anthropicWire: WireFormat = {
  kind: 'anthropic',
  basePath: '',
  chatRoute: 'POST /v1/messages',
  idPrefix: 'msg_fake_',
  toolIdPrefix: 'toolu_fake_',
  isStream: (body) => body.stream === true,
  includeUsage: () => true,
  lastUserText: (body) => lastUserMessageText(body.messages),
  promptChars: (body) => messagesChars(body.messages, systemText(body.system)),
  authorized: (headers, key) => headers['x-api-key'] === key,
  errorBody: (e: FakeError) => ({
    type: 'error',
    error: { type: e.type ?? anthropicErrorType(e.status), message: e.message },
  }),
  notFound: (_method, path) => ({ status: 404, message: `Not found: ${path}` }),
  json: (a) => ({
    id: a.id,
    type: 'message',
    role: 'assistant',
    model: a.model,
    content: [
      ...(a.thinking !== undefined ? [{ type: 'thinking', thinking: a.thinking, signature: `sig_fake_${a.id}` }] : []),
      ...(a.text ? [{ type: 'text', text: a.text }] : []),
      ...a.toolCalls.map((t) => ({ type: 'tool_use', id: t.id, name: t.name, input: parseArgs(t.args) })),
    ],
    stop_reason: stopReason(a),
    stop_sequence: a.stopSequence ?? null,
    usage: { ...inputUsage(a), output_tokens: a.usage.completion },
  }),
  streamContentType: 'text/event-stream; charset=utf-8',
  frames: (a) => {
    const frames = [
      event('message_start', {
        message: {
          id: a.id,
          type: 'message',
          role: 'assistant',
          model: a.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...inputUsage(a), output_tokens: 1 },
        },
      }),
      event('ping', {}),
    ];
    let index = 0;
    if (a.thinking !== undefined) {
      frames.push(
        event('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }),
      );
      for (const piece of splitThinking(a.thinking))
        frames.push(event('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } }));
      frames.push(
        event('content_block_delta', { index, delta: { type: 'signature_delta', signature: `sig_fake_${a.id}` } }),
      );
      frames.push(event('content_block_stop', { index }));
      index++;
    }
    if (a.text) {
      frames.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      for (const piece of a.pieces)
        frames.push(event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
      frames.push(event('content_block_stop', { index }));
      index++;
    }
    for (const t of a.toolCalls) {
      frames.push(
        event('content_block_start', { index, content_block: { type: 'tool_use', id: t.id, name: t.name, input: {} } }),
      );
      const half = Math.ceil(t.args.length / 2);
      for (const part of [t.args.slice(0, half), t.args.slice(half)]) {
        if (part)
          frames.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } }));
      }
      frames.push(event('content_block_stop', { index }));
      index++;
    }
    frames.push(
      event('message_delta', {
        delta: { stop_reason: stopReason(a), stop_sequence: a.stopSequence ?? null },
        usage: { output_tokens: a.usage.completion },
      }),
    );
    frames.push(event('message_stop', {}));
    return frames;
  },
  streamErrorFrame: (e) => event('error', { error: { type: e.type ?? 'overloaded_error', message: e.message } }),
  routes: {
    'GET /v1/models': (fake: FakeUpstream) => ({
      data: fake.models.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' })),
      has_more: false,
      first_id: fake.models[0] ?? null,
      last_id: fake.models[fake.models.length - 1] ?? null,
    }),
  },
};

/** A fake Anthropic Messages API; `url` is the host (the adapter appends /v1/messages). */
export function startFakeAnthropic(opts: FakeOptions = {}): Promise<FakeUpstream> {
  return startFakeServer(anthropicWire, opts);
}
