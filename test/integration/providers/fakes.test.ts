// The fake upstreams themselves: each speaks its wire format, records requests, and plays the
// failure behaviours other tests rely on. Checked with plain node:http so no adapter is involved.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { startFakeAnthropic, startFakeOllama, startFakeOpenAI, type FakeUpstream } from '../../fakes';

const started: FakeUpstream[] = [];
after(() => Promise.all(started.map((f) => f.close())));
async function track(p: Promise<FakeUpstream>) {
  const f = await p;
  started.push(f);
  return f;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const user = (content: string) => ({ role: 'user', content });

test('fake OpenAI: JSON answer with the default text and usage, request recorded', async () => {
  const up = await track(startFakeOpenAI());
  assert.match(up.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  const r = await post(
    `${up.url}/chat/completions`,
    { model: 'gpt-x', messages: [user('hello')] },
    { authorization: 'Bearer k' },
  );
  assert.equal(r.status, 200);
  const json = JSON.parse(r.text);
  assert.equal(json.choices[0].message.content, 'fake answer from gpt-x to: hello');
  assert.equal(json.choices[0].finish_reason, 'stop');
  assert.equal(json.usage.total_tokens, json.usage.prompt_tokens + json.usage.completion_tokens);
  assert.equal(up.requests[0]?.headers.authorization, 'Bearer k');
  assert.equal(up.requests[0]?.lastUserText, 'hello');
  assert.equal(await up.requests[0]?.closed, 'completed');
});

test('fake OpenAI: SSE stream ends with a usage chunk and [DONE]; tool call arguments arrive in parts', async () => {
  const up = await track(
    startFakeOpenAI({ behaviour: { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] } }),
  );
  const r = await post(`${up.url}/chat/completions`, {
    model: 'm',
    messages: [user('weather?')],
    stream: true,
    stream_options: { include_usage: true },
  });
  const events = r.text.split('\n\n').filter(Boolean);
  assert.equal(events.at(-1), 'data: [DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
  assert.ok(chunks.at(-1).usage.prompt_tokens > 0);
  assert.equal(chunks.at(-2).choices[0].finish_reason, 'tool_calls');
  const args = chunks
    .flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
    .map((t: any) => t.function.arguments ?? '')
    .join('');
  assert.deepEqual(JSON.parse(args), { city: 'Oslo' });
});

test('fake OpenAI: error status with the real error body, enqueue then default, hook per model', async () => {
  const up = await track(startFakeOpenAI());
  up.enqueue({ error: { status: 429, message: 'Rate limit reached', retryAfter: '1' } });
  up.hook = (req) => (req.model === 'planner' ? { text: '{"steps":[]}' } : undefined);
  const r1 = await post(`${up.url}/chat/completions`, { model: 'm', messages: [user('a')] });
  assert.equal(r1.status, 429);
  assert.equal(r1.headers['retry-after'], '1');
  assert.deepEqual(JSON.parse(r1.text), {
    error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' },
  });
  const r2 = await post(`${up.url}/chat/completions`, { model: 'planner', messages: [user('plan')] });
  assert.equal(JSON.parse(r2.text).choices[0].message.content, '{"steps":[]}');
});

test('fake OpenAI: apiKey enforced with a 401 body', async () => {
  const up = await track(startFakeOpenAI({ apiKey: 'sk-right' }));
  const r = await post(
    `${up.url}/chat/completions`,
    { model: 'm', messages: [user('a')] },
    { authorization: 'Bearer wrong' },
  );
  assert.equal(r.status, 401);
  assert.equal(JSON.parse(r.text).error.code, 'invalid_api_key');
});

test('fake Anthropic: message events in order, error body shape', async () => {
  const up = await track(startFakeAnthropic());
  const r = await post(`${up.url}/v1/messages`, {
    model: 'claude-x',
    max_tokens: 10,
    messages: [user('hi')],
    stream: true,
  });
  const types = r.text
    .split('\n\n')
    .filter(Boolean)
    .map((e) => /^event: (\S+)/.exec(e)?.[1]);
  assert.deepEqual(
    [...new Set(types)],
    [
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ],
  );
  up.set({ error: { status: 529, message: 'Overloaded' } });
  const e = await post(`${up.url}/v1/messages`, { model: 'claude-x', max_tokens: 10, messages: [user('hi')] });
  assert.equal(e.status, 529);
  assert.deepEqual(JSON.parse(e.text), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
});

test('fake Ollama: NDJSON by default, JSON with stream:false, /api/tags lists models', async () => {
  const up = await track(startFakeOllama({ models: ['llama3.2:1b', 'qwen2.5:0.5b'] }));
  const s = await post(`${up.url}/api/chat`, { model: 'llama3.2:1b', messages: [user('hi')] });
  const lines = s.text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.at(-1).done, true);
  assert.equal(lines.map((l) => l.message.content).join(''), 'fake answer from llama3.2:1b to: hi');
  const j = await post(`${up.url}/api/chat`, { model: 'llama3.2:1b', messages: [user('hi')], stream: false });
  assert.equal(JSON.parse(j.text).eval_count > 0, true);
  const tags = await new Promise<string>((resolve) =>
    http.get(`${up.url}/api/tags`, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolve(t));
    }),
  );
  assert.deepEqual(
    JSON.parse(tags).models.map((m: { name: string }) => m.name),
    ['llama3.2:1b', 'qwen2.5:0.5b'],
  );
});

test('fake: dropAfterFrames destroys the socket mid-stream and records it', async () => {
  const up = await track(startFakeOpenAI({ behaviour: { dropAfterFrames: 2 } }));
  await assert.rejects(post(`${up.url}/chat/completions`, { model: 'm', messages: [user('a')], stream: true }));
  assert.equal(await up.requests[0]?.closed, 'dropped');
});

test('fake: a hanging request sees the client close its socket', async () => {
  const up = await track(startFakeOpenAI({ behaviour: { hang: true } }));
  const req = http.request(`${up.url}/chat/completions`, { method: 'POST' });
  req.on('error', () => {});
  req.end(JSON.stringify({ model: 'm', messages: [user('a')] }));
  const seen = await up.waitForRequest(1);
  req.destroy();
  assert.equal(await seen.closed, 'client-closed');
});

test('serve.ts prints the base URL first and exits when its stdin pipe closes', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fakes/serve.ts', '--port', '0', '--kind', 'ollama'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  assert.match(first, /^http:\/\/127\.0\.0\.1:\d+$/);
  const r = await post(`${first}/api/chat`, { model: 'x', messages: [user('ping')], stream: false });
  assert.equal(JSON.parse(r.text).message.content, 'fake answer from x to: ping');
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.stdin.end();
  assert.equal(await exited, 0);
});
