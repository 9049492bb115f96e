// The OpenAI-compatible adapter against the fake OpenAI server: real sockets, real wire format.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { OpenAICompatibleProvider } from '../../../daemon/providers/openai-compatible';
import { startFakeOpenAI, type FakeUpstream } from '../../fakes';
import { callOptions, closedPort, collect, modelFor, rejectsWith, request, textOf, toolCallsOf } from './helpers';

const provider = new OpenAICompatibleProvider();
let up: FakeUpstream;
before(async () => {
  up = await startFakeOpenAI({ models: ['gpt-a', 'gpt-b'] });
});
after(() => up.close());
beforeEach(() => up.reset());

test('JSON answer: text, usage, and the known parameters forwarded with the key and extra headers', async () => {
  const model = modelFor('openai', up.url, { api_key: 'sk-test', headers: { 'x-title': 'fugusashi' } });
  const tools = [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } }];
  const completion = await provider.chat(
    model,
    request('hello', {
      tools,
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 50,
      stop: ['END'],
      seed: 7,
      not_an_openai_field: true,
    } as never),
    callOptions(),
  );
  assert.equal(completion.choices[0]?.message.content, 'fake answer from up-model to: hello');
  assert.equal(completion.choices[0]?.finish_reason, 'stop');
  assert.ok(completion.usage && completion.usage.prompt_tokens > 0 && completion.usage.completion_tokens > 0);

  const seen = up.requests[0]!;
  assert.equal(seen.path, '/v1/chat/completions');
  assert.equal(seen.headers.authorization, 'Bearer sk-test');
  assert.equal(seen.headers['x-title'], 'fugusashi');
  assert.deepEqual(seen.body.tools, tools);
  assert.equal(seen.body.tool_choice, 'auto');
  assert.deepEqual(seen.body.response_format, { type: 'json_object' });
  assert.deepEqual([seen.body.temperature, seen.body.top_p, seen.body.max_tokens, seen.body.seed], [0.2, 0.9, 50, 7]);
  assert.deepEqual(seen.body.stop, ['END']);
  assert.equal(seen.body.not_an_openai_field, undefined, 'unknown fields are not sent upstream');
  assert.equal(seen.body.stream, undefined);
});

test('each header reaches the upstream once: a config header differing only in case replaces the built-in one', async () => {
  const model = modelFor('openai', up.url, {
    api_key: 'sk-test',
    headers: { Authorization: 'Bearer from-config', 'X-Title': 'first', 'x-title': 'second', 'Content-Length': '1' },
  });
  await provider.chat(model, request('hello'), callOptions());
  const seen = up.requests[0]!;
  const lines = (name: string) =>
    seen.rawHeaders.flatMap((h, i) => (i % 2 === 0 && h.toLowerCase() === name ? [seen.rawHeaders[i + 1]] : []));
  assert.deepEqual(lines('authorization'), ['Bearer from-config']);
  assert.deepEqual(lines('x-title'), ['second']);
  assert.deepEqual(lines('content-length'), [String(Buffer.byteLength(seen.raw))]);
  assert.deepEqual(lines('host'), [new URL(up.url).host]);
  assert.deepEqual(lines('connection'), ['keep-alive']);

  // A Host header from the config (a gateway behind a proxy) is sent instead of the URL's.
  await provider.chat(
    modelFor('openai', up.url, { headers: { Host: 'gateway.example' } }),
    request('x'),
    callOptions(),
  );
  const second = up.requests[1]!;
  assert.deepEqual(
    second.rawHeaders.filter((_h, i) => i % 2 === 0 && second.rawHeaders[i]!.toLowerCase() === 'host').length,
    1,
  );
  assert.equal(second.headers.host, 'gateway.example');
});

test('a reloaded model (a new config object, same name and URL) is called with its own key and headers', async () => {
  // The adapter keeps each model's URL and headers between calls: a reload must not reuse the old ones.
  const before = modelFor('openai', up.url, { api_key: 'sk-old', headers: { 'x-title': 'old' } });
  const reloaded = modelFor('openai', up.url, { api_key: 'sk-new', headers: { 'x-title': 'new' } });
  await provider.chat(before, request('a'), callOptions());
  await collect(provider.chatStream(before, request('b', { stream: true }), callOptions()));
  await provider.chat(reloaded, request('c'), callOptions());
  await collect(provider.chatStream(reloaded, request('d', { stream: true }), callOptions()));
  await provider.chat(before, request('e'), callOptions());
  assert.deepEqual(
    up.requests.map((r) => [r.headers.authorization, r.headers['x-title'], r.headers.accept]),
    [
      ['Bearer sk-old', 'old', 'application/json'],
      ['Bearer sk-old', 'old', 'text/event-stream'],
      ['Bearer sk-new', 'new', 'application/json'],
      ['Bearer sk-new', 'new', 'text/event-stream'],
      ['Bearer sk-old', 'old', 'application/json'],
    ],
  );
});

