// Errors, safety (Host check, token), dry-run routing, stats/decisions/trace/usage, the feedback
// endpoints and the live SSE feed, against a real daemon on a real port.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type {
  DecisionRow,
  FeedbackStats,
  LiveEvent,
  ModelRanking,
  Trace,
  UsageBucket,
  UsageStats,
} from '../../../shared/api';
import type { ChatCompletion, ModelListEntry, OpenAIErrorBody, RoutingDecision } from '../../../shared/openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;

before(async () => {
  d = await startTestDaemon({
    config: {
      default_model: 'model-a',
      routing: { prefer_local: false },
      server: { body_limit_bytes: 64 * 1024, allowed_hosts: ['router.lan'] },
    },
    rpc: false,
  });
});
after(async () => d.close());

/** Raw request (node:http lets a test set any Host header and send broken bodies). */
function raw(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
  base = d,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string; json: () => any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: base.port, method, path, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }),
        );
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const chat = (content: string, model = 'auto') =>
  raw('POST', '/v1/chat/completions', JSON.stringify({ model, messages: [{ role: 'user', content }] }));

describe('errors in OpenAI shape, and the daemon keeps serving', () => {
  test('malformed JSON → 400', async () => {
    const res = await raw('POST', '/v1/chat/completions', '{"model": "auto", "messages": [');
    assert.equal(res.status, 400);
    const body = res.json() as OpenAIErrorBody;
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /JSON/i);
  });

  test('schema violation → 400 naming the field', async () => {
    const res = await raw(
      'POST',
      '/v1/chat/completions',
      JSON.stringify({ model: 'auto', messages: [{ role: 'wizard', content: 'x' }] }),
    );
    assert.equal(res.status, 400);
    const body = res.json() as OpenAIErrorBody;
    assert.match(body.error.param ?? '', /^messages\[0\]/);
    const temp = await raw(
      'POST',
      '/v1/chat/completions',
      JSON.stringify({ model: 'auto', temperature: 7, messages: [{ role: 'user', content: 'x' }] }),
    );
    assert.equal(temp.status, 400);
    assert.equal((temp.json() as OpenAIErrorBody).error.param, 'temperature');
    const missing = await raw('POST', '/v1/chat/completions', JSON.stringify({ model: 'auto' }));
    assert.equal(missing.status, 400);
    assert.equal((missing.json() as OpenAIErrorBody).error.param, 'messages');
  });

  test('unknown model → 404 model_not_found', async () => {
    const res = await chat('x', 'gpt-17');
    assert.equal(res.status, 404);
    assert.equal((res.json() as OpenAIErrorBody).error.code, 'model_not_found');
    const mode = await chat('x', 'auto:fastest');
    assert.equal(mode.status, 404);
  });

  test('body over the limit → 413', async () => {
    const res = await chat('y'.repeat(100 * 1024));
    assert.equal(res.status, 413);
    assert.equal((res.json() as OpenAIErrorBody).error.code, 'payload_too_large');
  });

  test('unknown route → 404 in the same shape; the daemon still answers', async () => {
    const res = await raw('GET', '/v1/nope');
    assert.equal(res.status, 404);
    assert.ok((res.json() as OpenAIErrorBody).error.message);
    const ok = await chat('still alive?');
    assert.equal(ok.status, 200);
  });
});

