// The HTTP door against hostile browsers and clients, over real sockets: cross-site requests are
// refused without a token, request bodies that never finish are dropped, HEAD /v1/events answers,
// an oversized body gets a readable 413, `fugusashi export --token` reaches a protected daemon.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { main as cli } from '../../../daemon/cli';
import { buildApp } from '../../../daemon/http/app';
import { exposureWarning } from '../../../daemon/http/guard';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { chat, streamed } from './helpers';

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon({ rpc: false, config: { routing: { prefer_local: false } } });
});
after(async () => d.close());

async function exported(): Promise<number> {
  const text = await (await fetch(`${d.url}/v1/outcomes/export`)).text();
  return text.split('\n').filter(Boolean).length;
}

const row = '{"prompt":"csrf probe","model":"model-a","score":1}\n';

describe('cross-site requests are refused without a token', () => {
  test('a page on evil.example cannot import training rows (text/plain, the no-cors way)', async () => {
    const before = await exported();
    const res = await fetch(`${d.url}/v1/routing/training`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      body: row,
    });
    assert.equal(res.status, 403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'cross_site_request');
    assert.match(body.error.message, /evil\.example/);
    assert.equal(await exported(), before, 'no row imported');
  });

  test('Sec-Fetch-Site: cross-site alone (no Origin) is refused; Origin: null is refused', async () => {
    const retrain = await fetch(`${d.url}/v1/feedback/retrain`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    assert.equal(retrain.status, 403);
    const nullOrigin = await fetch(`${d.url}/v1/feedback/retrain`, { method: 'POST', headers: { origin: 'null' } });
    assert.equal(nullOrigin.status, 403);
  });

  test('cross-site chat and form-encoded rating are refused before any model is called', async () => {
    const calls = d.fakes['model-a']!.requests.length + d.fakes['model-b']!.requests.length;
    const reply = await chat(d.url, { model: 'auto' }, { origin: 'https://evil.example' });
    assert.equal(reply.status, 403);
    assert.equal(d.fakes['model-a']!.requests.length + d.fakes['model-b']!.requests.length, calls);
    const rate = await fetch(`${d.url}/v1/feedback/rate`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
      body: 'request_id=x&rating=1',
    });
    assert.equal(rate.status, 403);
  });

  test('the newer doors too: messages, count_tokens, responses (and DELETE), completions, no-cors text/plain', async () => {
    const calls = d.fakes['model-a']!.requests.length + d.fakes['model-b']!.requests.length;
    const body = JSON.stringify({
      model: 'auto',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'x' }],
      input: 'x',
      prompt: 'x',
    });
    for (const [method, path] of [
      ['POST', '/v1/messages'],
      ['POST', '/v1/messages/count_tokens'],
      ['POST', '/v1/responses'],
      ['DELETE', '/v1/responses/fugu-x'],
      ['POST', '/v1/completions'],
    ]) {
      const res = await fetch(`${d.url}${path}`, {
        method,
        headers: { 'content-type': 'text/plain', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        body,
      });
      assert.equal(res.status, 403, `${method} ${path}`);
      await res.arrayBuffer();
    }
    assert.equal(d.fakes['model-a']!.requests.length + d.fakes['model-b']!.requests.length, calls);
  });

  test('the dashboard (same origin), curl and SDKs (no Origin) still work; cross-site reads are not blocked', async () => {
    const before = await exported();
    const sameOrigin = await fetch(`${d.url}/v1/routing/training`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: d.url, 'sec-fetch-site': 'same-origin' },
      body: row,
    });
    assert.equal(sameOrigin.status, 200, await sameOrigin.text());
    // Another row: the same body sent again would be an import run twice, stored once.
    const curl = await fetch(`${d.url}/v1/routing/training`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: row.replace('csrf probe', 'curl probe'),
    });
    assert.equal(curl.status, 200);
    assert.equal(await exported(), before + 2);
    const sdk = await chat(d.url, { model: 'auto' });
    assert.equal(sdk.status, 200);
    const read = await fetch(`${d.url}/health`, { headers: { origin: 'https://evil.example' } });
    assert.equal(read.status, 200);
  });
});

