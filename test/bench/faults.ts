// `npm run bench:faults`: the daemon under the faults real upstreams have, and under hostile input.
//   1. Availability: per fault kind (5xx, 429, reset, hang, malformed, a stream dropped before any
//      byte reached the client, and — for information — a stream dropped after content, an error
//      event after content) and per door (chat completions, messages, responses, completions,
//      JSON-RPC; --doors), a real daemon with one faulty model (the cheap default, so `auto` tries
//      it first) and one healthy model; N `auto` requests streamed, then N not, at concurrency 4 →
//      % answered, and how many reached the faulty model (the circuit breaker at work).
//   2. Secrets: the faulty upstreams echo the request's Authorization header (its API key) in their
//      error bodies and stream error events; one request per run is forced onto the faulty model so
//      the error reaches the client; every answer, every trace, the log and every data-dir file are
//      searched for the key.
//   3. kill -9: a daemon process (the real CLI) under 8 concurrent clients is killed with SIGKILL at
//      a random moment, --kills times; then every answer it had acknowledged (200 with an id, not
//      flagged record_kept: false) is looked up in the restarted daemon → records lost (target 0).
//   4. Fuzz: random and mutated requests over every HTTP endpoint, every door included (bad JSON,
//      wrong types, deep nesting, hostile headers, garbage paths and queries, HEAD/OPTIONS) → count
//      of internal errors and dropped connections (target 0), with the daemon still healthy after.
//   5. RPC fuzz: every JSON-RPC method with random params, and broken frames (no Content-Length,
//      a huge announced length, garbage, silence) → internal errors (target 0), broken frames answered
//      with an error and closed, the daemon still healthy.
// Loopback only, bounded: --n N per fault kind (default 40), --fuzz N requests (default 20000),
// --concurrency C for the fuzz (default 8), --kills K (default 10), --json for machine-readable output.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { stringify } from 'yaml';
import { DAEMON_FILE, type DaemonFile } from '../../shared/daemon';
import { ErrorCodes } from '../../shared/errors';
import { ChatChunkNotification, ChatRequest } from '../../shared/protocol';
import { startFakeOpenAI, type FakeBehaviour, type FakeRequest } from '../fakes';
import { makeTempDir, spawnDaemon, startTestDaemon, type TestDaemon } from '../helpers/daemon';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '40' },
    fuzz: { type: 'string', default: '20000' },
    'rpc-fuzz': { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    seed: { type: 'string', default: '14' },
    kills: { type: 'string', default: '10' },
    doors: { type: 'string', default: 'chat,messages,responses,completions,rpc' },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(values.n);
const FUZZ = Number(values.fuzz);
const CONCURRENCY = Number(values.concurrency);

const API_KEY = 'bench-key-4c8e1a7f3b9d2e6a0c5f';

// ---------------------------------------------------------------- fault kinds

function echo(req: FakeRequest): string {
  return `credentials rejected: ${String(req.headers.authorization)}`;
}

function malformed(req: FakeRequest, res: http.ServerResponse): void {
  if (req.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`data: {"id": "x", "choices": [${echo(req)}\n\n`);
  } else {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"id": "x", "note": "${echo(req)}", "choices": [`);
  }
}

const FAULTS: Record<string, (req: FakeRequest) => FakeBehaviour> = {
  '5xx': (req) => ({ error: { status: 500, message: echo(req) } }),
  '429': (req) => ({ error: { status: 429, message: echo(req), retryAfter: '20' } }),
  reset: () => ({ custom: (_req, res) => void res.socket?.destroy() }),
  hang: () => ({ hang: true }),
  malformed: () => ({ custom: malformed }),
  'drop before any byte': () => ({ dropAfterFrames: 1 }),
  'drop after content (info)': () => ({ dropAfterFrames: 3, chunks: ['one ', 'two ', 'three ', 'four'] }),
  // An in-stream error event (after content reached the client) that echoes the key: the door's
  // in-band error event must carry it redacted.
  'error event after content (info)': (req) => ({ streamError: { message: echo(req), afterFrames: 2 } }),
};

interface Answer {
  ok: boolean;
  status: number;
  text: string;
}

/** One SSE event: its `event:` name (if any) and its parsed `data:` JSON (null for [DONE] / comments). */
function sseEvents(text: string): { name: string | null; data: any }[] {
  const out: { name: string | null; data: any }[] = [];
  for (const block of text.split('\n\n')) {
    const name = /^event: (.*)$/m.exec(block)?.[1] ?? null;
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (data === undefined || data === '[DONE]') continue;
    out.push({ name, data: JSON.parse(data) });
  }
  return out;
}

/**
 * The doors a client can ask through, each in its own wire format: how to send `auto` a question,
 * and whether what came back is an answer (content, no in-band error).
 */
interface Door {
  path: string;
  body(stream: boolean, i: number): Record<string, unknown>;
  answered(body: any): boolean;
  streamedAnswer(events: { name: string | null; data: any }[]): boolean;
}

const question = (i: number): string => `question ${i}`;

const DOORS: Record<string, Door> = {
  chat: {
    path: '/v1/chat/completions',
    body: (stream, i) => ({ model: 'auto', stream, messages: [{ role: 'user', content: question(i) }] }),
    answered: (b) => Boolean(b.choices?.[0]?.message?.content),
    streamedAnswer: (events) =>
      !events.some((e) => e.data.error) && events.some((e) => e.data.choices?.[0]?.delta?.content),
  },
  messages: {
    path: '/v1/messages',
    body: (stream, i) => ({
      model: 'auto',
      stream,
      max_tokens: 64,
      messages: [{ role: 'user', content: question(i) }],
    }),
    answered: (b) => b.type === 'message' && Boolean(b.content?.[0]?.text),
    streamedAnswer: (events) =>
      !events.some((e) => e.name === 'error') &&
      events.some((e) => e.data.delta?.type === 'text_delta' && e.data.delta.text) &&
      events.some((e) => e.name === 'message_stop'),
  },
  responses: {
    path: '/v1/responses',
    body: (stream, i) => ({ model: 'auto', stream, input: question(i) }),
    answered: (b) => b.status === 'completed' && Boolean(b.output?.[0]?.content?.[0]?.text),
    streamedAnswer: (events) =>
      !events.some((e) => e.name === 'error' || e.name === 'response.failed') &&
      events.some((e) => e.name === 'response.output_text.delta' && e.data.delta) &&
      events.some((e) => e.name === 'response.completed'),
  },
  completions: {
    path: '/v1/completions',
    body: (stream, i) => ({ model: 'auto', stream, prompt: question(i) }),
    answered: (b) => Boolean(b.choices?.[0]?.text),
    streamedAnswer: (events) => !events.some((e) => e.data.error) && events.some((e) => e.data.choices?.[0]?.text),
  },
};

async function askHttp(url: string, door: Door, stream: boolean, i: number, model = 'auto'): Promise<Answer> {
  try {
    const res = await fetch(`${url}${door.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...door.body(stream, i), model }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await res.text();
    // Headers too (x-fugusashi-routing carries the decision): searched for secrets with the body.
    const text = `${JSON.stringify([...res.headers])}\n${body}`;
    if (res.status !== 200) return { ok: false, status: res.status, text };
    return { ok: stream ? door.streamedAnswer(sseEvents(body)) : door.answered(JSON.parse(body)), status: 200, text };
  } catch (err) {
    return { ok: false, status: 0, text: err instanceof Error ? err.message : String(err) };
  }
}

/** The JSON-RPC door (what a VS Code window uses): fugusashi/chat, streamed as chunk notifications. */
/** A window's connection: found through daemon.json, initialized, listening. */
async function rpcConnection(
  dataDir: string,
): Promise<{ connection: MessageConnection; socketPath: string; close: () => void }> {
  const info = JSON.parse(readFileSync(path.join(dataDir, DAEMON_FILE), 'utf8')) as DaemonFile;
  const socket = net.connect(info.rpc.path);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const connection = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
  connection.listen();
  await connection.sendRequest('initialize', { processId: null, capabilities: {} });
  return {
    connection,
    socketPath: info.rpc.path,
    close: () => {
      connection.dispose();
      socket.destroy();
    },
  };
}

async function rpcAsker(dataDir: string): Promise<{
  ask(stream: boolean, i: number, model?: string): Promise<Answer>;
  close(): void;
}> {
  const { connection, close } = await rpcConnection(dataDir);
  const streamed = new Map<string, string>();
  connection.onNotification(ChatChunkNotification, ({ streamId, chunk }) => {
    streamed.set(streamId, (streamed.get(streamId) ?? '') + (chunk.choices[0]?.delta.content ?? ''));
  });
  return {
    async ask(stream, i, model = 'auto') {
      const streamId = stream ? `s${i}` : undefined;
      try {
        const completion = await connection.sendRequest(ChatRequest, {
          request: { model, messages: [{ role: 'user', content: question(i) }] },
          ...(streamId ? { streamId } : {}),
        });
        const text = JSON.stringify(completion) + (streamId ? (streamed.get(streamId) ?? '') : '');
        const content = completion.choices[0]?.message.content;
        const ok = Boolean(content) && (!streamId || streamed.get(streamId) === content);
        return { ok, status: 200, text };
      } catch (err) {
        return { ok: false, status: -1, text: err instanceof Error ? err.message : String(err) };
      }
    },
    close,
  };
}

async function pool<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) out[i] = await work(i);
    }),
  );
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