describe('safe by default', () => {
  test('a Host that is not loopback or allowed → 403; allowed_hosts and loopback names pass', async () => {
    assert.equal((await raw('GET', '/v1/models', undefined, { host: 'evil.example:6060' })).status, 403);
    assert.equal((await raw('GET', '/v1/models', undefined, { host: 'router.lan' })).status, 200);
    assert.equal((await raw('GET', '/v1/models', undefined, { host: `localhost:${d.port}` })).status, 200);
    assert.equal((await raw('GET', '/v1/models', undefined, { host: `[::1]:${d.port}` })).status, 200);
  });

  test('with a token: 401 without or with a wrong one, 200 with it', async () => {
    const t = await startTestDaemon({ config: { server: { token: 's3cret' } }, rpc: false });
    try {
      assert.equal((await raw('GET', '/v1/models', undefined, {}, t)).status, 401);
      assert.equal((await raw('GET', '/v1/models', undefined, { authorization: 'Bearer nope' }, t)).status, 401);
      const ok = await raw('GET', '/v1/models', undefined, { authorization: 'Bearer s3cret' }, t);
      assert.equal(ok.status, 200);
      assert.equal((await raw('GET', '/v1/stats?token=s3cret', undefined, {}, t)).status, 200);
    } finally {
      await t.close();
    }
  });
});

describe('metrics without a team database', () => {
  test('/metrics counts each chat request with its route, status and latency', async () => {
    assert.equal((await chat('count me', 'model-a')).status, 200);
    const text = (await raw('GET', '/metrics')).text;
    const count =
      /fugusashi_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status="200"\} (\d+)/.exec(text);
    assert.ok(count && Number(count[1]) >= 1, text);
    const observed =
      /fugusashi_http_request_duration_seconds_count\{method="POST",route="\/v1\/chat\/completions"\} (\d+)/.exec(text);
    assert.ok(observed && Number(observed[1]) >= 1);
    const sum =
      /fugusashi_http_request_duration_seconds_sum\{method="POST",route="\/v1\/chat\/completions"\} ([\d.e-]+)/.exec(
        text,
      );
    // In seconds: a chat with a loopback fake takes milliseconds (in ms units the mean would pass 1).
    assert.ok(
      sum && Number(sum[1]) > 0 && Number(sum[1]) / Number(observed[1]) < 1,
      `latencies in seconds: ${sum?.[1]}`,
    );
  });

  test('/metrics counts a request the guard refused (a cross-site POST: 403), which is what an error-rate alert needs', async () => {
    const refused = await raw('POST', '/v1/feedback/retrain', '{}', { 'sec-fetch-site': 'cross-site' });
    assert.equal(refused.status, 403);
    const text = (await raw('GET', '/metrics')).text;
    assert.match(
      text,
      /fugusashi_http_requests_total\{method="POST",route="\/v1\/feedback\/retrain",status="403"\} [1-9]/,
    );
  });
});

