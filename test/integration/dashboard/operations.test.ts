// Every dashboard operation of shared/dashboard-operations.ts answers on both doors of a real
// daemon: over HTTP at the route the table names (what the browser's transport sends) and over
// JSON-RPC under the method it names (what the VS Code webview's bridge sends), with the same data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestType } from 'vscode-jsonrpc/node';
import { DASHBOARD_OPERATIONS, httpRequestOf, type HttpRoute } from '../../../shared/dashboard-operations';
import type { ChatCompletion } from '../../../shared/openai';
import type { DashboardOperation, OperationParams } from '../../../shared/webview';
import { startTestDaemon } from '../../helpers/daemon';
import { connectWindow } from '../../helpers/rpc-window';

test('each dashboard operation answers on the HTTP door and the JSON-RPC door alike', async () => {
  const d = await startTestDaemon();
  const rpcWindow = await connectWindow(d.dataDir);
  const rpc = rpcWindow.connection;
  try {
    const answer = (await (
      await fetch(`${d.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'for the dashboard' }] }),
      })
    ).json()) as ChatCompletion;

    const params: { [K in DashboardOperation]: OperationParams<K> } = {
      stats: undefined,
      usageOverTime: { bucket_ms: 3_600_000 },
      decisions: { limit: 10 },
      trace: { request_id: answer.id },
      rankings: undefined,
      feedbackStats: undefined,
      rate: { request_id: answer.id, rating: 4 },
      lastBenchmark: undefined,
    };
    const ops = Object.keys(DASHBOARD_OPERATIONS) as DashboardOperation[];
    assert.deepEqual(new Set(ops), new Set(Object.keys(params)));
    for (const op of ops) {
      const route: HttpRoute = DASHBOARD_OPERATIONS[op].http;
      const req = httpRequestOf(op, params[op]);
      const res = await fetch(d.url + req.path, {
        method: req.method,
        ...(req.body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(req.body) }),
      });
      let viaHttp: unknown = null;
      if (route.empty?.includes(res.status)) viaHttp = null;
      else {
        assert.equal(res.status, 200, `${op}: ${req.method} ${req.path} answered ${res.status}`);
        const body = (await res.json()) as { data?: unknown };
        viaHttp = route.list ? body.data : body;
      }
      const viaRpc = await rpc.sendRequest(
        new RequestType<unknown, unknown, void>(DASHBOARD_OPERATIONS[op].rpc),
        params[op],
      );
      if (op === 'rate') continue; // each call records a rating: the two answers differ by design
      if (op === 'stats' || op === 'feedbackStats') {
        const httpKeys = Object.keys(viaHttp as object);
        assert.deepEqual(
          Object.keys(viaRpc as object).filter((key) => !httpKeys.includes(key)),
          [],
          `${op}: fields missing over HTTP`,
        );
      } else assertHttpHoldsRpc(viaHttp, viaRpc, op);
    }
  } finally {
    rpcWindow.close();
    await d.close();
  }
});

/**
 * The HTTP door answers what JSON-RPC answers, plus Fugusashi 0.3.0's field names next to them
 * (daemon/http/routes/compat030.ts): every value of the RPC answer is in the HTTP answer, equal.
 */
function assertHttpHoldsRpc(viaHttp: unknown, viaRpc: unknown, where: string): void {
  if (Array.isArray(viaRpc)) {
    assert.ok(Array.isArray(viaHttp), `${where}: not a list over HTTP`);
    assert.equal(viaHttp.length, viaRpc.length, `${where}: length`);
    viaRpc.forEach((item, i) => assertHttpHoldsRpc(viaHttp[i], item, `${where}[${i}]`));
  } else if (viaRpc !== null && typeof viaRpc === 'object') {
    assert.ok(viaHttp !== null && typeof viaHttp === 'object', `${where}: not an object over HTTP`);
    for (const [key, value] of Object.entries(viaRpc)) {
      assertHttpHoldsRpc((viaHttp as Record<string, unknown>)[key], value, `${where}.${key}`);
    }
  } else assert.deepEqual(viaHttp, viaRpc, where);
}
