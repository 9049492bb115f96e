// A benchmark run started over JSON-RPC (the VS Code task, the dashboard's Benchmark tab): it runs
// on a worker thread, so the daemon answers while it computes, and when the window cancels it the
// request ends with the "cancelled" error and the run stops at once (no more progress, no report
// saved, no "done" event), and the daemon answers on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import {
  CancellationTokenSource,
  createMessageConnection,
  RequestType,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import type { BenchmarkProgress, LiveEvent } from '../../../shared/api';
import { DAEMON_FILE, type DaemonFile } from '../../../shared/daemon';
import { ErrorCodes } from '../../../shared/errors';
import {
  BenchmarkProgressNotification,
  BenchmarkRequest,
  HealthRequest,
  LastBenchmarkRequest,
  LiveEventNotification,
} from '../../../shared/protocol';
import { startTestDaemon } from '../../helpers/daemon';

const Initialize = new RequestType<unknown, { capabilities: object }, void>('initialize');

test('a benchmark from the window runs beside requests, and cancelling it stops it at once', async () => {
  const d = await startTestDaemon();
  const info = JSON.parse(readFileSync(path.join(d.dataDir, DAEMON_FILE), 'utf8')) as DaemonFile;
  const socket = net.connect(info.rpc.path);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const connection = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
  try {
    const progress: BenchmarkProgress[] = [];
    const events: LiveEvent['type'][] = [];
    connection.onNotification(BenchmarkProgressNotification, (p) => {
      progress.push(p);
    });
    connection.onNotification(LiveEventNotification, (e) => {
      events.push(e.type);
    });
    connection.listen();
    await connection.sendRequest(Initialize, { processId: null, capabilities: {} });

    const cancel = new CancellationTokenSource();
    const run = connection.sendRequest(
      BenchmarkRequest,
      { dataset: 'sample', mode: 'sample', runId: 'r1' },
      cancel.token,
    );
    let settled = false;
    void run.then(
      () => (settled = true),
      () => (settled = true),
    );
    // The bundled sample's vectors ship with it, so after its first progress the run computes for
    // seconds (folds, kNN scans, refits): on the daemon's event loop that held every request
    // (and the cancellation itself) until the run ended.
    const end = Date.now() + 120_000;
    while (progress.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.ok(progress.length > 0, 'the run reported progress');
    assert.ok((await connection.sendRequest(HealthRequest, undefined)).status);
    assert.equal(settled, false, 'the daemon answered while the run was still under way');
    cancel.cancel();
    const err = await run.then(
      () => assert.fail('a cancelled run must not resolve with a report'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ResponseError, String(err));
    assert.equal(err.code, ErrorCodes.Cancelled.rpc);

    // Stopped: nothing more arrives, nothing was saved, and the daemon still answers.
    const seen = progress.length;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(progress.length, seen, 'no progress after the cancellation');
    assert.ok(!events.includes('benchmark-done'));
    assert.equal(await connection.sendRequest(LastBenchmarkRequest, undefined), null);
    assert.ok((await connection.sendRequest(HealthRequest, undefined)).status);
  } finally {
    connection.dispose();
    socket.destroy();
    await d.close();
  }
});
