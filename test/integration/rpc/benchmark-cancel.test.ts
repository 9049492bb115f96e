// A benchmark run started over JSON-RPC (the VS Code task, the dashboard's Benchmark tab) and
// cancelled by the window: the request ends with the "cancelled" error, the run stops at its next
// step (no more progress, no report saved, no "done" event), and the daemon answers on.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
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
import { EMBEDDING_CHUNK } from '../../../daemon/benchmark/run';
import { USE_ID } from '../../../daemon/embeddings/use';
import { startTestDaemon } from '../../helpers/daemon';

const Initialize = new RequestType<unknown, { capabilities: object }, void>('initialize');

test('cancelling a benchmark from the window stops the run', async () => {
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
    // Cancel as soon as the run has shown it is under way: the bar shows before the first prompt
    // is embedded (the slow part), so a window can stop the run before it has spent much.
    const end = Date.now() + 120_000;
    while (progress.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.ok(progress.length > 0, 'the run reported progress');
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
    // It stopped at its next step: one chunk of the sample embedded (the run's cache holds 16-byte
    // keys + 512 float32 per prompt), not two (the first progress used to come after a chunk).
    const cache = path.join(d.dataDir, 'benchmark-cache', 'embeddings', `${USE_ID}.512.emb`);
    const embedded = statSync(cache).size / (16 + 512 * 4);
    assert.ok(embedded > 0 && embedded <= EMBEDDING_CHUNK, `${embedded} prompts embedded after the cancellation`);
    assert.ok((await connection.sendRequest(HealthRequest, undefined)).status);
  } finally {
    connection.dispose();
    socket.destroy();
    await d.close();
  }
});
