// What both real-VS-Code runners share (run.mjs: code-server; electron.mjs: @vscode/test-electron):
// the bundled suites, a loopback fake upstream, and a throwaway HOME whose ~/.fugusashi/config.yaml
// points at it, plus user settings (fugusashi.port 0: never a fixed port in tests).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

/** test/vscode/suite/window{A,B}.ts → <outdir>/window{A,B}.js (run() for extensionTestsPath). */
export async function bundleSuites(root, outdir) {
  await esbuild.build({
    entryPoints: { windowA: 'test/vscode/suite/windowA.ts', windowB: 'test/vscode/suite/windowB.ts' },
    absWorkingDir: root,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'mocha'], // mocha resolves from the repo's node_modules next to dist/
    logLevel: 'warning',
  });
}

/** The fake OpenAI-compatible upstream (test/vscode/upstream.ts) on an ephemeral port. */
export async function startFakeUpstream(root) {
  // test/vscode/upstream.ts: the OpenAI fake of test/fakes plus tool-call turns for the agent tests.
  const fake = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/vscode/upstream.ts'],
    { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] }, // it also exits when our stdin pipe closes
  );
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    fake.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl).trim());
    });
    fake.once('exit', (code) => reject(new Error(`fake upstream exited (${code})`)));
    setTimeout(() => reject(new Error('fake upstream did not start')), 20_000);
  });
  const stop = async () => {
    if (fake.exitCode !== null || fake.signalCode !== null) return;
    fake.kill('SIGTERM');
    await Promise.race([new Promise((r) => fake.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
  };
  return { url, stop };
}

export function writeSandbox(tmp, upstream) {
  const p = {
    home: path.join(tmp, 'home'), // $HOME: the daemon's data dir is its default, ~/.fugusashi
    dataDir: path.join(tmp, 'home', '.fugusashi'),
    e2e: path.join(tmp, 'e2e'), // request/done files between the suites and the UI driver
    ws: path.join(tmp, 'ws'),
    userData: path.join(tmp, 'data'),
    extDir: path.join(tmp, 'ext'),
  };
  for (const d of [p.dataDir, p.e2e, p.ws, path.join(p.userData, 'User'), p.extDir]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(p.ws, 'notes.md'), '# scratch\n\nSelect this line and run “Fugusashi: Ask”.\n');
  writeFileSync(
    path.join(p.dataDir, 'config.yaml'),
    `# e2e: two models on the loopback fake upstream, one VS Code language model
models:
  - name: small-fast
    provider: openai
    model: small-fast
    api_base: "${upstream}"
    cost_per_input_token: 0.0000001
    cost_per_output_token: 0.0000004
    capabilities: [chat, code]
    context_window: 16000
    description: cheap and quick
  - name: big-smart
    provider: openai
    model: big-smart
    api_base: "${upstream}"
    cost_per_input_token: 0.000003
    cost_per_output_token: 0.000015
    capabilities: [chat, code, reasoning, math, writing, tools, vision]
    context_window: 128000
    description: strong and pricier; the only one that takes tools and images
  - name: echo-in-vscode
    provider: vscode-lm
    model: echo-1
    cost_per_input_token: 0.0001
    cost_per_output_token: 0.0001
    capabilities: [chat, vision]
    description: a VS Code language model (the runner extension's), run by a connected window
routing:
  strategies: [cost, fallback]
  prefer_local: false
`,
  );
  writeFileSync(
    path.join(p.userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'fugusashi.port': 0, // never a fixed port in tests
        'fugusashi.idleShutdownSeconds': 120,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'security.workspace.trust.enabled': false,
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'telemetry.telemetryLevel': 'off',
        'window.commandCenter': false,
        'chat.setupFromDialog': false,
        // The DOM renderer keeps terminal text readable by the driver (no GPU in headless Chromium).
        'terminal.integrated.gpuAcceleration': 'off',
      },
      null,
      2,
    ),
  );
  return p;
}
