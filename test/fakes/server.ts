// The provider-independent half of the fake upstreams: a node:http server on 127.0.0.1:0 that records
// every request, picks the behaviour for it (queue → default, then the per-request hook on top), and
// plays it out (delay, hang, error status, JSON answer, or a stream of frames with pauses, a dropped
// connection or a mid-stream error). Each provider module (openai.ts, anthropic.ts, ollama.ts) only
// supplies its wire format through `WireFormat`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeKind = 'openai' | 'anthropic' | 'ollama';

export interface FakeToolCall {
  /** Defaults to `call_<n>` (OpenAI), `toolu_fake_<n>` (Anthropic); Ollama sends none. */
  id?: string;
  name: string;
  /** An object, or a JSON string (sent as-is by OpenAI, parsed for Anthropic/Ollama). */
  arguments: string | Record<string, unknown>;
}

export interface FakeError {
  status: number;
  message: string;
  /** Provider error type; defaults to the one the real API uses for `status`. */
  type?: string;
  /** OpenAI only. */
  code?: string | null;
  param?: string | null;
  /** Sent as a `retry-after` header. */
  retryAfter?: string;
}

/** `prompt` counts every input token; `cacheRead` / `cacheCreation` say how many of them the provider's
 *  prompt cache served / stored (OpenAI: prompt_tokens_details.cached_tokens; Anthropic: its cache fields). */
export interface FakeUsage {
  prompt: number;
  completion: number;
  cacheRead?: number;
  cacheCreation?: number;
  /** Of cacheCreation, the writes with Anthropic's 1-hour lifetime (its `cache_creation` split). */
  cacheCreation1h?: number;
}

/** What the fake does for one request. Every field is optional; unset fields use the defaults. */
export interface FakeBehaviour {
  /** Answer text. Default: `fake answer from <model> to: <last user message>` ('' when toolCalls are set). */
  text?: string;
  /** Stream pieces of the text, in order (default: the text split after each space). */
  chunks?: string[];
  toolCalls?: FakeToolCall[];
  /**
   * OpenAI only: stream parallel tool calls' pieces interleaved, as the protocol allows (every call's
   * head, then every call's first half of arguments, then every call's second half).
   */
  interleaveToolCalls?: boolean;
  /** Generic finish reason, translated to the provider's own (end_turn/max_tokens/tool_use, done_reason…). */
  finishReason?: 'stop' | 'length' | 'tool_calls';
  /** The provider's own finish value sent verbatim (e.g. Anthropic 'stop_sequence'). */
  nativeFinishReason?: string;
  /** Anthropic only: the `stop_sequence` value sent with nativeFinishReason 'stop_sequence'. */
  stopSequence?: string;
  /** Anthropic only: a thinking block (signed `sig_fake_<n>`) sent before the answer's text. */
  thinking?: string;
  /** Token counts. Default: prompt = ceil(prompt chars / 4), completion = ceil(answer chars / 4). */
  usage?: FakeUsage;
  /** Answer with this HTTP status and the provider's real error body instead of an answer. */
  error?: FakeError;
  /** Streams only: after `afterFrames` frames, send the provider's in-stream error and end the response. */
  streamError?: { message: string; type?: string; afterFrames?: number };
  /** Wait this long before sending anything (status line included). */
  firstByteDelayMs?: number;
  /** Wait this long between stream frames. */
  chunkDelayMs?: number;
  /**
   * Destroy the socket after this many stream frames (0 = right after the headers). For a JSON answer,
   * any value sends the headers and half of the body, then destroys the socket.
   */
  dropAfterFrames?: number;
  /** Never answer (the request is recorded; close() or the client ends it). */
  hang?: boolean;
  /** Full control: write the response yourself. Nothing else in the behaviour applies. */
  custom?: (req: FakeRequest, res: http.ServerResponse) => void | Promise<void>;
}

export type FakeOutcome = 'pending' | 'completed' | 'client-closed' | 'dropped';

