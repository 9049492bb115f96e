// Fake Ollama: POST /api/chat (NDJSON stream unless `stream: false`, then one JSON object), GET /api/tags,
// GET /api/version, GET / ("Ollama is running"), and Ollama's error body {error: "..."}.
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

const line = (data: unknown) => JSON.stringify(data) + '\n';

function parseArgs(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return {};
  }
}

// Ollama says 'stop' also when the model called tools; 'length' when num_predict was reached.
const doneReason = (a: FakeAnswer) => a.nativeFinishReason ?? (a.finishReason === 'length' ? 'length' : 'stop');

function finalStats(a: FakeAnswer) {
  return {
    done_reason: doneReason(a),
    done: true,
    total_duration: 1_000_000,
    load_duration: 100_000,
    prompt_eval_count: a.usage.prompt,
    prompt_eval_duration: 200_000,
    eval_count: a.usage.completion,
    eval_duration: 700_000,
  };
}

const toolCallsOf = (a: FakeAnswer) =>
  a.toolCalls.map((t) => ({ function: { index: t.index, name: t.name, arguments: parseArgs(t.args) } }));

export const ollamaWire: WireFormat = {
  kind: 'ollama',
  basePath: '',
  chatRoute: 'POST /api/chat',
  idPrefix: 'ollama-fake-',
  toolIdPrefix: undefined,
  // Ollama streams by default.
  isStream: (body) => body.stream !== false,
  includeUsage: () => true,
  lastUserText: (body) => lastUserMessageText(body.messages),
  promptChars: (body) => messagesChars(body.messages),
  authorized: (headers, key) => headers.authorization === `Bearer ${key}`,
  errorBody: (e: FakeError) => ({ error: e.message }),
  notFound: () => ({ status: 404, message: '404 page not found' }),
  json: (a) => ({
    model: a.model,
    created_at: new Date(a.created * 1000).toISOString(),
    message: { role: 'assistant', content: a.text, ...(a.toolCalls.length ? { tool_calls: toolCallsOf(a) } : {}) },
    ...finalStats(a),
  }),
  streamContentType: 'application/x-ndjson',
  frames: (a) => {
    const at = new Date(a.created * 1000).toISOString();
    const frames = a.pieces.map((piece) =>
      line({ model: a.model, created_at: at, message: { role: 'assistant', content: piece }, done: false }),
    );
    if (a.toolCalls.length) {
      frames.push(
        line({
          model: a.model,
          created_at: at,
          message: { role: 'assistant', content: '', tool_calls: toolCallsOf(a) },
          done: false,
        }),
      );
    }
    frames.push(
      line({ model: a.model, created_at: at, message: { role: 'assistant', content: '' }, ...finalStats(a) }),
    );
    return frames;
  },
  streamErrorFrame: (e) => line({ error: e.message }),
  routes: {
    'GET /api/tags': (fake: FakeUpstream) => ({
      models: fake.models.map((name) => ({
        name,
        model: name,
        modified_at: '2025-01-01T00:00:00Z',
        size: 1_300_000_000,
        digest: 'f'.repeat(64),
        details: {
          parent_model: '',
          format: 'gguf',
          family: 'llama',
          families: ['llama'],
          parameter_size: '1.2B',
          quantization_level: 'Q8_0',
        },
      })),
    }),
    'GET /api/version': () => ({ version: '0.12.0' }),
    'GET /': () => 'Ollama is running',
  },
};

/** A fake Ollama server; `url` is the host (the adapter appends /api/chat, /api/tags). */
export async function startFakeOllama(opts: FakeOptions = {}): Promise<FakeUpstream> {
  return startFakeServer(ollamaWire, opts);
}
