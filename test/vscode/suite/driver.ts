// Steps that need the UI driver (Playwright, outside VS Code): the suite writes `<dir>/<step>.req`
// and waits for `<dir>/<step>.done` (content "ok" or an error). Files rather than console output,
// because both sides share the machine and files need no log forwarding. Without a driver
// (FUGUSASHI_E2E_DIR unset, e.g. under @vscode/test-electron) UI steps are skipped.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const e2eDir = process.env.FUGUSASHI_E2E_DIR;

export async function driverStep(step: string, payload: unknown = {}, timeoutMs = 90_000): Promise<boolean> {
  if (!e2eDir) return false;
  const done = path.join(e2eDir, `${step}.done`);
  writeFileSync(path.join(e2eDir, `${step}.req`), JSON.stringify(payload));
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(done)) {
    if (Date.now() > deadline) throw new Error(`driver step ${step} did not finish in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const result = readFileSync(done, 'utf8');
  if (result !== 'ok') throw new Error(`driver step ${step}: ${result}`);
  return true;
}

/** Facts a later window (or the runner) reads: measured times, daemon pid. */
export function record(name: string, value: unknown): void {
  if (e2eDir) writeFileSync(path.join(e2eDir, `${name}.json`), JSON.stringify(value, null, 2));
}

export function recall<T>(name: string): T | undefined {
  if (!e2eDir) return undefined;
  const file = path.join(e2eDir, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

/** Polls `fn` until it returns a value (not undefined), bounded in time. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `timed out waiting for ${what}${lastError ? `: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}` : ''}`,
  );
}