interface FaultResult {
  fault: string;
  requests: number;
  answered: number;
  answered_pct: number;
  faulty_model_calls: number;
  statuses: Record<string, number>;
  secrets_found: number;
  seconds: number;
}

async function faultRun(
  fault: string,
  behaviour: (req: FakeRequest) => FakeBehaviour,
  door: string,
  stream: boolean,
): Promise<FaultResult> {
  const dataDir = makeTempDir('fugu-bench-faults-');
  const log: string[] = [];
  const d = await startTestDaemon({
    rpc: door === 'rpc',
    log,
    models: [
      {
        name: 'faulty',
        config: { api_key: API_KEY, cost_per_input_token: 0.000001, cost_per_output_token: 0.000001 },
        fake: { hook: behaviour, record: true },
      },
      { name: 'healthy', config: { cost_per_input_token: 0.00001, cost_per_output_token: 0.00001 } },
    ],
    config: {
      default_model: 'faulty',
      // Bounded: a hanging model costs 2 s, not the default 60 s, per request that waits on it.
      routing: { prefer_local: false, first_byte_timeout_ms: 2000 },
      server: { data_dir: dataDir },
    },
  });
  const started = performance.now();
  const seen: string[] = [];
  let answers: Answer[];
  const rpc = door === 'rpc' ? await rpcAsker(d.dataDir) : null;
  try {
    const httpDoor = DOORS[door];
    const ask = (i: number, model?: string): Promise<Answer> =>
      rpc ? rpc.ask(stream, i, model) : askHttp(d.url, httpDoor!, stream, i, model);
    // First one request forced onto the faulty model: with no fallback, its error (which echoes the
    // key) reaches the client as the door's error (status or in-band event). Not counted as `auto`.
    seen.push((await ask(-1, 'faulty')).text);
    answers = await pool(N, 4, (i) => ask(i));
    seen.push(...answers.map((a) => a.text));
    const decisions = (await (await fetch(`${d.url}/v1/routing/decisions?limit=1000`)).json()) as {
      data: { request_id: string }[];
    };
    for (const row of decisions.data) seen.push(await (await fetch(`${d.url}/v1/trace/${row.request_id}`)).text());
  } finally {
    rpc?.close();
    await d.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const files = filesUnder(dataDir).filter((f) => !f.endsWith('config.yaml') && statSync(f).isFile());
  const secrets =
    seen.filter((s) => s.includes(API_KEY)).length +
    log.filter((l) => l.includes(API_KEY)).length +
    files.filter((f) => readFileSync(f).includes(API_KEY)).length;
  rmSync(dataDir, { recursive: true, force: true });
  const statuses: Record<string, number> = {};
  for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
  const answered = answers.filter((a) => a.ok).length;
  return {
    fault: `${fault} ${door} (${stream ? 'stream' : 'json'})`,
    requests: N,
    answered,
    answered_pct: Math.round((answered / N) * 1000) / 10,
    faulty_model_calls: d.fakes['faulty']!.requests.length,
    statuses,
    secrets_found: secrets,
    seconds: Math.round(seconds * 10) / 10,
  };
}

// ---------------------------------------------------------------- fuzz

/** Deterministic PRNG (mulberry32), so a failing run can be repeated with --seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const ENDPOINTS: [string, string][] = [
  ['POST', '/v1/chat/completions'],
  ['POST', '/v1/chat/completions'],
  ['POST', '/v1/chat/completions'],
  ['POST', '/v1/messages'],
  ['POST', '/v1/messages'],
  ['POST', '/v1/messages/count_tokens'],
  ['POST', '/v1/responses'],
  ['POST', '/v1/responses'],
  ['POST', '/v1/completions'],
  ['POST', '/v1/completions'],
  ['GET', '/v1/responses/'],
  ['GET', '/v1/responses/:id/input_items'],
  ['DELETE', '/v1/responses/'],
  ['GET', '/v1/models/'],
  ['HEAD', '/v1/messages'],
  ['OPTIONS', '/v1/responses'],
  ['GET', '/dashboard/'],
  ['POST', '/v1/routing/route'],
  ['POST', '/v1/feedback/rate'],
  ['POST', '/v1/routing/training'],
  ['POST', '/v1/feedback/retrain'],
  ['GET', '/health'],
  ['GET', '/v1/models'],
  ['GET', '/v1/routing/decisions'],
  ['GET', '/v1/stats'],
  ['GET', '/v1/usage'],
  ['GET', '/v1/outcomes/export'],
  ['GET', '/v1/trace/'],
  ['GET', '/v1/feedback/stats'],
  ['GET', '/v1/feedback/rankings'],
  ['HEAD', '/v1/events'],
  ['GET', '/dashboard'],
  ['GET', '/dashboard/'],
  ['GET', '/v1/benchmark/last'],
  ['PUT', '/v1/chat/completions'],
  ['DELETE', '/v1/models'],
  ['GET', '/nope'],
];

/** Random JSON values, the hostile kind (odd strings, huge numbers, prototype keys, nesting). */
function randomValues(random: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const int = (n: number) => Math.floor(random() * n);
  const strings = [
    '',
    'a',
    'auto',
    'auto:cost',
    'auto:orchestrate',
    'healthy',
    'faulty',
    'ü\u0000\ud800',
    'x'.repeat(5000),
    '__proto__',
    'constructor',
    '../../etc/passwd',
    '%00',
    '<script>',
  ];
  const value = (depth = 0): unknown => {
    switch (int(depth > 3 ? 6 : 9)) {
      case 0:
        return null;
      case 1:
        return random() < 0.5;
      case 2:
        return pick([0, -1, 1e308, -1e308, 3.5, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1]);
      case 3:
        return pick(strings);
      case 4:
        return int(10);
      case 5:
        return pick(strings) + String(int(1000));
      case 6:
        return Array.from({ length: int(4) }, () => value(depth + 1));
      case 7:
        return Object.fromEntries(
          Array.from({ length: int(4) }, () => [
            pick(['role', 'content', 'model', 'messages', 'stream', 'tools', 'type', 'x', '__proto__']),
            value(depth + 1),
          ]),
        );
      default:
        return { role: pick(['user', 'system', 'assistant', 'tool', 'bad']), content: value(depth + 1) };
    }
  };
  return { pick, int, strings, value };
}

function fuzzer(random: () => number, ids: () => string[], responseIds: () => string[]) {
  const { pick, int, strings, value } = randomValues(random);
  const validChat = (): Record<string, unknown> => ({
    model: pick(['auto', 'auto', 'healthy', 'auto:quality', 'auto:cost', 'nope']),
    messages: [{ role: 'user', content: `fuzz ${int(1e6)}` }],
    ...(random() < 0.3 ? { stream: true } : {}),
    ...(random() < 0.2 ? { stream_options: { include_usage: random() < 0.5 } } : {}),
    ...(random() < 0.1
      ? { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] }
      : {}),
  });
  const validMessages = (): Record<string, unknown> => ({
    model: pick(['auto', 'healthy', 'claude-3-5-haiku-latest', 'claude-sonnet-4', 'nope']),
    max_tokens: pick([1, 64, 4096]),
    messages: [
      {
        role: 'user',
        content:
          random() < 0.5
            ? `fuzz ${int(1e6)}`
            : [{ type: pick(['text', 'image', 'tool_result', 'document']), text: pick(strings) }],
      },
    ],
    ...(random() < 0.3 ? { stream: true } : {}),
    ...(random() < 0.2 ? { system: random() < 0.5 ? pick(strings) : [{ type: 'text', text: pick(strings) }] } : {}),
    ...(random() < 0.1 ? { tools: [{ name: 'f', input_schema: { type: 'object' } }] } : {}),
  });
  const validResponses = (): Record<string, unknown> => ({
    model: pick(['auto', 'healthy', 'nope']),
    input:
      random() < 0.5
        ? `fuzz ${int(1e6)}`
        : [{ role: pick(['user', 'developer', 'assistant']), content: [{ type: 'input_text', text: pick(strings) }] }],
    ...(random() < 0.3 ? { stream: true } : {}),
    ...(random() < 0.2 ? { instructions: pick(strings) } : {}),
    ...(random() < 0.2 && responseIds().length ? { previous_response_id: pick(responseIds()) } : {}),
    ...(random() < 0.1 ? { store: false } : {}),
  });
  const validCompletions = (): Record<string, unknown> => ({
    model: pick(['auto', 'healthy', 'nope']),
    prompt: random() < 0.7 ? `fuzz ${int(1e6)}` : [pick(strings), pick(strings)],
    ...(random() < 0.3 ? { stream: true } : {}),
    ...(random() < 0.2 ? { suffix: pick(strings), max_tokens: pick([0, 16, -1]) } : {}),
  });
  const mutate = (obj: Record<string, unknown>): unknown => {
    const copy: Record<string, unknown> = JSON.parse(JSON.stringify(obj));
    const keys = Object.keys(copy);
    switch (int(6)) {
      case 0:
        delete copy[pick(keys)];
        break;
      case 1:
        copy[pick(keys)] = value();
        break;
      case 2:
        copy[pick(['temperature', 'max_tokens', 'n', 'stop', 'response_format', 'metadata', 'user'])] = value();
        break;
      case 3:
        (copy.messages as unknown[]) = [value(), value()];
        break;
      case 4:
        return value();
      default:
        break;
    }
    return copy;
  };
  const safePath = (text: string): string => {
    try {
      return encodeURIComponent(text).slice(0, 100);
    } catch {
      return '%ED%A0%80'; // a lone surrogate, percent-encoded by hand
    }
  };
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  return (): FuzzRequest => {
    const [method, base] = pick(ENDPOINTS);
    let path = base;
    const idOrJunk = (from: () => string[]): string =>
      random() < 0.5 && from().length ? pick(from()) : safePath(pick(strings));
    if (base === '/v1/trace/') path += idOrJunk(ids);
    if (base === '/v1/responses/') path += idOrJunk(responseIds);
    if (base === '/v1/responses/:id/input_items') path = `/v1/responses/${idOrJunk(responseIds)}/input_items`;
    if (base === '/v1/models/') path += pick(['healthy', 'faulty', 'auto', 'nope', 'a/b', '%2e%2e']);
    if (base === '/dashboard/') path += pick(['', 'main.js', 'x.css', '..%2f..%2fetc%2fpasswd', '%00']);
    if (random() < 0.15)
      path += pick([
        '?limit=abc',
        '?limit=-5',
        '?since=1e400',
        '?bucket_ms=0',
        '?before=x&limit=2000',
        '?token=x',
        '?%zz',
        '#x',
      ]);
    const headers: Record<string, string> = {};
    let body: string | undefined;
    if (method === 'POST' || method === 'PUT' || (method === 'DELETE' && random() < 0.3)) {
      const r = random();
      let payload: unknown;
      const valid: Record<string, (() => Record<string, unknown>) | undefined> = {
        '/v1/chat/completions': validChat,
        '/v1/routing/route': validChat,
        '/v1/messages': validMessages,
        '/v1/messages/count_tokens': validMessages,
        '/v1/responses': validResponses,
        '/v1/completions': validCompletions,
      };
      const make = valid[base];
      if (make) payload = r < 0.4 ? make() : mutate(make());
      else if (base === '/v1/feedback/rate')
        payload = {
          request_id: random() < 0.5 && ids().length ? pick(ids()) : pick(strings),
          rating: value(),
          thumbs: pick(['up', 'down', 'sideways']),
        };
      else if (base === '/v1/routing/training')
        payload =
          random() < 0.5
            ? [{ prompt: pick(strings), model: pick(['healthy', 'faulty', '']), score: value() }]
            : value();
      else payload = value();
      const shape = random();
      if (shape < 0.7) body = JSON.stringify(payload);
      else if (shape < 0.78) body = JSON.stringify(payload)?.slice(0, int(40)) ?? '{';
      else if (shape < 0.84) body = `{"x":${deep(200 + int(6000))}}`;
      else if (shape < 0.9) body = Buffer.from(Array.from({ length: int(200) }, () => int(256))).toString('latin1');
      else body = '';
      headers['content-type'] = pick([
        'application/json',
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'text/csv',
        'application/x-www-form-urlencoded',
        'application/xml',
        'multipart/form-data; boundary=x',
      ]);
    }
    if (random() < 0.05) headers['origin'] = pick(['https://evil.example', 'null', 'http://127.0.0.1']);
    if (random() < 0.05) headers['sec-fetch-site'] = pick(['cross-site', 'same-site', 'none', 'same-origin']);
    if (random() < 0.05) headers['authorization'] = pick(['Bearer', 'Basic x', 'Bearer ' + 'z'.repeat(300)]);
    if (random() < 0.03) headers['accept-encoding'] = 'gzip, br';
    return { method, path, headers, ...(body !== undefined ? { body } : {}) };
  };
}

