// The same suites in desktop VS Code through @vscode/test-electron, for contributors with internet
// access (it downloads VS Code at run time, which CI machines cannot; CI uses run.mjs/code-server).
// Window A runs in one VS Code instance; when it has exited, window B runs in a second one and must
// join the daemon the first one started (the daemon outlives the VS Code that started it).
// UI steps (driver.ts) are skipped here: there is no Playwright driver.
// Usage: npm run test:vscode:electron  (after `npm run package` has built dist/)
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';
import { bundleSuites, startFakeUpstream, writeSandbox } from './sandbox.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
if (!existsSync(path.join(root, 'dist', 'extension.js')) || !existsSync(path.join(root, 'dist', 'daemon.js'))) {
  console.error('dist/ is not built: run `npm run package` (or node esbuild.mjs) first');
  process.exit(2);
}
const suites = path.join(root, 'dist', 'test-vscode');
await bundleSuites(root, suites);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fgvs-electron-'));
const fake = await startFakeUpstream(root);
const sandbox = writeSandbox(tmp, fake.url);
let code = 0;
try {
  for (const suite of ['windowA', 'windowB']) {
    await runTests({
      version: process.env.VSCODE_VERSION ?? 'stable',
      // The repository is the extension under development; the runner adds the echo model.
      extensionDevelopmentPath: [root, path.join(root, 'test', 'vscode', 'runner')],
      extensionTestsPath: path.join(suites, `${suite}.js`),
      extensionTestsEnv: { HOME: sandbox.home, USERPROFILE: sandbox.home },
      launchArgs: [
        sandbox.ws,
        '--user-data-dir',
        sandbox.userData,
        '--extensions-dir',
        sandbox.extDir,
        '--disable-workspace-trust',
      ],
    });
  }
} catch (err) {
  console.error(`VS Code tests failed: ${err instanceof Error ? err.message : String(err)}`);
  code = 1;
} finally {
  const file = path.join(sandbox.dataDir, 'daemon.json');
  if (existsSync(file)) {
    try {
      process.kill(JSON.parse(readFileSync(file, 'utf8')).pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await fake.stop();
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
