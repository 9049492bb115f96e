// The daemon serves dist/webview; the browser tests build it when it is missing or older than the sources.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const st = statSync(full);
    newest = Math.max(newest, st.isDirectory() ? newestSource(full) : st.mtimeMs);
  }
  return newest;
}

export function ensureBundle(): void {
  const out = ['dist/webview/main.js', 'dist/webview/index.html', 'dist/webview/style.css'];
  const built = out.every((f) => existsSync(f)) ? Math.min(...out.map((f) => statSync(f).mtimeMs)) : 0;
  if (built >= newestSource('webview')) return;
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `esbuild failed:\n${r.stdout}${r.stderr}`);
}