export interface FakeRequest {
  /** 1-based, in arrival order. */
  index: number;
  method: string;
  /** Path and query as received, e.g. '/v1/chat/completions'. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The header lines as sent, [name, value, …] (duplicates and case kept). */
  rawHeaders: string[];
  /** The parsed JSON body (undefined for GET or unparsable bodies). */
  body: any;
  raw: string;
  /** body.model, when present. */
  model: string | undefined;
  /** Whether this request asked for a stream (provider rules: Ollama streams unless stream:false). */
  stream: boolean;
  /** Text of the last user message ('' if none). */
  lastUserText: string;
  receivedAt: number;
  /** How the exchange ended: 'client-closed' means the caller closed the socket before the end. */
  outcome: FakeOutcome;
  /** Resolves with the final outcome once the response is finished or the socket closed. */
  closed: Promise<FakeOutcome>;
}

/** Per-request hook: its result is merged over the request's behaviour (return undefined to keep it). */
export type FakeHook = (req: FakeRequest) => FakeBehaviour | undefined | Promise<FakeBehaviour | undefined>;

export interface FakeOptions {
  /** Default behaviour for every request. */
  behaviour?: FakeBehaviour;
  hook?: FakeHook;
  /** Model ids listed by /v1/models or /api/tags. Default: ['fake-model']. */
  models?: string[];
  /** When set, requests without this key (Bearer / x-api-key) get the provider's 401 body. */
  apiKey?: string;
  /**
   * Keep every request in `requests` (default true). Benchmarks and the CLI turn it off so memory
   * stays flat over many thousands of requests; `waitForRequest` then never resolves.
   */
  record?: boolean;
}

export interface FakeUpstream {
  readonly kind: FakeKind;
  /** Base URL in the provider's api_base convention (OpenAI: …/v1; Anthropic and Ollama: the host). */
  readonly url: string;
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: FakeRequest[];
  /** Default behaviour; assign or use set(). */
  behaviour: FakeBehaviour;
  hook: FakeHook | undefined;
  models: string[];
  /** TCP connections accepted so far (keep-alive reuse keeps this low). */
  readonly connections: number;
  /** Replace the default behaviour. */
  set(behaviour: FakeBehaviour): void;
  /** The next requests use these behaviours, one each, before the default applies again. */
  enqueue(...behaviours: FakeBehaviour[]): void;
  /** Resolves when the nth request (1-based; default: the next one) has arrived. */
  waitForRequest(n?: number, timeoutMs?: number): Promise<FakeRequest>;
  /** Clear recorded requests, the queue and the hook; restore the start options' behaviour. */
  reset(): void;
  /** Destroy open sockets (hanging requests included) and stop listening. */
  close(): Promise<void>;
}

/** The answer the fake decided on, before it is rendered in a wire format. */
export interface FakeAnswer {
  id: string;
  model: string;
  created: number;
  text: string;
  pieces: string[];
  toolCalls: { id: string | undefined; name: string; args: string; index: number }[];
  interleaveToolCalls: boolean;
  finishReason: 'stop' | 'length' | 'tool_calls';
  nativeFinishReason: string | undefined;
  stopSequence: string | undefined;
  thinking: string | undefined;
  usage: FakeUsage;
  /** OpenAI stream_options.include_usage. */
  includeUsage: boolean;
}