describe('bodies, timeouts, HEAD', () => {
  test('HEAD /v1/events answers at once', async () => {
    const res = await fetch(`${d.url}/v1/events`, { method: 'HEAD', signal: AbortSignal.timeout(3000) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  });

  test('a 40 MB body (limit 32 MiB) gets a 413 JSON error the client can read, not a reset', async () => {
    const size = 40 * 1024 * 1024;
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${d.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': size },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      // Paced like a real upload over a network: the client is still sending when the 413 is decided.
      const piece = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        if (sent >= size) return void req.end();
        sent += piece.length;
        req.write(piece);
        setTimeout(pump, 3);
      };
      pump();
    });
    assert.equal(status, 413);
    assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'payload_too_large');
  });

  test("an over-limit body gets a 413 in each door's own error format (Anthropic for /v1/messages)", async () => {
    const small = await startTestDaemon({ rpc: false, config: { server: { body_limit_bytes: 64 * 1024 } } });
    try {
      const big = JSON.stringify({
        model: 'auto',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x'.repeat(256 * 1024) }],
      });
      for (const path of [
        '/v1/chat/completions',
        '/v1/responses',
        '/v1/completions',
        '/v1/messages',
        '/v1/messages/count_tokens',
      ]) {
        const res = await fetch(`${small.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: big,
        });
        assert.equal(res.status, 413, path);
        const body = (await res.json()) as { type?: string; error: { type: string; code?: string } };
        if (path.startsWith('/v1/messages')) {
          assert.equal(body.type, 'error', path);
          assert.equal(body.error.type, 'request_too_large', path);
        } else assert.equal(body.error.code, 'payload_too_large', path);
      }
    } finally {
      await small.close();
    }
  });

  test('a request body that never finishes is dropped; a slow streamed answer is not', async () => {
    const app = buildApp(d.services, { guard: () => ({}), requestTimeoutMs: 1000, timeoutCheckIntervalMs: 200 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as net.AddressInfo).port;
      const started = Date.now();
      const answer = await new Promise<string>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(
            'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
              'Content-Length: 1000\r\n\r\n{"model":',
          );
        });
        let text = '';
        socket.on('data', (c) => (text += c.toString()));
        socket.on('close', () => resolve(text));
        setTimeout(() => socket.destroy(), 8000).unref();
      });
      assert.ok(Date.now() - started < 6000, 'dropped within the bound');
      assert.match(answer, /^HTTP\/1\.1 408/);

      d.fakes['model-a']!.set({ chunks: ['a ', 'b ', 'c ', 'd'], chunkDelayMs: 450 });
      const slow = await chat(`http://127.0.0.1:${port}`, { model: 'model-a', stream: true });
      d.fakes['model-a']!.reset();
      assert.equal(streamed(slow.body).text, 'a b c d', 'a 1.8 s stream outlives a 1 s request timeout');
    } finally {
      await app.close();
    }
    assert.ok(buildApp(d.services, { guard: () => ({}) }).server.requestTimeout > 0, 'bounded by default');
  });
});

describe('CLI against a protected daemon', () => {
  test('`fugusashi export --token T` reads a token-protected daemon; a wrong token is a clear error', async () => {
    const token = 'export-test-token-1234';
    const p = await startTestDaemon({ rpc: false, config: { server: { token } } });
    try {
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const rows = [{ prompt: 'p', model: 'model-a', score: 1 }];
      const add = await fetch(`${p.url}/v1/routing/training`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify(rows),
      });
      assert.equal(add.status, 200);
      const out: string[] = [];
      const err: string[] = [];
      const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
      const code = await cli(['export', '--data-dir', p.dataDir, '--token', token], io);
      assert.equal(code, 0, err.join(''));
      assert.match(err.join(''), /exported 1 outcome/);
      assert.match(out.join(''), /"model":"model-a"/);
      const wrong = await cli(['export', '--data-dir', p.dataDir, '--token', 'nope'], {
        out: () => {},
        err: (t) => err.push(t),
      });
      assert.equal(wrong, 1);
      assert.match(err.join(''), /401/);
    } finally {
      await p.close();
    }
  });

  test('a non-loopback host without a token gets a warning', () => {
    assert.match(exposureWarning('0.0.0.0', false) ?? '', /without a token/);
    assert.match(exposureWarning('::', false) ?? '', /without a token/);
    assert.equal(exposureWarning('0.0.0.0', true), null);
    assert.equal(exposureWarning('127.0.0.1', false), null);
    assert.equal(exposureWarning('localhost', false), null);
  });
});
