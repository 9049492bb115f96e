// The dashboard in headless Chromium against a real daemon (test/helpers/daemon.ts: the composition
// root with its sql.js store, HTTP on 127.0.0.1:0, fake upstreams as the models). Checks what a
// user sees: the page loads with data, a request made through the API shows up in the live table
// without a reload, the charts draw, and a click on the stars stores the rating.
// FUGUSASHI_SCREENSHOTS=docs also writes the README's light and dark screenshots into docs/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ChatCompletion } from '../../shared/openai';
import type { BenchmarkReport, Trace } from '../../shared/api';
import { saveLastBenchmark } from '../../daemon/benchmark/last-report';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon';
import { ensureBundle } from './bundle';
import { collectPageErrors, launchChromium, type HeadlessBrowser } from './chromium';

const SCREENSHOTS = process.env['FUGUSASHI_SCREENSHOTS'];

let daemon: TestDaemon;
let chromium: HeadlessBrowser;

before(async () => {
  ensureBundle();
  daemon = await startTestDaemon({ rpc: false });
  chromium = await launchChromium();
});

after(async () => {
  await chromium?.close();
  await daemon?.close();
});

async function chat(prompt: string, model = 'auto'): Promise<ChatCompletion> {
  const res = await fetch(`${daemon.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: prompt }] }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as ChatCompletion;
}

async function openDashboard(colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; errors: string[] }> {
  const page = await chromium.context.newPage();
  await page.emulateMedia({ colorScheme });
  const errors = collectPageErrors(page);
  await page.goto(`${daemon.url}/dashboard`);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
  await page.waitForSelector('#connection[data-state="open"]', { timeout: 10_000 });
  return { page, errors };
}

/** Pixels of a canvas that are not fully transparent: an empty chart has only axes and grid. */
async function inkedPixels(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (el) => {
    const canvas = el.querySelector('canvas');
    if (!canvas) return -1;
    const ctx = canvas.getContext('2d');
    if (!ctx) return -1;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });
}

test('the dashboard loads with data, shows live requests, draws charts and stores ratings', async () => {
  const first = await chat('Write a haiku about sashimi');
  await chat('What is 2 + 2?', 'model-b');

  const { page, errors } = await openDashboard();
  // Overview: totals from GET /v1/stats.
  const requests = await page.textContent('[data-card="requests"] .card-value');
  assert.equal(requests?.trim(), '2');
  assert.ok(await page.$('#strategies .bar-row'), 'strategy distribution rendered');
  assert.ok(await page.$('#rankings-body tr[data-model="model-b"]'), 'model-b listed with its stats');

  // Charts: uPlot's canvas exists and the series put pixels on it (legend names the models).
  assert.ok((await inkedPixels(page, '#usage-chart')) > 0, 'usage chart drew nothing');
  const legend = await page.textContent('#usage-chart .u-legend');
  assert.match(legend ?? '', /model-/);

  // Decisions tab: both stored rows, newest first.
  await page.click('vscode-tab-header[data-tab="decisions"]');
  await page.waitForSelector(`#decisions-body tr[data-id="${first.id}"]`);
  assert.equal(await page.$$eval('#decisions-body tr[data-id]', (rows) => rows.length), 2);

  // Live: a request through the API appears without a reload, and the totals follow.
  const live = await chat('Explain a monad in one sentence');
  await page.waitForSelector(`#decisions-body tr[data-id="${live.id}"]`, { timeout: 10_000 });
  assert.equal(await page.getAttribute('#decisions-body tr[data-id]:first-child', 'data-id'), live.id);
  await page.waitForFunction(
    () => document.querySelector('[data-card="requests"] .card-value')?.textContent?.trim() === '3',
    null,
    {
      timeout: 10_000,
    },
  );

  // Rating from the table reaches the store (read back through the trace API).
  await page.click(`#decisions-body tr[data-id="${live.id}"] button[data-rate="4"]`);
  await page.waitForSelector(`#decisions-body tr[data-id="${live.id}"] button[data-rate="4"].on`);
  let trace: Trace | null = null;
  for (let i = 0; i < 50; i++) {
    trace = (await (await fetch(`${daemon.url}/v1/trace/${live.id}`)).json()) as Trace;
    if (trace.feedback.some((f) => f.rating === 4)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(
    trace?.feedback.some((f) => f.rating === 4 && f.source === 'explicit'),
    JSON.stringify(trace?.feedback),
  );
  assert.equal(trace?.rating, 4);

  // Trace view: a click on the row shows the attempts.
  await page.click(`#decisions-body tr[data-id="${live.id}"] td.model`);
  await page.waitForSelector('#trace .attempt.ok');
  assert.match((await page.textContent('#trace')) ?? '', new RegExp(live.id));

  // No CSP violation, failed asset or script error on the way.
  assert.deepEqual(errors, []);

  if (SCREENSHOTS) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.click('vscode-tab-header[data-tab="overview"]');
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(SCREENSHOTS, `dashboard-overview-${scheme}.png`) });
      await page.click('vscode-tab-header[data-tab="decisions"]');
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(SCREENSHOTS, `dashboard-decisions-${scheme}.png`) });
    }
  }
  await page.close();
});

