// The dashboard stays smooth with 10,000 stored decisions: the store is seeded directly (through the
// daemon's own store API, as if 10,000 requests had been made over a week), then a real daemon opens
// that data dir and the page loads, pages back through history and keeps taking live rows, with only
// one page of rows in the DOM. Timings are printed for the closing note and checked with wide margins.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { ChatCompletion } from '../../shared/openai';
import { openStore } from '../../daemon/store';
import { makeTempDir, startTestDaemon, type TestDaemon } from '../helpers/daemon';
import { collectPageErrors, launchChromium, type HeadlessBrowser } from './chromium';
import { ensureBundle } from './bundle';

const STORED = 10_000;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const max = (xs: number[]): number => Math.max(...xs);
const WEEK = 7 * 24 * 3_600_000;
let dataDir: string;
let daemon: TestDaemon;
let chromium: HeadlessBrowser;

before(async () => {
  ensureBundle();
  dataDir = makeTempDir('fugu-10k-');
  const store = await openStore({ dataDir });
  const now = Date.now();
  const started = performance.now();
  for (let i = 0; i < STORED; i++) {
    const model = i % 3 === 0 ? 'model-b' : 'model-a';
    const prompt = `stored prompt ${i}: ${i % 2 ? 'refactor this function' : 'summarise this article'}`;
    store.saveRequest({
      request_id: `fugu-seed-${i}`,
      // Seven requests per millisecond, as a busy daemon stores them: paging must not skip any.
      created_at: now - WEEK + Math.floor(((Math.floor(i / 7) * 7) / STORED) * WEEK),
      source: 'http',
      requested_model: 'auto',
      routing_text: prompt,
      messages: [{ role: 'user', content: prompt }],
      request_params: {},
      decision: {
        model,
        confidence: 0.5 + (i % 5) / 10,
        strategy: i % 4 === 0 ? 'fallback' : 'cost',
        latency_ms: 0.4 + (i % 7) / 10,
        explanation: 'seeded',
        alternatives: [],
        estimated_cost: 0.0001,
      },
      status: 'ok',
      answered_by: model,
      response_text: 'ok',
      error: null,
      usage: { prompt_tokens: 20, completion_tokens: 40, total_tokens: 60 },
      cost_usd: model === 'model-b' ? 0.0012 : 0.0001,
      latency_ms: 300 + (i % 11) * 20,
      attempts: [{ model, started_at: now, first_byte_ms: 100, duration_ms: 300, status: 'ok' }],
    });
    if (i % 10 === 0) {
      store.addFeedback({
        request_id: `fugu-seed-${i}`,
        rating: 1 + (i % 5),
        source: 'explicit',
        weight: 1,
        created_at: now,
      });
    }
  }
  await store.snapshot();
  store.close();
  console.log(`seeded ${STORED} decisions in ${Math.round(performance.now() - started)} ms`);
  daemon = await startTestDaemon({ rpc: false, config: { server: { data_dir: dataDir } } });
  chromium = await launchChromium();
});

after(async () => {
  await chromium?.close();
  await daemon?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('10,000 stored decisions: fast load, paging through history, live rows, one page in the DOM', async () => {
  const page = await chromium.context.newPage();
  const errors = collectPageErrors(page);
  const t0 = performance.now();
  await page.goto(`${daemon.url}/dashboard`);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
  const loadMs = performance.now() - t0;
  assert.equal((await page.textContent('[data-card="requests"] .card-value'))?.trim(), '10,000');

  // Long tasks (> 50 ms on the main thread) are what a user feels as jank.
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: false });
  });

  await page.click('vscode-tab-header[data-tab="decisions"]');
  const rowCount = () => page.$$eval('#decisions-body tr[data-id]', (rows) => rows.length);
  assert.equal(await rowCount(), 50);
  // Page back 20 times (1,000 rows into history), timing each flip until the new rows are shown.
  const flips: number[] = [];
  // Timed inside the page, from the click to the new rows in the DOM (playwright's own click and
  // polling would add their overhead to the figure).
  for (let i = 0; i < 20; i++) {
    const ms = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const body = document.getElementById('decisions-body')!;
          const before = body.firstElementChild;
          const t = performance.now();
          const observer = new MutationObserver(() => {
            if (body.firstElementChild !== before && body.children.length === 50) {
              observer.disconnect();
              resolve(performance.now() - t);
            }
          });
          observer.observe(body, { childList: true });
          document.getElementById('page-older')!.click();
        }),
    );
    flips.push(ms);
    assert.equal(await rowCount(), 50);
  }
  // How much of a flip is the fetch (network + daemon), as the browser timed it.
  const fetchMs = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter((e) => e.name.includes('/v1/routing/decisions?') && e.name.includes('before='))
      .map((e) => e.duration),
  );
  // The 21st page starts 1,000 rows back: seed ids count down from the newest (9,999).
  assert.equal(await page.getAttribute('#decisions-body tr[data-id]:first-child', 'data-id'), 'fugu-seed-8999');

  // Back to the newest page, then live rows arrive while the DOM stays at one page.
  await page.click('#page-newest');
  await page.waitForSelector('#decisions-body tr[data-id="fugu-seed-9999"]');
  const liveTimes: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    const res = await fetch(`${daemon.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: `live ${i}` }] }),
    });
    const { id } = (await res.json()) as ChatCompletion;
    await page.waitForSelector(`#decisions-body tr[data-id="${id}"]`, { timeout: 10_000 });
    liveTimes.push(performance.now() - t);
  }
  assert.equal(await rowCount(), 50);

  // The daemon's share of a page flip and of a reload of the aggregates.
  const timed = async (url: string): Promise<number> => {
    const t = performance.now();
    await (await fetch(`${daemon.url}${url}`)).arrayBuffer();
    return performance.now() - t;
  };
  const apiPage = median(
    await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => timed(`/v1/routing/decisions?limit=50&before=${Date.now() - i * 86_400_000}`)),
    ),
  );
  const apiStats = median([await timed('/v1/stats'), await timed('/v1/stats'), await timed('/v1/stats')]);
  const apiUsage = median([
    await timed('/v1/usage?bucket_ms=3600000'),
    await timed('/v1/usage?bucket_ms=3600000'),
    await timed('/v1/usage?bucket_ms=3600000'),
  ]);

  const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  const domNodes = await page.evaluate(() => document.getElementsByTagName('*').length);
  console.log(
    `10k decisions: load ${Math.round(loadMs)} ms; page flip median ${Math.round(median(flips))} ms, max ${Math.round(max(flips))} ms ` +
      `(its fetch: median ${Math.round(median(fetchMs))} ms); ` +
      `API→live row median ${Math.round(median(liveTimes))} ms, max ${Math.round(max(liveTimes))} ms; ` +
      `long tasks ${longTasks.length} (max ${Math.round(longTasks.length ? max(longTasks) : 0)} ms); DOM elements ${domNodes}; ` +
      `daemon: decisions page ${Math.round(apiPage)} ms, stats ${Math.round(apiStats)} ms, usage ${Math.round(apiUsage)} ms`,
  );
  // Wide margins: two shared cores under a parallel test run.
  assert.ok(loadMs < 15_000, `load took ${loadMs} ms`);
  assert.ok(median(flips) < 1_000, `page flips: ${flips.join(', ')}`);
  assert.ok(domNodes < 3_000, `DOM elements: ${domNodes}`);
  assert.deepEqual(errors, []);
  await page.close();
});