test('no Authorization header without a key', async () => {
  await provider.chat(modelFor('openai', up.url), request('x'), callOptions());
  assert.equal(up.requests[0]!.headers.authorization, undefined);
});

test('streaming: chunks in order, usage requested and delivered last, text reassembles', async () => {
  const chunks = await collect(
    provider.chatStream(modelFor('openai', up.url), request('stream me', { stream: true }), callOptions()),
  );
  assert.equal(textOf(chunks), 'fake answer from up-model to: stream me');
  assert.deepEqual(up.requests[0]!.body.stream_options, { include_usage: true });
  const last = chunks.at(-1)!;
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage && last.usage.total_tokens > 0);
  assert.equal(chunks.at(-2)!.choices[0]?.finish_reason, 'stop');
});

test('streaming yields the first chunk before the upstream has finished', async () => {
  up.set({ chunkDelayMs: 150 });
  const started = Date.now();
  const iterator = provider
    .chatStream(modelFor('openai', up.url), request('a b c d e'), callOptions())
    [Symbol.asyncIterator]();
  const first = await iterator.next();
  assert.equal(first.done, false);
  assert.ok(Date.now() - started < 140, `first chunk took ${Date.now() - started} ms`);
  await iterator.return?.(undefined);
});

test('tool calls: JSON answer and streamed argument pieces', async () => {
  up.set({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo', unit: 'c' } }] });
  const json = await provider.chat(modelFor('openai', up.url), request('weather'), callOptions());
  assert.equal(json.choices[0]?.finish_reason, 'tool_calls');
  assert.equal(json.choices[0]?.message.content, null);
  assert.equal(json.choices[0]?.message.tool_calls?.[0]?.function.name, 'get_weather');

  const chunks = await collect(provider.chatStream(modelFor('openai', up.url), request('weather'), callOptions()));
  const calls = toolCallsOf(chunks);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.name, 'get_weather');
  assert.deepEqual(JSON.parse(calls[0]!.arguments), { city: 'Oslo', unit: 'c' });
  assert.ok(calls[0]!.id);
});

test('a 400 is not retryable and carries the upstream status and message', async () => {
  up.set({ error: { status: 400, message: "Invalid value for 'temperature'", param: 'temperature' } });
  const err = await rejectsWith(provider.chat(modelFor('openai', up.url), request('x'), callOptions()), {
    phase: 'response',
    status: 400,
    retryable: false,
    upstreamMessage: "Invalid value for 'temperature'",
  });
  assert.match(err.message, /400/);
});

test('429 and 500 are retryable, for JSON and streaming calls', async () => {
  up.set({ error: { status: 429, message: 'Rate limit reached for requests' } });
  await rejectsWith(provider.chat(modelFor('openai', up.url), request('x'), callOptions()), {
    status: 429,
    retryable: true,
    upstreamMessage: 'Rate limit reached for requests',
  });
  up.set({ error: { status: 500, message: 'The server had an error' } });
  await rejectsWith(collect(provider.chatStream(modelFor('openai', up.url), request('x'), callOptions())), {
    status: 500,
    retryable: true,
    upstreamMessage: 'The server had an error',
  });
});

test('connection refused is a retryable connect error', async () => {
  const port = await closedPort();
  await rejectsWith(provider.chat(modelFor('openai', `http://127.0.0.1:${port}/v1`), request('x'), callOptions()), {
    phase: 'connect',
    retryable: true,
  });
});

test('first-byte timeout: retryable, fires on time, and the fake sees the socket closed', async () => {
  up.set({ hang: true });
  const started = Date.now();
  await rejectsWith(
    collect(provider.chatStream(modelFor('openai', up.url), request('x'), callOptions({ firstByteTimeoutMs: 150 }))),
    { phase: 'first_byte', retryable: true },
  );
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 140 && elapsed < 1_000, `timed out after ${elapsed} ms`);
  assert.equal(await up.requests[0]!.closed, 'client-closed');
});

test('headers sent early but no body in time is also a first-byte timeout', async () => {
  up.set({
    custom: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
    },
  });
  await rejectsWith(
    collect(provider.chatStream(modelFor('openai', up.url), request('x'), callOptions({ firstByteTimeoutMs: 150 }))),
    { phase: 'first_byte', retryable: true },
  );
});