test("the decision detail shows the prompt-cache split the request's cost was priced from", async () => {
  daemon.fakes['model-b']!.enqueue({ text: 'cached', usage: { prompt: 1000, completion: 10, cacheRead: 800 } });
  const cached = await chat('Answer from the prompt cache', 'model-b');
  const { page, errors } = await openDashboard();
  await page.click('vscode-tab-header[data-tab="decisions"]');
  await page.click(`#decisions-body tr[data-id="${cached.id}"] td.model`);
  await page.waitForSelector('#trace .attempt.ok');
  // Before, the detail said "1000 in · 10 out": the stored record had lost the split.
  assert.match((await page.textContent('#trace')) ?? '', /1000 in \(800 read from cache\) · 10 out/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('keyboard: rating with Enter keeps the focus on the star; Escape closes the trace and returns to its row', async () => {
  const rated = await chat('Rate me from the keyboard');
  const { page, errors } = await openDashboard();
  await page.click('vscode-tab-header[data-tab="decisions"]');
  const row = `#decisions-body tr[data-id="${rated.id}"]`;
  await page.waitForSelector(row);
  await page.focus(`${row} button[data-rate="3"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`${row} button[data-rate="3"][aria-checked="true"]`);
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return `${el?.closest('tr')?.dataset.id ?? el?.tagName} ${el?.dataset.rate ?? '-'}`;
    });
  // The row is re-drawn with the rating (twice: shown at once, then as stored); the focus used to
  // fall back to <body>.
  assert.equal(await focused(), `${rated.id} 3`);
  // Tab moves on to the next star, as a keyboard user expects.
  await page.keyboard.press('Tab');
  assert.equal(await focused(), `${rated.id} 4`);

  await page.focus(row);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#trace:not([hidden]) .attempt.ok');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#trace[hidden]', { state: 'attached' });
  assert.equal(await focused(), `${rated.id} -`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a daemon that stopped: the page says offline, and a rating tells why it was not stored', async () => {
  const leaving = await startTestDaemon({ rpc: false });
  try {
    const res = await fetch(`${leaving.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'soon gone' }] }),
    });
    const { id } = (await res.json()) as ChatCompletion;
    const page = await chromium.context.newPage();
    await page.goto(`${leaving.url}/dashboard`);
    await page.waitForSelector('#connection[data-state="open"]', { timeout: 10_000 });
    await page.click('vscode-tab-header[data-tab="decisions"]');
    await page.waitForSelector(`#decisions-body tr[data-id="${id}"]`);
    await leaving.close();
    await page.waitForSelector('#connection[data-state="closed"]', { timeout: 10_000 });
    await page.click(`#decisions-body tr[data-id="${id}"] button[data-rate="5"]`);
    await page.waitForSelector('#toast:not([hidden])');
    // It used to say "Rating not stored: Failed to fetch".
    assert.match(
      (await page.textContent('#toast')) ?? '',
      /^Rating not stored: the daemon at http:\/\/127\.0\.0\.1:\d+ is not reachable \(stopped or restarting\?\)$/,
    );
    // The optimistic stars are taken back.
    assert.equal(await page.$$eval(`#decisions-body tr[data-id="${id}"] .star.on`, (s) => s.length), 0);
    await page.close();
  } finally {
    await leaving.close();
  }
});