/** What a provider module supplies. */
export interface WireFormat {
  kind: FakeKind;
  /** Appended to the origin to form `url`. */
  basePath: string;
  /** Method + path (without query) of the chat endpoint. */
  chatRoute: string;
  isStream(body: any): boolean;
  includeUsage(body: any): boolean;
  lastUserText(body: any): string;
  promptChars(body: any): number;
  authorized(headers: http.IncomingHttpHeaders, key: string): boolean;
  errorBody(error: FakeError): unknown;
  /** Real error for an unknown path (e.g. Ollama's 404 text, OpenAI's invalid URL). */
  notFound(method: string, path: string): FakeError;
  json(answer: FakeAnswer): unknown;
  streamContentType: string;
  frames(answer: FakeAnswer): string[];
  streamErrorFrame(error: { message: string; type?: string }): string;
  /** Other routes (GET /v1/models, GET /api/tags…), answered with JSON (or text/plain for a string). */
  routes: Record<string, (fake: FakeUpstream) => unknown>;
  idPrefix: string;
  toolIdPrefix: string | undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Splits after each run of spaces so the pieces concatenate back to the text. */
export function splitPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

export async function startFakeServer(wire: WireFormat, opts: FakeOptions = {}): Promise<FakeUpstream> {
  const initial: FakeBehaviour = { ...opts.behaviour };
  const queue: FakeBehaviour[] = [];
  const waiters: { n: number; resolve: (r: FakeRequest) => void }[] = [];
  let connections = 0;
  let counter = 0;

  const server = http.createServer({ noDelay: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify(wire.errorBody({ status: 500, message: `fake server error: ${String(err)}` })));
        } else res.destroy();
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', () => connections++);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    const path = req.url ?? '/';
    const pathOnly = path.split('?')[0] ?? path;
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const route = `${req.method} ${pathOnly}`;
    const isChat = route === wire.chatRoute;
    let settle!: (o: FakeOutcome) => void;
    const record: FakeRequest = {
      index: ++counter,
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body,
      raw,
      model: typeof body?.model === 'string' ? body.model : undefined,
      stream: isChat && body !== undefined ? wire.isStream(body) : false,
      lastUserText: isChat && body !== undefined ? wire.lastUserText(body) : '',
      receivedAt: Date.now(),
      outcome: 'pending',
      closed: new Promise<FakeOutcome>((resolve) => (settle = resolve)),
    };
    let dropping = false;
    res.on('close', () => {
      if (record.outcome === 'pending')
        record.outcome = dropping ? 'dropped' : res.writableFinished ? 'completed' : 'client-closed';
      settle(record.outcome);
    });
    if (opts.record !== false) fake.requests.push(record);
    for (const w of waiters.splice(0)) {
      if (fake.requests.length >= w.n) w.resolve(fake.requests[w.n - 1]!);
      else waiters.push(w);
    }

    const sendError = (error: FakeError) => {
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
      if (error.retryAfter) headers['retry-after'] = error.retryAfter;
      res.writeHead(error.status, headers);
      res.end(JSON.stringify(wire.errorBody(error)));
    };
    // What was written reaches the client first; then the connection breaks, as when an upstream dies.
    const drop = () => {
      dropping = true;
      setTimeout(() => {
        res.socket?.destroy();
        res.destroy();
      }, 20);
    };

    if (opts.apiKey !== undefined && !wire.authorized(req.headers, opts.apiKey)) {
      return sendError({ status: 401, message: 'Incorrect API key provided.' });
    }
    const other = wire.routes[route];
    if (!isChat && other) {
      const out = other(fake);
      // A string answer is plain text (Ollama's `GET /` says "Ollama is running").
      res.writeHead(200, {
        'content-type': typeof out === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      });
      res.end(typeof out === 'string' ? out : JSON.stringify(out));
      return;
    }
    if (!isChat) return sendError(wire.notFound(record.method, pathOnly));
    if (body === undefined || typeof body !== 'object') {
      return sendError({ status: 400, message: 'We could not parse the JSON body of your request.' });
    }

    const base = queue.shift() ?? fake.behaviour;
    const fromHook = fake.hook ? await fake.hook(record) : undefined;
    const b: FakeBehaviour = { ...base, ...fromHook };
    if (b.custom) return b.custom(record, res);
    if (b.hang) return;
    if (b.firstByteDelayMs) await sleep(b.firstByteDelayMs);
    if (res.destroyed) return;
    if (b.error) return sendError(b.error);

    const answer = buildAnswer(wire, record, b, counter);
    if (!record.stream) {
      const json = JSON.stringify(wire.json(answer));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      if (b.dropAfterFrames !== undefined) {
        res.write(json.slice(0, Math.floor(json.length / 2)));
        return drop();
      }
      res.end(json);
      return;
    }

    let frames = wire.frames(answer);
    if (b.streamError) {
      const at = Math.min(b.streamError.afterFrames ?? 1, frames.length);
      frames = [...frames.slice(0, at), wire.streamErrorFrame(b.streamError)];
    }
    res.writeHead(200, {
      'content-type': wire.streamContentType,
      'cache-control': 'no-cache',
      'transfer-encoding': 'chunked',
    });
    res.flushHeaders();
    for (let i = 0; i < frames.length; i++) {
      if (b.dropAfterFrames === i) return drop();
      if (i > 0 && b.chunkDelayMs) await sleep(b.chunkDelayMs);
      if (res.destroyed) return;
      res.write(frames[i]);
    }
    if (b.dropAfterFrames !== undefined && b.dropAfterFrames >= frames.length) return drop();
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  const fake: FakeUpstream = {
    kind: wire.kind,
    url: origin + wire.basePath,
    origin,
    port,
    requests: [],
    behaviour: { ...initial },
    hook: opts.hook,
    models: opts.models ?? ['fake-model'],
    get connections() {
      return connections;
    },
    set(behaviour) {
      fake.behaviour = behaviour;
    },
    enqueue(...behaviours) {
      queue.push(...behaviours);
    },
    waitForRequest(n = fake.requests.length + 1, timeoutMs = 10_000) {
      const have = fake.requests[n - 1];
      if (have) return Promise.resolve(have);
      return new Promise<FakeRequest>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fake ${wire.kind}: request #${n} did not arrive`)), timeoutMs);
        waiters.push({
          n,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        });
      });
    },
    reset() {
      fake.requests.length = 0;
      counter = 0;
      queue.length = 0;
      fake.hook = opts.hook;
      fake.behaviour = { ...initial };
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

function buildAnswer(wire: WireFormat, req: FakeRequest, b: FakeBehaviour, n: number): FakeAnswer {
  const model = req.model ?? 'fake-model';
  const toolCalls = (b.toolCalls ?? []).map((t, index) => ({
    id: t.id ?? (wire.toolIdPrefix ? `${wire.toolIdPrefix}${n}_${index}` : undefined),
    name: t.name,
    args: typeof t.arguments === 'string' ? t.arguments : JSON.stringify(t.arguments),
    index,
  }));
  const text =
    b.text ??
    (b.chunks ? b.chunks.join('') : toolCalls.length ? '' : `fake answer from ${model} to: ${req.lastUserText}`);
  const finishReason = b.finishReason ?? (toolCalls.length ? 'tool_calls' : 'stop');
  const usage = b.usage ?? {
    prompt: Math.ceil(wire.promptChars(req.body) / 4),
    completion: Math.ceil((text.length + toolCalls.reduce((s, t) => s + t.name.length + t.args.length, 0)) / 4),
  };
  return {
    id: `${wire.idPrefix}${n}`,
    model,
    created: Math.floor(Date.now() / 1000),
    text,
    pieces: b.chunks ?? splitPieces(text),
    toolCalls,
    interleaveToolCalls: b.interleaveToolCalls === true,
    finishReason,
    nativeFinishReason: b.nativeFinishReason,
    stopSequence: b.stopSequence,
    thinking: b.thinking,
    usage,
    includeUsage: wire.includeUsage(req.body),
  };
}

/** Text of a message's content in OpenAI or Anthropic shape (string or list of parts/blocks). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p: any) => (p && typeof p === 'object' && typeof p.text === 'string' ? p.text : ''))
      .filter(Boolean)
      .join('\n');
  }
  return '';
}

export function lastUserMessageText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role === 'user') return contentText(m.content);
  }
  return '';
}

export function messagesChars(messages: unknown, extra = ''): number {
  if (!Array.isArray(messages)) return extra.length;
  return messages.reduce((sum: number, m: any) => sum + contentText(m?.content).length, extra.length);
}
