// The dashboard as the VS Code panel runs it, minus VS Code's webview host: the page rendered for
// host "vscode" (its CSP forbids any network connection: connect-src 'none'), `acquireVsCodeApi`
// posting into the extension's real bridge (extension/dashboard-bridge.ts), which calls the real
// daemon over its JSON-RPC socket; live events come back as `fugusashi/live` notifications.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  createMessageConnection,
  SocketMessageReader,
  SocketMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type { Trace } from '../../shared/api';
import type { ChatCompletion } from '../../shared/openai';
import { LiveEventNotification } from '../../shared/protocol';
import { dashboardCsp, renderDashboardPage, type FromWebview, type ToWebview } from '../../shared/webview';
import { answerWebviewRequest } from '../../extension/dashboard-bridge';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon';
import { ensureBundle } from './bundle';
import { collectPageErrors, launchChromium, type HeadlessBrowser } from './chromium';

// What asWebviewUri() would give; any origin the test can intercept does.
const WEBVIEW_ORIGIN = 'https://webview.fugusashi.test';
const ASSET_TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css' };

let daemon: TestDaemon;
let rpc: MessageConnection;
let chromium: HeadlessBrowser;

before(async () => {
  ensureBundle();
  daemon = await startTestDaemon({ rpc: true });
  assert.ok(daemon.rpcPath, 'the daemon opened no JSON-RPC socket');
  const socket = net.connect(daemon.rpcPath);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  rpc = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
  rpc.listen();
  await rpc.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  await rpc.sendNotification('initialized', {});
  chromium = await launchChromium();
});

after(async () => {
  rpc?.dispose();
  await chromium?.close();
  await daemon?.close();
});

async function chat(prompt: string): Promise<ChatCompletion> {
  const res = await fetch(`${daemon.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: prompt }] }),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as ChatCompletion;
}

/** Serves the bundle as the webview would and wires acquireVsCodeApi() to the extension's bridge. */
async function openWebview(): Promise<{ page: Page; errors: string[] }> {
  const page = await chromium.context.newPage();
  const errors = collectPageErrors(page);
  const post = (message: ToWebview) => page.evaluate((m) => window.postMessage(m, '*'), message).catch(() => undefined);
  await page.exposeBinding('__fugusashiToExtension', async (_source, message: FromWebview) => {
    if (message.type === 'request') await post(await answerWebviewRequest(message, rpc));
  });
  // VS Code defines acquireVsCodeApi before the page's scripts run. (A string, not a function: tsx
  // would wrap a function's inner closures in its __name helper, which the page does not have.)
  await page.addInitScript(
    'window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__fugusashiToExtension(m) });',
  );
  const live = rpc.onNotification(LiveEventNotification, (event) => void post({ type: 'live', event }));
  page.once('close', () => live.dispose());
  await page.route(`${WEBVIEW_ORIGIN}/**`, async (route) => {
    const name = new URL(route.request().url()).pathname.slice(1);
    if (name === 'index.html') {
      const nonce = randomBytes(16).toString('base64');
      const body = renderDashboardPage(readFileSync('dist/webview/index.html', 'utf8'), {
        csp: dashboardCsp({ nonce, assetSource: WEBVIEW_ORIGIN, connectSource: "'none'" }),
        nonce,
        base: WEBVIEW_ORIGIN,
        host: 'vscode',
      });
      return route.fulfill({ status: 200, contentType: 'text/html', body });
    }
    const type = ASSET_TYPES[path.extname(name)];
    if (!type || name.includes('/')) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({ status: 200, contentType: type, body: readFileSync(path.join('dist/webview', name)) });
  });
  await page.goto(`${WEBVIEW_ORIGIN}/index.html`);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
  return { page, errors };
}

test('webview mode: data over JSON-RPC, live rows from notifications, ratings stored, no network access', async () => {
  await chat('first question');
  const { page, errors } = await openWebview();
  assert.equal((await page.textContent('[data-card="requests"] .card-value'))?.trim(), '1');
  assert.equal(await page.$('#theme-toggle'), null, 'VS Code decides the theme: no toggle in the webview');

  await page.click('vscode-tab-header[data-tab="decisions"]');
  const live = await chat('second question, while the panel is open');
  await page.waitForSelector(`#decisions-body tr[data-id="${live.id}"]`, { timeout: 10_000 });

  await page.click(`#decisions-body tr[data-id="${live.id}"] button[data-rate="5"]`);
  await page.waitForSelector(`#decisions-body tr[data-id="${live.id}"] button[data-rate="5"].on`);
  let trace: Trace | null = null;
  for (let i = 0; i < 50 && !trace?.feedback.some((f) => f.rating === 5); i++) {
    if (i) await new Promise((r) => setTimeout(r, 100));
    trace = (await (await fetch(`${daemon.url}/v1/trace/${live.id}`)).json()) as Trace;
  }
  assert.ok(
    trace?.feedback.some((f) => f.rating === 5),
    JSON.stringify(trace?.feedback),
  );

  // The benchmark tab: this daemon has no report yet (or no such RPC method): an empty state, no error.
  await page.click('vscode-tab-header[data-tab="benchmark"]');
  assert.equal(await page.isVisible('#bench-empty'), true);
  assert.deepEqual(errors, []);
  await page.close();
});
