// The official openai client against the daemon's real port, with fake upstreams behind it.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import type { RoutingDecision } from '../../../shared/openai';
import type { Trace } from '../../../shared/api';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
let client: OpenAI;

before(async () => {
  d = await startTestDaemon({
    config: { default_model: 'model-a', routing: { prefer_local: false, cooldown_failures: 100 } },
  });
  client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => d.close());
beforeEach(() => {
  for (const f of Object.values(d.fakes)) f.reset();
});

type WithDecision = { routing_decision?: RoutingDecision };

async function trace(id: string): Promise<Trace> {
  const res = await fetch(`${d.url}/v1/trace/${id}`);
  assert.equal(res.status, 200);
  return (await res.json()) as Trace;
}

describe('POST /v1/chat/completions through the openai client', () => {
  test('non-streaming auto request is routed and answered with routing_decision', async () => {
    const completion = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'Say hi' }],
    });
    assert.match(completion.id, /^fugu-/);
    assert.equal(completion.choices[0]?.message.content, 'fake answer from model-a-upstream to: Say hi');
    const decision = (completion as unknown as WithDecision).routing_decision;
    assert.ok(decision, 'routing_decision present');
    assert.equal(decision.model, 'model-a');
    assert.equal(typeof decision.latency_ms, 'number');
    assert.ok(decision.explanation.length > 0);
    assert.ok(completion.usage && completion.usage.total_tokens > 0);
    assert.equal(d.fakes['model-a']!.requests.length, 1);
    assert.equal(d.fakes['model-a']!.requests[0]!.model, 'model-a-upstream');
  });

  test('streaming answer arrives complete, decision in the first chunk and the header, usage when asked', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'auto',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Stream three words please' }],
      })
      .withResponse();
    const header = response.headers.get('x-fugusashi-routing');
    assert.ok(header);
    assert.equal((JSON.parse(header) as RoutingDecision).model, 'model-a');
    let text = '';
    let first: WithDecision | null = null;
    let usage = null;
    const ids = new Set<string>();
    for await (const chunk of stream) {
      first ??= chunk as unknown as WithDecision;
      ids.add(chunk.id);
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, 'fake answer from model-a-upstream to: Stream three words please');
    assert.equal(first?.routing_decision?.model, 'model-a');
    assert.ok(usage && usage.completion_tokens > 0);
    assert.equal(ids.size, 1);
    assert.match([...ids][0]!, /^fugu-/);
    // The stream is recorded once it ends.
    const t = await trace([...ids][0]!);
    assert.equal(t.status, 'ok');
    assert.equal(t.response_text, text);
  });

  test('a forced pool model is honoured and recorded as an override', async () => {
    const completion = await client.chat.completions.create({
      model: 'model-b',
      messages: [{ role: 'user', content: 'Use b' }],
    });
    assert.equal(completion.model, 'model-b');
    const decision = (completion as unknown as WithDecision).routing_decision!;
    assert.equal(decision.strategy, 'override');
    assert.equal(d.fakes['model-b']!.requests.length, 1);
    assert.equal(d.fakes['model-a']!.requests.length, 0);
  });

  test('an upstream 500 falls back to the next model and the trace shows both attempts', async () => {
    d.fakes['model-a']!.enqueue({ error: { status: 500, message: 'upstream exploded' } });
    const completion = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'fallback please' }],
    });
    assert.equal(completion.model, 'model-b');
    assert.equal(completion.choices[0]?.message.content, 'fake answer from model-b-upstream to: fallback please');
    const t = await trace(completion.id);
    assert.deepEqual(
      t.attempts.map((a) => [a.model, a.status]),
      [
        ['model-a', 'error'],
        ['model-b', 'ok'],
      ],
    );
    assert.equal(t.attempts[0]!.upstream_status, 500);
    assert.equal(t.answered_by, 'model-b');
  });

  test('a streaming request falls back when the first model refuses the connection', async () => {
    const dead = await startTestDaemon({
      models: [{ name: 'dead' }, { name: 'alive' }],
      config: { default_model: 'dead', routing: { prefer_local: false } },
      rpc: false,
    });
    try {
      await dead.fakes['dead']!.close(); // connection refused from now on
      const c = new OpenAI({ baseURL: `${dead.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const stream = await c.chat.completions.create({
        model: 'auto',
        stream: true,
        messages: [{ role: 'user', content: 'hello' }],
      });
      let text = '';
      let id = '';
      for await (const chunk of stream) {
        id = chunk.id;
        text += chunk.choices[0]?.delta.content ?? '';
      }
      assert.equal(text, 'fake answer from alive-upstream to: hello');
      const res = await fetch(`${dead.url}/v1/trace/${id}`);
      const t = (await res.json()) as Trace;
      assert.deepEqual(
        t.attempts.map((a) => [a.model, a.status]),
        [
          ['dead', 'error'],
          ['alive', 'ok'],
        ],
      );
      assert.ok(t.attempts[0]!.error);
    } finally {
      await dead.close();
    }
  });

  test('all candidates failing gives 502 listing each attempt, and the daemon keeps serving', async () => {
    d.fakes['model-a']!.enqueue({ error: { status: 503, message: 'a down' } });
    d.fakes['model-b']!.enqueue({ error: { status: 500, message: 'b down' } });
    const res = await fetch(`${d.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(res.status, 502);
    const body = (await res.json()) as { error: { message: string; code: string } };
    assert.equal(body.error.code, 'all_candidates_failed');
    assert.match(body.error.message, /model-a/);
    assert.match(body.error.message, /model-b/);
    const ok = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'again' }] });
    assert.ok(ok.choices[0]?.message.content);
  });

  test('a request with tools is routed only to a model that supports tools', async () => {
    const completion = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'What is the weather?' }],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: {} } } }],
    });
    assert.equal(completion.model, 'model-b');
    assert.equal(d.fakes['model-a']!.requests.length, 0);
    assert.deepEqual(d.fakes['model-b']!.requests[0]!.body.tools[0].function.name, 'weather');
  });

  test('a request with an image is routed only to a vision model', async () => {
    const completion = await client.chat.completions.create({
      model: 'auto',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
    });
    assert.equal(completion.model, 'model-b');
    assert.equal(d.fakes['model-a']!.requests.length, 0);
  });

  test('an upstream that drops mid-stream: the client gets an in-band error and [DONE], the trace says error', async () => {
    d.fakes['model-a']!.enqueue({ chunks: ['one ', 'two ', 'three ', 'four'], dropAfterFrames: 3 });
    const res = await fetch(`${d.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', stream: true, messages: [{ role: 'user', content: 'drop me' }] }),
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /"error":\{/);
    assert.ok(text.trimEnd().endsWith('data: [DONE]'));
    const id = /"id":"(fugu-[^"]+)"/.exec(text)![1]!;
    const t = await trace(id);
    assert.equal(t.status, 'error');
    assert.equal(t.attempts.length, 1, 'no fallback once bytes went to the client');
  });

  test('a client that disconnects mid-stream aborts the upstream call', async () => {
    d.fakes['model-a']!.enqueue({ chunks: ['one ', 'two ', 'three ', 'four'], chunkDelayMs: 300 });
    const controller = new AbortController();
    const res = await fetch(`${d.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', stream: true, messages: [{ role: 'user', content: 'slow' }] }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const upstream = d.fakes['model-a']!.requests[0]!;
    const outcome = await Promise.race([upstream.closed, new Promise((r) => setTimeout(() => r('timeout'), 3000))]);
    assert.equal(outcome, 'client-closed');
  });

  for (const stream of [false, true]) {
    test(`a client that leaves before the upstream's first byte aborts the upstream call (${stream ? 'streamed' : 'JSON'})`, async () => {
      // The upstream never answers: only the client's disconnect can end its call (the first-byte
      // timeout is a minute away), and the request's record says the client cancelled it.
      d.fakes['model-a']!.set({ hang: true });
      const controller = new AbortController();
      const sent = fetch(`${d.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'model-a', stream, messages: [{ role: 'user', content: 'leaving early' }] }),
        signal: controller.signal,
      }).catch(() => 'aborted');
      while (d.fakes['model-a']!.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
      controller.abort();
      assert.equal(await sent, 'aborted');
      const upstream = d.fakes['model-a']!.requests[0]!;
      const outcome = await Promise.race([upstream.closed, new Promise((r) => setTimeout(() => r('timeout'), 3000))]);
      assert.equal(outcome, 'client-closed');
      // The record is kept once the cancelled call has unwound.
      let row: { request_id: string; prompt_preview: string } | undefined;
      while (row?.prompt_preview !== 'leaving early') {
        const res = await fetch(`${d.url}/v1/routing/decisions?limit=1`);
        row = ((await res.json()) as { data: NonNullable<typeof row>[] }).data[0];
      }
      const t = await trace(row.request_id);
      assert.equal(t.status, 'error');
      assert.equal(t.attempts[0]?.error, 'cancelled by the client');
    });
  }
});
