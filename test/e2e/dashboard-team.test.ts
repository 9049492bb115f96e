// The dashboard of a team daemon (PostgreSQL store) in headless Chromium while the database is down:
// the page must say what could not be loaded and keep saying it (a toast vanished after 6 s and left
// empty panels under a "live" badge), and load everything once the database is back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ChatCompletion } from '../../shared/openai';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres';
import { ensureBundle } from './bundle';
import { launchChromium, type HeadlessBrowser } from './chromium';

let pg: TestPostgres;
let daemon: TestDaemon;
let chromium: HeadlessBrowser;

before(async () => {
  if (postgresMissing()) return;
  ensureBundle();
  pg = await startPostgres();
  const url = await createDatabase(pg, 'dashboard');
  daemon = await startTestDaemon({ config: { store: { url } }, rpc: false });
  chromium = await launchChromium();
});

after(async () => {
  await chromium?.close();
  await daemon?.close();
  pg?.destroy();
});

test(
  'PostgreSQL down: the page keeps saying what it could not load, and Retry loads it once the database is back',
  { skip: postgresMissing() },
  async () => {
    const res = await fetch(`${daemon.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'stored before the outage' }] }),
    });
    const { id } = (await res.json()) as ChatCompletion;
    // Written by the store's worker in the background: wait until the daemon lists it.
    for (let i = 0; i < 50; i++) {
      const page = (await (await fetch(`${daemon.url}/v1/routing/decisions?limit=5`)).json()) as {
        data: { request_id: string }[];
      };
      if (page.data.some((r) => r.request_id === id)) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    pg.stop('fast');
    const page = await chromium.context.newPage();
    await page.goto(`${daemon.url}/dashboard`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
    // An element of the page, not the toast: it stays until the data loads.
    await page.waitForSelector('#load-error:not([hidden])');
    const text = (await page.textContent('#load-error')) ?? '';
    assert.match(text, /Could not load statistics: The team database is unavailable/);
    assert.match(text, /Could not load decisions: The team database is unavailable/);
    assert.match(text, /Retry/);

    pg.start();
    // The store notices the database is back on its next write or probe; Retry until everything
    // loaded (a retry can bring the decisions while the statistics still fail: the error stays).
    await page.click('vscode-tab-header[data-tab="decisions"]');
    const loaded = async () =>
      (await page.$(`#decisions-body tr[data-id="${id}"]`)) !== null && (await page.$('#load-error[hidden]')) !== null;
    for (let i = 0; i < 100 && !(await loaded()); i++) {
      if (await page.isVisible('#load-retry')) await page.click('#load-retry');
      await page.waitForTimeout(200);
    }
    await page.waitForSelector(`#decisions-body tr[data-id="${id}"]`);
    await page.waitForSelector('#load-error[hidden]', { state: 'attached' });
    assert.equal((await page.textContent('[data-card="requests"] .card-value'))?.trim(), '1');
    await page.close();
  },
);