interface FuzzResult {
  requests: number;
  internal_errors: number;
  other_5xx: Record<string, number>;
  connection_errors: number;
  statuses: Record<string, number>;
  healthy_after: boolean;
  secrets_found: number;
  seconds: number;
  examples: string[];
}

/**
 * The fuzz runs' daemon: a healthy model and one whose upstream echoes the Authorization header
 * (the key) in a 500, so a leak of the key would show in what the fuzzer gets back.
 */
function startFuzzDaemon(options: { rpc: boolean }): Promise<TestDaemon> {
  return startTestDaemon({
    rpc: options.rpc,
    models: [
      { name: 'healthy', config: { api_key: API_KEY } },
      {
        name: 'faulty',
        config: { api_key: API_KEY },
        fake: { hook: (req) => ({ error: { status: 500, message: echo(req) } }) },
      },
    ],
    config: { default_model: 'healthy', routing: { prefer_local: false } },
  });
}

async function fuzzRun(): Promise<FuzzResult> {
  const d = await startFuzzDaemon({ rpc: false });
  const random = rng(Number(values.seed));
  const ids: string[] = [];
  const responseIds: string[] = [];
  const next = fuzzer(
    random,
    () => ids,
    () => responseIds,
  );
  const statuses: Record<string, number> = {};
  const other5xx: Record<string, number> = {};
  let internal = 0;
  let connection = 0;
  let secrets = 0;
  const examples: string[] = [];
  const timeByEndpoint: Record<string, number> = {};
  const started = performance.now();
  try {
    await pool(FUZZ, CONCURRENCY, async () => {
      const r = next();
      const t0 = performance.now();
      try {
        const res = await fetch(`${d.url}${r.path}`, {
          method: r.method,
          headers: r.headers,
          ...(r.body !== undefined ? { body: r.body } : {}),
          signal: AbortSignal.timeout(20_000),
        });
        const text = r.method === 'HEAD' ? '' : await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (text.includes(API_KEY)) secrets++;
        if (res.status >= 500) {
          // Every door words it the same (the Anthropic door has no `internal_error` code).
          if (text.includes('internal_error') || text.includes('Internal error in the Fugusashi daemon')) {
            internal++;
            if (examples.length < 5)
              examples.push(`${r.method} ${r.path} ${r.body?.slice(0, 120) ?? ''} → ${text.slice(0, 200)}`);
          } else {
            const code = (/"code":"([^"]+)"/.exec(text)?.[1] ?? 'none') + ` ${res.status}`;
            other5xx[code] = (other5xx[code] ?? 0) + 1;
          }
        }
        const key = `${r.method} ${r.path
          .split('?')[0]!
          .replace(/\/v1\/trace\/.*/, '/v1/trace/:id')
          .replace(/\/v1\/responses\/.+/, '/v1/responses/:id')}`;
        timeByEndpoint[key] = (timeByEndpoint[key] ?? 0) + performance.now() - t0;
        const id = /"id":"(fugu-[^"]+)"/.exec(text)?.[1];
        if (id && ids.length < 500) ids.push(id);
        if (id && r.method === 'POST' && r.path.startsWith('/v1/responses') && responseIds.length < 500)
          responseIds.push(id);
      } catch (err) {
        connection++;
        if (examples.length < 5)
          examples.push(`${r.method} ${r.path}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    const health = (await (await fetch(`${d.url}/health`)).json()) as { status: string };
    if (process.env['FUZZ_PROFILE']) console.error(timeByEndpoint);
    return {
      requests: FUZZ,
      internal_errors: internal,
      other_5xx: other5xx,
      connection_errors: connection,
      statuses,
      healthy_after: health.status === 'ok',
      secrets_found: secrets,
      seconds: Math.round((performance.now() - started) / 100) / 10,
      examples,
    };
  } finally {
    await d.close();
  }
}

// ---------------------------------------------------------------- RPC fuzz

/** Every method a client may call, and the notifications it may send. */
const RPC_METHODS = [
  'fugusashi/chat',
  'fugusashi/route',
  'fugusashi/rate',
  'fugusashi/models',
  'fugusashi/stats',
  'fugusashi/usageOverTime',
  'fugusashi/decisions',
  'fugusashi/trace',
  'fugusashi/rankings',
  'fugusashi/feedbackStats',
  'fugusashi/training',
  'fugusashi/retrain',
  'fugusashi/health',
  'fugusashi/benchmark',
  'fugusashi/lastBenchmark',
  'fugusashi/nope',
];
const RPC_NOTIFICATIONS = ['fugusashi/setSecrets', 'fugusashi/vscodeLmModels', 'fugusashi/vscodeLmChunk'];

/** Broken framing a misbehaving client sends: each must get an error and a closed connection. */
const BROKEN_FRAMES: [string, string | Buffer][] = [
  ['no Content-Length', 'Foo: bar\r\n\r\n{}'],
  ['non-number length', 'Content-Length: abc\r\n\r\n{}'],
  ['1 GB announced', 'Content-Length: 1000000000\r\n\r\n{"jsonrpc":'],
  ['header that never ends', 'Content-Length: 5\r\nX: ' + 'y'.repeat(20_000)],
  ['binary garbage', Buffer.alloc(20_000, 7)],
];

interface RpcFuzzResult {
  requests: number;
  internal_errors: number;
  unanswered: number;
  codes: Record<string, number>;
  broken_frames: number;
  broken_frames_closed_with_error: number;
  secrets_found: number;
  healthy_after: boolean;
  seconds: number;
  examples: string[];
}

/** Connects, writes `data`, and says whether the daemon answered with an error and closed. */
function brokenFrame(socketPath: string, data: string | Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath, () => socket.write(data));
    let received = '';
    socket.on('data', (b) => (received += b.toString()));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 10_000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(/"id":null,"error"/.test(received));
    });
  });
}

async function rpcFuzzRun(count: number): Promise<RpcFuzzResult> {
  const d = await startFuzzDaemon({ rpc: true });
  const random = rng(Number(values.seed) + 2);
  const { pick, strings, value } = randomValues(random);
  const codes: Record<string, number> = {};
  let internal = 0;
  let unanswered = 0;
  let secrets = 0;
  const examples: string[] = [];
  const started = performance.now();
  const clients = await Promise.all(Array.from({ length: 4 }, () => rpcConnection(d.dataDir)));
  try {
    const params = (method: string): unknown => {
      if (random() < 0.3) return value();
      switch (method) {
        case 'fugusashi/chat':
          return {
            request:
              random() < 0.5
                ? {
                    model: pick(['auto', 'healthy', 'faulty', 'nope']),
                    messages: [{ role: 'user', content: pick(strings) }],
                  }
                : value(),
            ...(random() < 0.5 ? { streamId: value() } : {}),
            ...(random() < 0.2 ? { source: value() } : {}),
          };
        case 'fugusashi/route':
          return { messages: random() < 0.5 ? [{ role: 'user', content: pick(strings) }] : value(), model: value() };
        case 'fugusashi/rate':
          return { request_id: value(), rating: value(), thumbs: pick(['up', 'down', 'x']), comment: value() };
        case 'fugusashi/usageOverTime':
          return { bucket_ms: value(), since: value() };
        case 'fugusashi/decisions':
          return { limit: value(), before: value(), before_id: value() };
        case 'fugusashi/trace':
          return { request_id: value() };
        case 'fugusashi/training':
          return {
            rows: random() < 0.5 ? [{ prompt: pick(strings), model: pick(['healthy', '']), score: value() }] : value(),
          };
        case 'fugusashi/benchmark':
          // Never the bundled sample: a real benchmark run is not what this measures.
          return { dataset: pick(['', 'nope.csv', '../../etc/passwd', '%00']), mode: value(), folds: value() };
        default:
          return value();
      }
    };
    await pool(count, 8, async (i) => {
      const client = clients[i % clients.length]!;
      if (random() < 0.1) {
        const n = pick(RPC_NOTIFICATIONS);
        await client.connection.sendNotification(n, n === 'fugusashi/setSecrets' ? { env: value() } : value());
        return;
      }
      const method = pick(RPC_METHODS);
      const p = params(method);
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const answer = await Promise.race([
          client.connection.sendRequest(method, p),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('unanswered after 20 s')), 20_000))),
        ]);
        codes['ok'] = (codes['ok'] ?? 0) + 1;
        if (JSON.stringify(answer)?.includes(API_KEY)) secrets++;
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (String((err as Error).message).includes(API_KEY)) secrets++;
        codes[String(code ?? 'none')] = (codes[String(code ?? 'none')] ?? 0) + 1;
        if (code === undefined) unanswered++;
        if (code === ErrorCodes.Internal.rpc || code === undefined) {
          if (code !== undefined) internal++;
          if (examples.length < 5)
            examples.push(`${method} ${JSON.stringify(p)?.slice(0, 120)} → ${(err as Error).message.slice(0, 160)}`);
        }
      } finally {
        clearTimeout(timer);
      }
    });
    let closed = 0;
    for (const [, data] of BROKEN_FRAMES) if (await brokenFrame(clients[0]!.socketPath, data)) closed++;
    const health = (await (await fetch(`${d.url}/health`)).json()) as { status: string };
    return {
      requests: count,
      internal_errors: internal,
      unanswered,
      codes,
      broken_frames: BROKEN_FRAMES.length,
      broken_frames_closed_with_error: closed,
      secrets_found: secrets,
      healthy_after: health.status === 'ok',
      seconds: Math.round((performance.now() - started) / 100) / 10,
      examples,
    };
  } finally {
    for (const c of clients) c.close();
    await d.close();
  }
}

// ---------------------------------------------------------------- kill -9

interface KillResult {
  kills: number;
  acknowledged: number;
  lost: number;
  seconds: number;
}

async function killRun(kills: number): Promise<KillResult> {
  const fake = await startFakeOpenAI({ models: ['up'], record: false });
  const dir = makeTempDir('fugu-bench-kill-');
  const config = path.join(dir, 'config.yaml');
  writeFileSync(
    config,
    stringify({
      models: [
        {
          name: 'm',
          provider: 'openai',
          model: 'up',
          api_base: fake.url,
          capabilities: ['chat'],
          cost_per_input_token: 0,
          cost_per_output_token: 0,
        },
      ],
      routing: { strategies: ['cost', 'fallback'], exploration_rate: 0 },
      server: { host: '127.0.0.1', port: 0, data_dir: path.join(dir, 'data') },
    }),
  );
  const random = rng(Number(values.seed) + 1);
  const acknowledged: string[] = [];
  const started = performance.now();
  try {
    for (let k = 0; k < kills; k++) {
      const daemon = await spawnDaemon(['--config', config], 60_000);
      let stop = false;
      const client = async (): Promise<void> => {
        for (let i = 0; !stop; i++) {
          try {
            const res = await fetch(`${daemon.url}/v1/chat/completions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: `kill round ${k} #${i}` }] }),
            });
            if (res.status !== 200) continue;
            const body = (await res.json()) as { id: string; routing_decision?: { record_kept?: boolean } };
            if (body.routing_decision?.record_kept !== false) acknowledged.push(body.id);
          } catch {
            return; // the daemon is gone
          }
        }
      };
      const before = acknowledged.length;
      const clients = Array.from({ length: 8 }, () => client());
      // Kill at a random moment once the daemon is answering (its first answers can take a while on a busy machine).
      for (let waited = 0; acknowledged.length === before && waited < 30_000; waited += 20) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 100 + random() * 900));
      await daemon.stop('SIGKILL'); // the daemon itself, not the `serve` process that started it
      stop = true;
      await Promise.all(clients);
    }
    const daemon = await spawnDaemon(['--config', config], 60_000);
    let lost = 0;
    try {
      for (const id of acknowledged) {
        const res = await fetch(`${daemon.url}/v1/trace/${id}`);
        if (res.status !== 200) lost++;
        await res.arrayBuffer();
      }
    } finally {
      await daemon.stop();
    }
    return {
      kills,
      acknowledged: acknowledged.length,
      lost,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const faults: FaultResult[] = [];
  for (const [name, behaviour] of Object.entries(FAULTS))
    for (const door of values.doors.split(','))
      for (const stream of [true, false]) {
        const result = await faultRun(name, behaviour, door, stream);
        faults.push(result);
        if (!values.json) {
          console.log(
            `${result.fault.padEnd(48)} answered ${String(result.answered).padStart(3)}/${result.requests} (${result.answered_pct}%)  ` +
              `faulty model called ${result.faulty_model_calls}×  statuses ${JSON.stringify(result.statuses)}  ` +
              `secrets ${result.secrets_found}  ${result.seconds} s`,
          );
        }
      }
  const kills = Number(values.kills) > 0 ? await killRun(Number(values.kills)) : null;
  if (kills && !values.json) {
    console.log(
      `kill -9: ${kills.kills} kills under load, ${kills.acknowledged} answers acknowledged, ` +
        `${kills.lost} of them missing after restart (${kills.seconds} s)`,
    );
  }
  const fuzz = FUZZ > 0 ? await fuzzRun() : null;
  const rpcFuzz = Number(values['rpc-fuzz']) > 0 ? await rpcFuzzRun(Number(values['rpc-fuzz'])) : null;
  if (values.json) {
    console.log(JSON.stringify({ faults, kills, fuzz, rpc_fuzz: rpcFuzz }, null, 2));
    return;
  }
  if (rpcFuzz) {
    console.log(
      `rpc fuzz: ${rpcFuzz.requests} requests/notifications in ${rpcFuzz.seconds} s — internal errors ${rpcFuzz.internal_errors}, ` +
        `unanswered ${rpcFuzz.unanswered}, codes ${JSON.stringify(rpcFuzz.codes)}; broken frames answered and closed ` +
        `${rpcFuzz.broken_frames_closed_with_error}/${rpcFuzz.broken_frames}; healthy after: ${rpcFuzz.healthy_after}`,
    );
    for (const e of rpcFuzz.examples) console.log(`  e.g. ${e}`);
  }
  if (fuzz) {
    console.log(
      `fuzz: ${fuzz.requests} requests in ${fuzz.seconds} s — internal errors ${fuzz.internal_errors}, ` +
        `connection errors ${fuzz.connection_errors}, other 5xx ${JSON.stringify(fuzz.other_5xx)}, ` +
        `secrets ${fuzz.secrets_found}, healthy after: ${fuzz.healthy_after}`,
    );
    console.log(`fuzz statuses: ${JSON.stringify(fuzz.statuses)}`);
    for (const e of fuzz.examples) console.log(`  e.g. ${e}`);
  }
  const target = faults.filter((f) => !f.fault.includes('(info)'));
  const secrets =
    faults.reduce((n, f) => n + f.secrets_found, 0) + (fuzz?.secrets_found ?? 0) + (rpcFuzz?.secrets_found ?? 0);
  console.log(
    `targets: ${target.every((f) => f.answered === f.requests) ? 'MET' : 'MISSED'} 100% answered under every fault kind; ` +
      `secrets found ${secrets}; internal errors ${fuzz?.internal_errors ?? 'n/a'} (HTTP), ` +
      `${rpcFuzz?.internal_errors ?? 'n/a'} (RPC); ` +
      `acknowledged records lost ${kills?.lost ?? 'n/a'}`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