describe('read endpoints and dry-run routing', () => {
  test('models list has the pool and auto modes', async () => {
    const res = await raw('GET', '/v1/models');
    const ids = (res.json().data as ModelListEntry[]).map((m) => m.id);
    for (const id of ['auto', 'auto:quality', 'auto:cost', 'model-a', 'model-b']) assert.ok(ids.includes(id), id);
  });

  test('models list shows the capabilities supports_tools / supports_vision imply (VS Code picks tool calling from it)', async () => {
    const t = await startTestDaemon({
      models: [{ name: 'flags-only', config: { capabilities: ['chat'], supports_tools: true, supports_vision: true } }],
      rpc: false,
    });
    try {
      const entry = ((await raw('GET', '/v1/models', undefined, {}, t)).json().data as ModelListEntry[]).find(
        (m) => m.id === 'flags-only',
      );
      assert.ok(entry?.capabilities?.includes('tools') && entry.capabilities.includes('vision'), JSON.stringify(entry));
    } finally {
      await t.close();
    }
  });

  test('POST /v1/routing/route decides without calling a model', async () => {
    d.fakes['model-a']!.reset();
    const res = await raw(
      'POST',
      '/v1/routing/route',
      JSON.stringify({ messages: [{ role: 'user', content: 'dry run' }] }),
    );
    assert.equal(res.status, 200);
    const decision = res.json() as RoutingDecision;
    assert.equal(decision.model, 'model-a');
    assert.equal(d.fakes['model-a']!.requests.length, 0);
    const quality = await raw(
      'POST',
      '/v1/routing/route',
      JSON.stringify({ model: 'auto:quality', messages: [{ role: 'user', content: 'dry run' }] }),
    );
    assert.equal(quality.status, 200);
  });

  test('stats, decisions, usage over time and trace reflect requests', async () => {
    const before = (await raw('GET', '/v1/stats')).json() as UsageStats;
    const answer = (await chat('count me')).json() as ChatCompletion;
    const after = (await raw('GET', '/v1/stats')).json() as UsageStats;
    assert.equal(after.requests, before.requests + 1);
    assert.ok(after.models.some((m) => m.model === 'model-a' && m.requests > 0));
    const rows = (await raw('GET', '/v1/routing/decisions?limit=5')).json().data as DecisionRow[];
    assert.equal(rows[0]?.request_id, answer.id);
    assert.equal((await raw('GET', '/v1/routing/decisions?limit=abc')).status, 400);
    // The dashboard's cursor (created_at, request_id of the last row seen): the next page starts after it.
    const cursor = `before=${rows[0].created_at}&before_id=${encodeURIComponent(rows[0].request_id)}`;
    const older = (await raw('GET', `/v1/routing/decisions?limit=5&${cursor}`)).json().data as DecisionRow[];
    assert.ok(older.every((r) => r.request_id !== answer.id));
    // A repeated before_id is a client's mistake (400), not a store error.
    const twice = await raw('GET', `/v1/routing/decisions?${cursor}&before_id=x`);
    assert.equal(twice.status, 400, twice.text);
    assert.equal(twice.json().error.param, 'before_id');
    const usage = (await raw('GET', '/v1/usage?bucket_ms=60000')).json().data as UsageBucket[];
    assert.ok(usage.length >= 1);
    const trace = (await raw('GET', `/v1/trace/${answer.id}`)).json() as Trace;
    assert.equal(trace.request_id, answer.id);
    assert.equal(trace.attempts.length, 1);
    assert.equal((await raw('GET', '/v1/trace/fugu-nope')).status, 404);
    const health = (await raw('GET', '/health')).json();
    assert.equal(health.status, 'ok');
  });
});

