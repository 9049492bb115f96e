// One schema for both doors: a chat request the HTTP door refuses is refused by the JSON-RPC door
// with the same message (both check shared/openai.ts ChatCompletionRequestSchema).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { RequestType, ResponseError } from 'vscode-jsonrpc/node';
import { DAEMON_FILE, type DaemonFile } from '../../../shared/daemon';
import { ErrorCodes } from '../../../shared/errors';
import type { ChatCompletionRequest, OpenAIErrorBody } from '../../../shared/openai';
import { ChatRequest } from '../../../shared/protocol';
import { startTestDaemon } from '../../helpers/daemon';
import { connectWindow } from '../../helpers/rpc-window';

const BAD_REQUESTS: unknown[] = [
  { model: 7, messages: [{ role: 'user', content: 'a model that is no name' }] },
  { model: 'auto', messages: [{ role: 'wizard', content: 'hi' }] },
  { model: 'auto', messages: [{ role: 'user', content: 'hi' }], temperature: 'hot' },
  { model: 'auto', messages: 'not a list' },
];

test('the RPC door refuses what the HTTP door refuses, with the same message', async () => {
  const d = await startTestDaemon();
  const rpcWindow = await connectWindow(d.dataDir);
  const rpc = rpcWindow.connection;
  try {
    for (const bad of BAD_REQUESTS) {
      const res = await fetch(`${d.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(bad),
      });
      assert.equal(res.status, 400, JSON.stringify(bad));
      const http = (await res.json()) as OpenAIErrorBody;
      const err = await rpc.sendRequest(ChatRequest, { request: bad as ChatCompletionRequest }).then(
        () => assert.fail(`accepted over RPC: ${JSON.stringify(bad)}`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ResponseError);
      assert.equal(err.code, ErrorCodes.InvalidRequest.rpc);
      assert.equal(err.message, http.error.message, JSON.stringify(bad));
    }
    // And accept the same: a request without `model` is routed as auto by both (0.3.0's default).
    const noModel = { messages: [{ role: 'user', content: 'no model' }] };
    const res = await fetch(`${d.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(noModel),
    });
    assert.equal(res.status, 200);
    await rpc.sendRequest(ChatRequest, { request: noModel as ChatCompletionRequest });
  } finally {
    rpcWindow.close();
    await d.close();
  }
});

// Garbage params on the other methods: a typed InvalidRequest naming the parameter, as the HTTP door
// gives, never "Internal error … Cannot read properties of undefined" (which the probe found).
const BAD_PARAMS: [method: string, params: unknown, param: string][] = [
  ['fugusashi/route', null, 'messages'],
  ['fugusashi/route', [], 'messages'],
  ['fugusashi/route', { messages: 'not a list' }, 'messages'],
  ['fugusashi/route', { messages: [{ role: 'user', content: 5 }] }, 'messages[0].content'],
  ['fugusashi/usageOverTime', { bucket_ms: 1000, since: {} }, 'since'],
  ['fugusashi/usageOverTime', { bucket_ms: 'hourly' }, 'bucket_ms'],
  ['fugusashi/decisions', { limit: 5, before: {}, before_id: 'x' }, 'before'],
  ['fugusashi/decisions', { limit: {} }, 'limit'],
  ['fugusashi/decisions', { limit: 5, before: 1, before_id: 5 }, 'before_id'],
  ['fugusashi/benchmark', null, 'params'],
];

test('the RPC door refuses malformed params of every method as an invalid request, not an internal error', async () => {
  const d = await startTestDaemon();
  const rpcWindow = await connectWindow(d.dataDir);
  const rpc = rpcWindow.connection;
  try {
    for (const [method, params, param] of BAD_PARAMS) {
      const what = `${method} ${JSON.stringify(params)}`;
      const err = await rpc.sendRequest(new RequestType<unknown, unknown, void>(method), params).then(
        () => assert.fail(`accepted: ${what}`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ResponseError, what);
      assert.equal(err.code, ErrorCodes.InvalidRequest.rpc, `${what}: ${err.message}`);
      assert.equal((err.data as { param?: unknown }).param, param, what);
    }
    // The same methods with good params still answer.
    const decision = await rpc.sendRequest(new RequestType<unknown, { model: string }, void>('fugusashi/route'), {
      messages: [{ role: 'user', content: 'route me' }],
    });
    assert.equal(typeof decision.model, 'string');
    await rpc.sendRequest(new RequestType<unknown, unknown, void>('fugusashi/decisions'), { limit: 5, before: 1 });
  } finally {
    rpcWindow.close();
    await d.close();
  }
});

// The HTTP door refuses JSON nested deeper than 128 levels before parsing it; the RPC door took it:
// params nested 20,000 deep overflowed the stack in whatever walked them (an internal error for a
// tool schema; for other fields a failed store write that turned /health degraded).
test('the RPC door refuses params nested deeper than the HTTP door takes, before any model or the store sees them', async () => {
  const d = await startTestDaemon();
  const info = JSON.parse(readFileSync(path.join(d.dataDir, DAEMON_FILE), 'utf8')) as DaemonFile;
  const deep = '['.repeat(20_000) + ']'.repeat(20_000);
  const frame = (body: string): string => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const call = (method: string, params: string): Promise<{ code: number; message: string } | 'answered'> =>
    new Promise((resolve, reject) => {
      // Written by hand: the client's own JSON.stringify cannot encode such params.
      const socket = net.connect(info.rpc.path, () =>
        socket.write(frame(`{"jsonrpc":"2.0","id":7,"method":"${method}","params":${params}}`)),
      );
      let received = '';
      socket.on('error', reject);
      socket.on('data', (b) => {
        received += b.toString();
        const reply = /\{"jsonrpc":"2.0","id":7,.*\}(?=Content-Length|$)/.exec(received)?.[0];
        if (!reply) return;
        socket.destroy();
        const parsed = JSON.parse(reply) as { error?: { code: number; message: string } };
        resolve(parsed.error ?? 'answered');
      });
    });
  try {
    const hi = '[{"role":"user","content":"hi"}]';
    for (const [method, params] of [
      [
        'fugusashi/chat',
        `{"request":{"model":"model-b","messages":${hi},"tools":[{"type":"function","function":{"name":"f","parameters":{"x":${deep}}}}]}}`,
      ],
      ['fugusashi/chat', `{"request":{"model":"auto","messages":${hi},"metadata":${deep}}}`],
      [
        'fugusashi/chat',
        `{"streamId":"s","request":{"model":"auto","messages":[{"role":"user","content":"hi","x":${deep}}]}}`,
      ],
      ['fugusashi/route', `{"messages":[{"role":"user","content":"hi","x":${deep}}]}`],
      ['fugusashi/training', `{"rows":[{"prompt":"p","model":"model-a","score":1,"x":${deep}}]}`],
    ] as const) {
      const reply = await call(method, params);
      assert.notEqual(reply, 'answered', `${method} took it`);
      if (reply === 'answered') continue;
      assert.equal(reply.code, ErrorCodes.InvalidRequest.rpc, `${method}: ${reply.message}`);
      assert.match(reply.message, /nested deeper than 128/);
    }
    assert.equal(d.fakes['model-a']!.requests.length + d.fakes['model-b']!.requests.length, 0, 'a model was called');
    const health = (await (await fetch(`${d.url}/health`)).json()) as {
      status: string;
      store: { lost_writes: number };
    };
    assert.equal(health.status, 'ok');
    assert.equal(health.store.lost_writes, 0);
  } finally {
    await d.close();
  }
});
