// The JSON-RPC socket under a misbehaving client (the probe of issue 14, re-run on the RPC door): a
// frame that announces more than the daemon takes, a header that never ends, a message without
// Content-Length, a client that connects and says nothing, a message that never finishes. Each is
// answered with a JSON-RPC error (id null) and the connection is closed, instead of being buffered
// without bound or held open for ever (which also kept an idle daemon from shutting down).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRpcServer, type RpcServer } from '../../../daemon/app/rpc-server';
import { DAEMON_FILE, type DaemonFile } from '../../../shared/daemon';
import { makeTempDir, startTestDaemon, type TestDaemon } from '../../helpers/daemon';

interface Talk {
  /** Everything the daemon sent before it closed the connection. */
  received: string;
  closedByDaemon: boolean;
}

/** Connects, writes `data`, and waits until the daemon closes the connection (or `giveUpMs`). */
function talk(socketPath: string, data: string | Buffer, giveUpMs = 10_000): Promise<Talk> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath, () => {
      if (data.length > 0) socket.write(data);
    });
    let received = '';
    socket.on('data', (b) => (received += b.toString()));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, closedByDaemon: false });
    }, giveUpMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closedByDaemon: true });
    });
  });
}

const frame = (body: string): string => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** The JSON-RPC error (id null) the daemon sent before closing. */
function refusal(received: string): { code: number; message: string } | undefined {
  for (const part of received.split(/Content-Length: \d+\r\n\r\n/)) {
    if (!part.trim()) continue;
    const message = JSON.parse(part) as { id?: unknown; error?: { code: number; message: string } };
    if (message.id === null && message.error) return message.error;
  }
  return undefined;
}

describe('the daemon closes misbehaving RPC connections', () => {
  let d: TestDaemon;
  let socketPath: string;
  before(async () => {
    d = await startTestDaemon({ log: [] });
    socketPath = (JSON.parse(readFileSync(path.join(d.dataDir, DAEMON_FILE), 'utf8')) as DaemonFile).rpc.path;
  });
  after(() => d.close());

  test('a frame announcing 1 GB: refused at its header, nothing buffered', async () => {
    const r = await talk(socketPath, 'Content-Length: 1000000000\r\n\r\n{"jsonrpc":"2.0"');
    assert.ok(r.closedByDaemon, 'connection left open, the daemon waits for 1 GB');
    assert.match(refusal(r.received)?.message ?? '', /larger than/);
    assert.equal(refusal(r.received)?.code, -32600);
  });

  test('a header without Content-Length, a non-number length, and a header that never ends', async () => {
    for (const data of [
      'Foo: bar\r\n\r\n{}',
      'Content-Length: abc\r\n\r\n{}',
      'Content-Length: 5\r\nX: ' + 'y'.repeat(20_000),
      Buffer.alloc(20_000, 7),
    ]) {
      const r = await talk(socketPath, data);
      assert.ok(r.closedByDaemon, `left open after ${String(data).slice(0, 30)}`);
      assert.ok(refusal(r.received), `no error sent for ${String(data).slice(0, 30)}`);
    }
  });

  test('well-formed clients are unaffected: initialize answers, health answers over the same connection', async () => {
    const init = frame(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { capabilities: {} } }));
    const health = frame(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'fugusashi/health', params: null }));
    const r = await talk(socketPath, init + health, 300);
    assert.equal(r.closedByDaemon, false);
    assert.match(r.received, /"id":1,"result"/);
    assert.match(r.received, /"id":2,"result"/);
    assert.ok(d.logLines.some((l) => /RPC connection closed: .*larger than/.test(l)));
  });
});

describe('silent and stalled RPC clients', () => {
  let server: RpcServer;
  let socketPath: string;
  const dir = makeTempDir('fugu-rpc-frames-');
  const refused: string[] = [];
  before(async () => {
    socketPath = path.join(dir, 'rpc.sock');
    server = await startRpcServer({ transport: 'unix', path: socketPath }, () => undefined, {
      firstMessageTimeoutMs: 300,
      messageTimeoutMs: 300,
      onRefused: (reason) => refused.push(reason),
    });
  });
  after(() => server.close());

  test('a client that connects and says nothing is closed (and no longer counts as a window)', async () => {
    const r = await talk(socketPath, '');
    assert.ok(r.closedByDaemon);
    assert.match(refusal(r.received)?.message ?? '', /no message/);
    // The daemon's side of the socket closes right after (its close event may trail the client's).
    for (let i = 0; i < 100 && server.clients > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(server.clients, 0);
  });

  test('a client that leaves mid-message leaves nothing running behind', async () => {
    // vscode-jsonrpc's reader re-arms a 10 s "partial message" timer for ever once a message is
    // partial, even after its connection is gone: that kept every such reader (and its buffer) alive.
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const socket = net.connect(socketPath);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('Content-Length: 100\r\n\r\n{"jsonrpc"');
    for (let i = 0; i < 100 && server.clients === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50)); // the reader has read the partial message
    socket.destroy();
    for (let i = 0; i < 100 && server.clients > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(server.clients, 0);
    assert.equal(timers(), before);
  });

  test('a message that never finishes is closed', async () => {
    const init = frame(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { capabilities: {} } }));
    const r = await talk(socketPath, init + 'Content-Length: 100\r\n\r\n{"jsonrpc"');
    assert.ok(r.closedByDaemon);
    assert.match(refusal(r.received)?.message ?? '', /not finished/);
    assert.equal(refused.length, 2); // this one and the silent one
  });
});