describe('feedback endpoints', () => {
  test('rate: stored, shows in the trace and feedback stats; bad input gets 4xx and stores nothing', async () => {
    const answer = (await chat('rate me')).json() as ChatCompletion;
    const rated = await raw('POST', '/v1/feedback/rate', JSON.stringify({ request_id: answer.id, rating: 4 }));
    assert.equal(rated.status, 200);
    assert.deepEqual(rated.json(), { request_id: answer.id, rating: 4, stored: true, status: 'ok' });
    const thumbs = await raw('POST', '/v1/feedback/rate', JSON.stringify({ request_id: answer.id, thumbs: 'down' }));
    assert.equal(thumbs.json().rating, 1);
    const trace = (await raw('GET', `/v1/trace/${answer.id}`)).json() as Trace;
    // The user's second word on the answer replaces the first (rating-loop.test.ts).
    assert.deepEqual(
      trace.feedback.map((f) => [f.rating, f.source]),
      [[1, 'thumbs']],
    );
    const statsBefore = (await raw('GET', '/v1/feedback/stats')).json() as FeedbackStats;
    assert.equal(
      (await raw('POST', '/v1/feedback/rate', JSON.stringify({ request_id: 'fugu-missing', rating: 3 }))).status,
      404,
    );
    assert.equal(
      (await raw('POST', '/v1/feedback/rate', JSON.stringify({ request_id: answer.id, rating: 6 }))).status,
      400,
    );
    assert.equal((await raw('POST', '/v1/feedback/rate', JSON.stringify({ request_id: answer.id }))).status, 400);
    const statsAfter = (await raw('GET', '/v1/feedback/stats')).json() as FeedbackStats;
    assert.equal(statsAfter.ratings, statsBefore.ratings);
    const rankings = (await raw('GET', '/v1/feedback/rankings')).json().data as ModelRanking[];
    assert.ok(rankings.some((r) => r.model === 'model-a'));
  });

  test('training rows: JSON, JSONL and CSV bodies; a bad row rejects the batch', async () => {
    const before = ((await raw('GET', '/v1/feedback/stats')).json() as FeedbackStats).outcomes;
    const json = await raw(
      'POST',
      '/v1/routing/training',
      JSON.stringify([{ prompt: 'a', model: 'model-a', score: 0.5 }]),
    );
    assert.deepEqual(json.json(), { added: 1, already_imported: 0, status: 'ok', indexed: 1 });
    const jsonl = await raw(
      'POST',
      '/v1/routing/training',
      '{"prompt":"b","model":"model-b","score":1}\n{"prompt":"c","model":"model-a","score":0}\n',
      {
        'content-type': 'application/x-ndjson',
      },
    );
    assert.deepEqual(jsonl.json(), { added: 2, already_imported: 0, status: 'ok', indexed: 2 });
    const csv = await raw('POST', '/v1/routing/training', 'prompt,model,score\n"hello, world",model-b,0.75\n', {
      'content-type': 'text/csv',
    });
    assert.deepEqual(csv.json(), { added: 1, already_imported: 0, status: 'ok', indexed: 1 });
    const bad = await raw(
      'POST',
      '/v1/routing/training',
      JSON.stringify([
        { prompt: 'ok', model: 'model-a', score: 0.5 },
        { prompt: 'x', model: 'model-a', score: 3 },
      ]),
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.json().error.param, 'rows[1].score');
    // A score column with a cell left blank is a gap in the data, not a score: without this check
    // "" counted as a perfect 1 and " " as 0. (A file with no score column at all means 1, as 0.3.0.)
    for (const cell of ['', ' ']) {
      const gap = await raw(
        'POST',
        '/v1/routing/training',
        `prompt,model,score\nfine,model-a,0.5\ngap,model-b,${cell}\n`,
        {
          'content-type': 'text/csv',
        },
      );
      assert.equal(gap.status, 400, `score cell ${JSON.stringify(cell)}: ${gap.text}`);
      assert.equal(gap.json().error.param, 'rows[1].score');
    }
    const unscored = await raw('POST', '/v1/routing/training', 'prompt,model\nno score column,model-b\n', {
      'content-type': 'text/csv',
    });
    assert.deepEqual(unscored.json(), { added: 1, already_imported: 0, status: 'ok', indexed: 1 });
    const after = ((await raw('GET', '/v1/feedback/stats')).json() as FeedbackStats).outcomes;
    assert.equal(after, before + 5);
    const retrain = await raw('POST', '/v1/feedback/retrain', '{}');
    assert.equal(retrain.status, 200);
    assert.equal(typeof retrain.json().started, 'boolean');
  });

  test('implicit signal: forcing another model for the same prompt after auto is recorded on the auto answer', async () => {
    const auto = (await chat('which model is better for this exact prompt?')).json() as ChatCompletion;
    assert.equal(auto.model, 'model-a');
    await chat('which model is better for this exact prompt?', 'model-b');
    const trace = (await raw('GET', `/v1/trace/${auto.id}`)).json() as Trace;
    assert.deepEqual(
      trace.feedback.map((f) => f.source),
      ['implicit:override'],
    );
    assert.ok(trace.feedback[0]!.weight < 1);
  });
});

describe('live events (SSE)', () => {
  test('a request made through the API arrives as a decision event', async () => {
    const events: LiveEvent[] = [];
    const controller = new AbortController();
    const res = await fetch(`${d.url}/v1/events`, { signal: controller.signal });
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const answer = (await chat('live please')).json() as ChatCompletion;
    let buffer = '';
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && !events.some((e) => e.type === 'decision')) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (const block of buffer.split('\n\n').slice(0, -1)) {
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice(6)) as LiveEvent);
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
    }
    controller.abort();
    const decision = events.find((e) => e.type === 'decision');
    assert.ok(decision && decision.type === 'decision');
    assert.equal(decision.row.request_id, answer.id);
  });
});