test('connection dropped mid-stream: phase stream, after the first chunks were yielded', async () => {
  up.set({ dropAfterFrames: 3 });
  const got: string[] = [];
  await rejectsWith(
    (async () => {
      for await (const c of provider.chatStream(
        modelFor('openai', up.url),
        request('one two three four five'),
        callOptions(),
      )) {
        got.push(c.choices[0]?.delta.content ?? '');
      }
    })(),
    { phase: 'stream', retryable: false },
  );
  assert.ok(got.length >= 2, `yielded ${got.length} chunks before the drop`);
});

test('an upstream that goes silent mid-stream fails after the idle limit', async () => {
  up.set({ chunkDelayMs: 400 });
  const started = Date.now();
  const got: string[] = [];
  await rejectsWith(
    (async () => {
      for await (const c of provider.chatStream(
        modelFor('openai', up.url),
        request('a b c'),
        callOptions({ idleTimeoutMs: 100 }),
      )) {
        got.push(c.choices[0]?.delta.content ?? '');
      }
    })(),
    { phase: 'stream', retryable: false },
  );
  assert.ok(Date.now() - started < 350, `failed after ${Date.now() - started} ms`);
  assert.equal(got.length, 1, 'the first chunk came through');
  assert.equal(await up.requests[0]!.closed, 'client-closed');
});

test('a JSON answer cut mid-body is a retryable response error', async () => {
  up.set({ dropAfterFrames: 0 });
  await rejectsWith(provider.chat(modelFor('openai', up.url), request('x'), callOptions()), {
    phase: 'response',
    retryable: true,
  });
});

test('a stream cut right after its headers is retryable (nothing was yielded)', async () => {
  up.set({ dropAfterFrames: 0 });
  await rejectsWith(collect(provider.chatStream(modelFor('openai', up.url), request('x'), callOptions())), {
    retryable: true,
  });
});

test('an error event inside the stream becomes a ProviderError with the upstream message', async () => {
  up.set({ streamError: { message: 'context length exceeded', afterFrames: 2 } });
  await rejectsWith(collect(provider.chatStream(modelFor('openai', up.url), request('x'), callOptions())), {
    phase: 'stream',
    upstreamMessage: 'context length exceeded',
  });
});

test('abort mid-stream: phase aborted, not retryable, and the upstream socket is closed', async () => {
  up.set({ chunkDelayMs: 50 });
  const controller = new AbortController();
  const err = await rejectsWith(
    (async () => {
      for await (const _ of provider.chatStream(
        modelFor('openai', up.url),
        request('a b c d e f g h'),
        callOptions({ signal: controller.signal }),
      )) {
        controller.abort();
      }
    })(),
    { phase: 'aborted', retryable: false },
  );
  assert.match(err.message, /aborted/);
  assert.equal(await up.requests[0]!.closed, 'client-closed');
});

test('an already aborted signal fails before any request', async () => {
  const controller = new AbortController();
  controller.abort();
  await rejectsWith(
    provider.chat(modelFor('openai', up.url), request('x'), callOptions({ signal: controller.signal })),
    {
      phase: 'aborted',
    },
  );
  assert.equal(up.requests.length, 0);
});

test('a consumer that stops early closes the upstream socket', async () => {
  up.set({ chunkDelayMs: 30 });
  for await (const _ of provider.chatStream(modelFor('openai', up.url), request('a b c d e f'), callOptions())) break;
  assert.equal(await up.requests[0]!.closed, 'client-closed');
});

test('keep-alive: sequential JSON and streaming calls reuse one connection', async () => {
  const before = up.connections;
  for (let i = 0; i < 5; i++) {
    await provider.chat(modelFor('openai', up.url), request(`q${i}`), callOptions());
    await collect(provider.chatStream(modelFor('openai', up.url), request(`s${i}`), callOptions()));
  }
  assert.ok(up.connections - before <= 1, `opened ${up.connections - before} connections for 10 calls`);
});