test('a benchmark report saved while the page is open shows when the Benchmark tab is opened', async () => {
  const { page, errors } = await openDashboard();
  await page.click('vscode-tab-header[data-tab="benchmark"]');
  await page.waitForSelector('#bench-empty:not([hidden])');
  await page.click('vscode-tab-header[data-tab="overview"]');
  // What `fugusashi benchmark` does when it ends: it saves the report in the data dir (its own process).
  saveLastBenchmark(daemon.dataDir, {
    dataset: 'saved-while-open.csv',
    mode: 'sample',
    rows: 10,
    models: ['strong', 'weak'],
    duration_ms: 1200,
    strong: 'strong',
    weak: 'weak',
    curve: [
      { strong_pct: 0, quality: 0.5, pgr: 0 },
      { strong_pct: 100, quality: 0.9, pgr: 1 },
    ],
    apgr: 0.5,
    cpt50: 40,
    cpt80: 70,
  } satisfies BenchmarkReport);
  await page.click('vscode-tab-header[data-tab="benchmark"]');
  // It used to keep saying "No benchmark yet" until the page was reloaded.
  await page.waitForSelector('#bench-body:not([hidden])', { timeout: 5_000 });
  assert.match((await page.textContent('#bench-figures')) ?? '', /saved-while-open\.csv/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('with server.token set: the page needs ?token=, then works, and other Host names are refused', async () => {
  const guarded = await startTestDaemon({ rpc: false, config: { server: { token: 's3cret' } } });
  try {
    assert.equal((await fetch(`${guarded.url}/dashboard`)).status, 401);
    assert.equal((await fetch(`${guarded.url}/dashboard/main.js`)).status, 401);
    const rebinding = await new Promise<number>((resolve, reject) => {
      http
        .get(`${guarded.url}/dashboard?token=s3cret`, { headers: { host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    assert.equal(rebinding, 403);

    const page = await chromium.context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${guarded.url}/dashboard?token=s3cret`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
    await page.waitForSelector('#connection[data-state="open"]', { timeout: 10_000 });
    const res = await fetch(`${guarded.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'behind a token' }] }),
    });
    const { id } = (await res.json()) as ChatCompletion;
    await page.waitForSelector(`#decisions-body tr[data-id="${id}"]`, { state: 'attached', timeout: 10_000 });
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await guarded.close();
  }
});

test('the cards count in the singular when there is one (a first failed request: "1 error")', async () => {
  const own = await startTestDaemon({ rpc: false });
  try {
    own.fakes['model-b']!.enqueue({ error: { status: 500, message: 'boom' } });
    const failed = await fetch(`${own.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'model-b', messages: [{ role: 'user', content: 'fail once' }] }),
    });
    assert.equal(failed.status, 502);
    const page = await chromium.context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${own.url}/dashboard`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
    assert.equal((await page.textContent('[data-card="requests"] .card-detail'))?.trim(), '1 error');
    const outcomes = (await page.textContent('[data-card="ratings"] .card-detail'))?.trim() ?? '';
    const n = Number(/^(\d+) outcomes? learned from$/.exec(outcomes)?.[1]);
    assert.equal(outcomes, `${n} outcome${n === 1 ? '' : 's'} learned from`);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await own.close();
  }
});
