// A dashboard open when the window reloads: VS Code hands the empty panel to the extension's
// serializer (registered at activation), which must give it the page and the bridge to the daemon
// again, like a freshly opened one. The daemon side is a real JSON-RPC connection (helpers.rpcPair).
import '../../helpers/vscode-stub.cjs';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import { RequestType } from 'vscode-jsonrpc/node';
import { DASHBOARD_VIEW_TYPE, openDashboard, registerDashboardSerializer } from '../../../extension/dashboard';
import { LiveEventNotification } from '../../../shared/protocol';
import { fakeCtx, rpcPair } from './helpers';

const stub = (vscode as unknown as { __stub: { [k: string]: any } }).__stub;

// The extension folder with the dashboard bundle's page template (what `node esbuild.mjs` puts in dist/webview).
const extensionDir = mkdtempSync(path.join(os.tmpdir(), 'fugu-dash-'));
mkdirSync(path.join(extensionDir, 'dist', 'webview'), { recursive: true });
writeFileSync(
  path.join(extensionDir, 'dist', 'webview', 'index.html'),
  '<meta http-equiv="Content-Security-Policy" content="{{CSP}}"><base href="{{BASE}}/"><script nonce="{{NONCE}}" data-host="{{HOST}}" src="main.js"></script>',
);
after(() => rmSync(extensionDir, { recursive: true, force: true }));

interface Panel {
  webview: { html: string; options: vscode.WebviewOptions; posted: unknown[] };
  __receive(message: unknown): void;
  dispose(): void;
  disposed: boolean;
  revealed: number;
}

describe('dashboard restored after a window reload', () => {
  let pair: ReturnType<typeof rpcPair>;
  let context: vscode.ExtensionContext;
  let daemon: ReturnType<typeof fakeCtx>['ctx'];
  let serializer: vscode.Disposable;

  beforeEach(() => {
    stub.reset();
    pair = rpcPair();
    const fake = fakeCtx(pair.rpc);
    daemon = Object.assign(fake.ctx, {
      isConnected: () => true,
      onDidDisconnect: new vscode.EventEmitter<void>().event,
    });
    context = { extensionUri: vscode.Uri.file(extensionDir) } as unknown as vscode.ExtensionContext;
    serializer = registerDashboardSerializer(context, daemon);
  });
  afterEach(() => {
    for (const p of stub.webviewPanels as Panel[]) p.dispose();
    serializer.dispose();
    pair.dispose();
  });

  it('gives the restored panel the page and the daemon bridge, as a freshly opened one', async () => {
    const restored = (await stub.restoreWebviewPanel(DASHBOARD_VIEW_TYPE, 'Fugusashi Dashboard', undefined)) as Panel;

    assert.match(restored.webview.html, /data-host="vscode"/, 'the page, not an empty tab');
    assert.match(restored.webview.html, /script-src 'nonce-/);
    assert.equal(restored.webview.options.enableScripts, true);
    assert.deepEqual(
      restored.webview.options.localResourceRoots?.map((u) => u.path),
      [`${extensionDir}/dist/webview`],
    );

    // A request from the page reaches the daemon and the answer goes back to the page.
    pair.daemon.onRequest(new RequestType<unknown, unknown, void>('fugusashi/stats'), () => ({ total_requests: 7 }));
    restored.__receive({ type: 'request', id: 1, op: 'stats', params: undefined });
    await waitFor(() => restored.webview.posted.length > 0);
    assert.deepEqual(restored.webview.posted[0], { type: 'response', id: 1, ok: true, result: { total_requests: 7 } });

    // Live events from the daemon are forwarded to it.
    const event = { type: 'decision', row: { request_id: 'r1' } } as never;
    await pair.daemon.sendNotification(LiveEventNotification, event);
    await waitFor(() => restored.webview.posted.length > 1);
    assert.deepEqual(restored.webview.posted[1], { type: 'live', event });
  });

  it('the restored panel is the window’s dashboard: "Open Dashboard" reveals it instead of opening a second', async () => {
    const restored = (await stub.restoreWebviewPanel(DASHBOARD_VIEW_TYPE, 'Fugusashi Dashboard', undefined)) as Panel;
    const opened = openDashboard(context, daemon) as unknown as Panel;
    assert.equal(opened, restored);
    assert.equal(restored.revealed, 1);
    assert.equal(stub.webviewPanels.length, 1);

    restored.dispose();
    const fresh = openDashboard(context, daemon) as unknown as Panel;
    assert.notEqual(fresh, restored, 'once closed, a new one opens');
    assert.match(fresh.webview.html, /data-host="vscode"/);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(condition(), 'timed out');
}
