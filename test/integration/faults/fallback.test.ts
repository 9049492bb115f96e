// Upstreams that misbehave the way real ones do, behind a real daemon: every fault before a byte
// reached the client falls back to the healthy model and counts against the faulty one; the
// circuit breaker lets one probe through after a cooldown; Retry-After is kept; deep JSON is the
// door's 400, never a model failure.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import type { FakeRequest } from '../../fakes';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { chat, sleep, streamed } from './helpers';

/** model-a (cheap, the default) is the faulty one; model-b is healthy. */
async function pair(routing: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<TestDaemon> {
  return startTestDaemon({
    rpc: false,
    config: {
      default_model: 'model-a',
      routing: { prefer_local: false, cooldown_failures: 2, cooldown_seconds: 60, ...routing },
      ...extra,
    },
  });
}

function malformed(req: FakeRequest, res: http.ServerResponse): void {
  if (req.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('data: {"id": "x", "choices": [oops\n\n');
  } else {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id": "x", "choices": [');
  }
}

describe('fallback on upstream faults', () => {
  test('malformed JSON / SSE from an upstream: the next model answers, the faulty one cools down (no 400)', async () => {
    const d = await pair();
    try {
      d.fakes['model-a']!.set({ custom: malformed });
      for (const stream of [false, true, false, true]) {
        const reply = await chat(d.url, { model: 'auto', stream });
        assert.equal(reply.status, 200, reply.text);
        if (stream) assert.equal(streamed(reply.body).model, 'model-b');
        else assert.equal(reply.body.model, 'model-b');
      }
      // Two failures (cooldown_failures: 2) put model-a in cooldown: the last two requests skipped it.
      assert.equal(d.fakes['model-a']!.requests.length, 2);
      const health = (await (await fetch(`${d.url}/v1/trace/x`)).json()) as unknown;
      assert.ok(health);
    } finally {
      await d.close();
    }
  });

  test('a stream dropped after its role chunk (nothing sent to the client yet) falls back invisibly', async () => {
    const d = await pair();
    try {
      d.fakes['model-a']!.set({ dropAfterFrames: 1 });
      for (let i = 0; i < 4; i++) {
        const reply = await chat(d.url, { model: 'auto', stream: true });
        assert.equal(reply.status, 200);
        const s = streamed(reply.body);
        assert.equal(s.error, null, 'no in-band error');
        assert.equal(s.model, 'model-b');
        assert.match(s.text, /fake answer from model-b-upstream/);
      }
      assert.equal(d.fakes['model-a']!.requests.length, 2, 'model-a cooled down after two drops');
    } finally {
      await d.close();
    }
  });

  test('a retry that lands on a second stale keep-alive socket fails like any dropped connection: same message, fallback, trace', async () => {
    // (Three failures of model-a below: none of them may put it in cooldown before the next.)
    const d = await pair({ cooldown_failures: 5 });
    try {
      // model-a answers the first request on each connection and drops the socket at the next one, as
      // an upstream does that closed its idle keep-alive connections just as requests went out.
      const up = d.fakes['model-a']!;
      const served = new WeakSet<object>();
      let dropAll = false;
      let held: (() => void)[] = [];
      up.set({
        custom: (req: FakeRequest, res: http.ServerResponse) => {
          const socket = res.socket!;
          if (dropAll || served.has(socket)) return void socket.destroy();
          served.add(socket);
          const body = JSON.stringify({
            id: `c${req.index}`,
            object: 'chat.completion',
            created: 1,
            model: req.model,
            choices: [{ index: 0, message: { role: 'assistant', content: 'warm' }, finish_reason: 'stop' }],
          });
          // Held until two requests are in flight, so they took two connections.
          held.push(() => {
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
            res.end(body);
          });
          if (held.length === 2) for (const answer of held.splice(0)) answer();
        },
      });
      /** Two idle keep-alive connections to model-a, each of which has served one answer. */
      const warmTwo = async () => {
        held = [];
        const connections = up.connections;
        const warm = await Promise.all([chat(d.url, { model: 'model-a' }), chat(d.url, { model: 'model-a' })]);
        assert.deepEqual(
          warm.map((w) => w.status),
          [200, 200],
        );
        assert.equal(up.connections - connections, 2);
        // undici reuses a socket only after a turn of the event loop; the next request comes later.
        await sleep(20);
      };

      // The first try goes out on one stale socket; its retry is dispatched while that one is still
      // busy, so the pool gives it the other stale socket: both fail, and model-b answers.
      await warmTwo();
      let before = up.requests.length;
      const fellBack = await chat(d.url, { model: 'auto' });
      assert.equal(fellBack.status, 200, fellBack.text);
      assert.equal(fellBack.body.model, 'model-b');
      assert.equal(up.requests.length - before, 2, 'the first try and its retry reached model-a');
      const trace = (await (await fetch(`${d.url}/v1/trace/${fellBack.body.id}`)).json()) as {
        attempts: { model: string; status: string; error?: string }[];
      };
      const staleTwice = trace.attempts[0]!;

      // Pinned to model-a: the client's 502 names the model and says what failed.
      await warmTwo();
      before = up.requests.length;
      const pinned = await chat(d.url, { model: 'model-a' });
      assert.equal(up.requests.length - before, 2, 'the first try and its retry reached model-a');

      // The same drop on a fresh connection (no stale socket left, so no retry): what every other
      // connection failure says.
      dropAll = true;
      before = up.requests.length;
      const fresh = await chat(d.url, { model: 'model-a' });
      assert.equal(up.requests.length - before, 1, 'a socket that never answered is not retried');
      assert.equal(fresh.status, 502, fresh.text);
      assert.match(
        fresh.body.error.message,
        /model-a: first_byte: openai upstream closed the connection before answering/,
      );
      assert.equal(pinned.status, 502, pinned.text);
      assert.equal(pinned.body.error.code, fresh.body.error.code);
      assert.equal(pinned.body.error.message, fresh.body.error.message);
      assert.equal(`${staleTwice.model}: ${staleTwice.error}`, fresh.body.error.message.split(' — ')[1]);
      assert.equal(staleTwice.status, 'error');
    } finally {
      await d.close();
    }
  });

  test('a stream dropped after content counts as a failure: the model cools down, later requests are answered', async () => {
    const d = await pair();
    try {
      d.fakes['model-a']!.set({ dropAfterFrames: 3, chunks: ['one ', 'two ', 'three ', 'four'] });
      const outcomes: (string | null)[] = [];
      for (let i = 0; i < 6; i++) {
        const reply = await chat(d.url, { model: 'auto', stream: true });
        outcomes.push(streamed(reply.body).error === null ? streamed(reply.body).model : 'error');
      }
      // The first chunk no longer resets the failure count: two failed streams, then model-b answers.
      assert.deepEqual(outcomes, ['error', 'error', 'model-b', 'model-b', 'model-b', 'model-b']);
      const health = (await (await fetch(`${d.url}/health`)).json()) as { status: string };
      assert.equal(health.status, 'ok');
    } finally {
      await d.close();
    }
  });
});

describe('circuit breaker', () => {
  test('half-open: when a cooldown ends one probe goes to the model, concurrent requests go elsewhere', async () => {
    const d = await pair({ cooldown_failures: 1, cooldown_seconds: 2, first_byte_timeout_ms: 1500 }, {});
    try {
      d.fakes['model-a']!.set({ error: { status: 503, message: 'overloaded' } });
      assert.equal((await chat(d.url, { model: 'auto' })).body.model, 'model-b');
      await sleep(2100);
      // The cooldown is over; model-a now hangs. Eight concurrent requests: one probe, seven elsewhere
      // (the probe times out, falls back too, and puts model-a straight back into cooldown).
      d.fakes['model-a']!.set({ hang: true });
      const before = d.fakes['model-a']!.requests.length;
      const replies = await Promise.all(Array.from({ length: 8 }, () => chat(d.url, { model: 'auto' })));
      assert.deepEqual(
        replies.map((r) => r.status),
        Array(8).fill(200),
      );
      assert.equal(d.fakes['model-a']!.requests.length - before, 1, 'exactly one probe reached model-a');
    } finally {
      await d.close();
    }
  });

  test('a model with no recorded success takes at most 2 concurrent requests; the rest go elsewhere', async () => {
    const d = await pair({ first_byte_timeout_ms: 1000 }, {});
    try {
      // model-b has answered once (it is known to work); model-a has not and hangs.
      assert.equal((await chat(d.url, { model: 'model-b' })).status, 200);
      d.fakes['model-a']!.set({ hang: true });
      const replies = await Promise.all(Array.from({ length: 8 }, () => chat(d.url, { model: 'auto' })));
      assert.deepEqual(
        replies.map((r) => r.status),
        Array(8).fill(200),
      );
      assert.equal(d.fakes['model-a']!.requests.length, 2);
      assert.equal(replies.filter((r) => r.body.model === 'model-b').length, 8, 'the two that waited fell back');
    } finally {
      await d.close();
    }
  });

  test('one model in the pool: the in-flight cap never refuses (requests beyond it still go to it)', async () => {
    const d = await startTestDaemon({ rpc: false, models: [{ name: 'solo' }] });
    try {
      d.fakes['solo']!.set({ firstByteDelayMs: 200 });
      const replies = await Promise.all(Array.from({ length: 6 }, () => chat(d.url, { model: 'auto' })));
      assert.deepEqual(
        replies.map((r) => r.status),
        Array(6).fill(200),
      );
    } finally {
      await d.close();
    }
  });

  test('a forced request to a cooling model gets 503 model_cooling_down with Retry-After, without calling it', async () => {
    const d = await pair({ cooldown_failures: 1, cooldown_seconds: 30 });
    try {
      d.fakes['model-a']!.set({ error: { status: 500, message: 'boom' } });
      assert.equal((await chat(d.url, { model: 'auto' })).status, 200);
      const calls = d.fakes['model-a']!.requests.length;
      const forced = await chat(d.url, { model: 'model-a' });
      assert.equal(forced.status, 503);
      assert.equal(forced.body.error.code, 'model_cooling_down');
      assert.match(forced.body.error.message, /model-a: cooling down/);
      const retryAfter = Number(forced.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 30, `Retry-After ${retryAfter}`);
      assert.equal(d.fakes['model-a']!.requests.length, calls, 'not called while cooling');
    } finally {
      await d.close();
    }
  });

  test("an upstream 429's Retry-After sets the cooldown; with no model left the client gets 429 + Retry-After", async () => {
    const d = await startTestDaemon({ rpc: false, models: [{ name: 'solo' }] });
    try {
      d.fakes['solo']!.set({ error: { status: 429, message: 'slow down', retryAfter: '7' } });
      const first = await chat(d.url, { model: 'auto' });
      assert.equal(first.status, 429, first.text);
      assert.equal(first.body.error.code, 'rate_limit_exceeded');
      assert.equal(first.headers.get('retry-after'), '7');
      // The model now sits out for those 7 s: the next request does not reach it and says when to retry.
      const second = await chat(d.url, { model: 'solo' });
      assert.equal(second.status, 429);
      const retryAfter = Number(second.headers.get('retry-after'));
      assert.ok(retryAfter >= 6 && retryAfter <= 7, `Retry-After ${retryAfter}`);
      assert.equal(d.fakes['solo']!.requests.length, 1);
    } finally {
      await d.close();
    }
  });

  test("an absurd upstream Retry-After is capped as the model's cooldown is (an hour)", async () => {
    const d = await startTestDaemon({ rpc: false, models: [{ name: 'solo' }] });
    try {
      d.fakes['solo']!.set({ error: { status: 429, message: 'slow down', retryAfter: '99999999' } });
      const first = await chat(d.url, { model: 'auto' });
      assert.equal(first.status, 429, first.text);
      // It was "retry-after: 99999999" and "retry in 99999999 s" while the model returned within the hour.
      assert.equal(first.headers.get('retry-after'), '3600');
      assert.match(first.body.error.message, /retry in 3600 s/);
    } finally {
      await d.close();
    }
  });

  test('a 429 from one model with a healthy model in the pool: answered by the other', async () => {
    const d = await pair();
    try {
      d.fakes['model-a']!.set({ error: { status: 429, message: 'slow down', retryAfter: '20' } });
      for (let i = 0; i < 3; i++) assert.equal((await chat(d.url, { model: 'auto' })).body.model, 'model-b');
      assert.equal(d.fakes['model-a']!.requests.length, 1, 'cooled by its Retry-After after one 429');
    } finally {
      await d.close();
    }
  });
});

describe('hostile input', () => {
  test('JSON nested 5,000 deep: 400 from the door, no model called, not counted as a model failure', async () => {
    const d = await pair({ cooldown_failures: 1 });
    try {
      const deep = '['.repeat(5000) + ']'.repeat(5000);
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${d.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: `{"model":"auto","messages":[{"role":"user","content":"hi"}],"metadata":{"x":${deep}}}`,
        });
        assert.equal(res.status, 400);
        const body = (await res.json()) as { error: { message: string; code: string } };
        assert.match(body.error.message, /nested deeper than/);
      }
      assert.equal(d.fakes['model-a']!.requests.length + d.fakes['model-b']!.requests.length, 0);
      for (let i = 0; i < 3; i++) {
        const reply = await chat(d.url, { model: 'auto' });
        assert.equal(reply.status, 200);
        assert.equal(reply.body.model, 'model-a', 'the default model is not cooling down');
      }
    } finally {
      await d.close();
    }
  });
});