test('a server that ignores stream:true and answers JSON is replayed as chunks', async () => {
  up.set({
    custom: (req, res) => {
      const body = JSON.stringify({
        id: 'chatcmpl-json',
        object: 'chat.completion',
        created: 1,
        model: req.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'whole answer' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 },
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    },
  });
  const chunks = await collect(provider.chatStream(modelFor('openai', up.url), request('x'), callOptions()));
  assert.equal(textOf(chunks), 'whole answer');
  assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
  assert.equal(chunks.at(-1)?.usage?.total_tokens, 4);
});

test('a keep-alive socket the server closed is retried once on a fresh connection', async () => {
  // The server kills the second request on each socket, as when an idle keep-alive socket is closed
  // by the upstream just as the next request goes out. A server of its own, so that the pool holds
  // one connection: with sockets left by earlier tests the second request may take another one.
  const own = await startFakeOpenAI({ models: ['gpt-a'] });
  after(() => own.close());
  const perSocket = new WeakMap<object, number>();
  own.set({
    custom: (req, res) => {
      const socket = res.socket!;
      const n = (perSocket.get(socket) ?? 0) + 1;
      perSocket.set(socket, n);
      if (n > 1) return void socket.destroy();
      const body = JSON.stringify({
        id: `c${req.index}`,
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: `answer ${req.index}` }, finish_reason: 'stop' }],
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
  });
  const model = modelFor('openai', own.url);
  const first = await provider.chat(model, request('one'), callOptions());
  // undici hands a keep-alive socket to the next request only after a turn of the event loop (it
  // first reads any FIN/RST already pending on it); a request sent sooner gets a new connection.
  // The daemon's next request comes at least a client round trip later.
  await new Promise((resolve) => setTimeout(resolve, 10));
  const second = await provider.chat(model, request('two'), callOptions());
  assert.equal(first.choices[0]?.message.content, 'answer 1');
  assert.equal(second.choices[0]?.message.content, 'answer 3', 'request 2 died with its socket; 3 is the retry');
  assert.equal(own.requests.length, 3);
});

test('a connection the upstream closes after holding the request for a while is not sent again', async () => {
  // The upstream reads the request, works on it for 800 ms, then resets the (reused) connection. It
  // was sent a second time as if the socket had been stale: twice the upstream's work, twice the wait.
  const own = await startFakeOpenAI({ models: ['gpt-a'] });
  after(() => own.close());
  own.set({
    custom: (req, res) => {
      if (req.index === 1) {
        const body = JSON.stringify({
          id: 'c1',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'warm' }, finish_reason: 'stop' }],
        });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        return void res.end(body);
      }
      setTimeout(() => res.socket?.destroy(), 800);
    },
  });
  const model = modelFor('openai', own.url);
  await provider.chat(model, request('warm up'), callOptions());
  await new Promise((resolve) => setTimeout(resolve, 10)); // see the test above
  await rejectsWith(provider.chat(model, request('held, then reset'), callOptions()), { phase: 'first_byte' });
  assert.equal(own.connections, 1, 'the request went out on the reused connection');
  assert.equal(own.requests.length, 2, 'sent once');
});

test('a retry that gets a second stale socket fails as a connection failure: provider prefix, first_byte, retryable', async () => {
  // Two idle connections that have each served one answer; the server drops the next request on
  // each. The retry is dispatched while the first try's connection is still busy, so the pool hands
  // it the other stale one.
  const own = await startFakeOpenAI({ models: ['gpt-a'] });
  after(() => own.close());
  const served = new WeakSet<object>();
  const held: (() => void)[] = [];
  own.set({
    custom: (req, res) => {
      const socket = res.socket!;
      if (served.has(socket)) return void socket.destroy();
      served.add(socket);
      const body = JSON.stringify({
        id: `c${req.index}`,
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'warm' }, finish_reason: 'stop' }],
      });
      // Held until both warm-up requests are in flight, so they take two connections.
      held.push(() => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
      if (held.length === 2) for (const answer of held.splice(0)) answer();
    },
  });
  const model = modelFor('openai', own.url);
  await Promise.all([
    provider.chat(model, request('one'), callOptions()),
    provider.chat(model, request('two'), callOptions()),
  ]);
  assert.equal(own.connections, 2);
  await new Promise((resolve) => setTimeout(resolve, 10)); // see the test above
  const err = await rejectsWith(provider.chat(model, request('three'), callOptions()), {
    phase: 'first_byte',
    retryable: true,
  });
  assert.match(err.message, /^openai upstream closed the connection before answering: /);
  assert.equal(own.requests.length, 4, 'the first try and its retry');
});

test('32 concurrent streams each get their own answer, over pooled connections', async () => {
  up.set({ chunkDelayMs: 5 });
  const model = modelFor('openai', up.url);
  const texts = await Promise.all(
    Array.from({ length: 32 }, async (_, i) =>
      textOf(await collect(provider.chatStream(model, request(`q${i}`), callOptions()))),
    ),
  );
  texts.forEach((text, i) => assert.equal(text, `fake answer from up-model to: q${i}`));
  // undici reuses a socket after a turn of the event loop (see the keep-alive test above).
  await new Promise((resolve) => setTimeout(resolve, 10));
  const opened = up.connections;
  await Promise.all(Array.from({ length: 32 }, (_, i) => provider.chat(model, request(`again ${i}`), callOptions())));
  assert.ok(up.connections - opened <= 2, `a second burst opened ${up.connections - opened} new connections`);
});

test('listModels reads GET /models', async () => {
  const ids = await provider.listModels(up.url, 'sk-x', callOptions());
  assert.deepEqual(ids, ['gpt-a', 'gpt-b']);
  assert.equal(up.requests[0]!.headers.authorization, 'Bearer sk-x');
});
