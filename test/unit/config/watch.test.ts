import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, watchConfig, type ResolvedConfig } from '../../../daemon/config';

const config = (name: string, extra = '') => `default_model: "${name}"
models:
  - name: "${name}"
    provider: "ollama"
    model: "llama3.2:1b"
    api_base: "http://localhost:11434"
    cost_per_input_token: 0
    cost_per_output_token: 0
    capabilities: ["chat"]
${extra}`;

/** Resolves with the next event, or rejects after `ms` (bounded waits, never a fixed sleep). */
function nextEvent<T>(register: (resolve: (v: T) => void) => void, ms = 3_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms);
    register((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

test('the watcher reloads on change, keeps the last good config on an invalid one, and survives rename-over saves', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fugu-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, config('first'));

  // What a daemon does: keep the current config, replace it only on a valid reload.
  let current = 'first';
  let onReload: ((c: ResolvedConfig) => void) | undefined;
  let onError: ((e: Error) => void) | undefined;
  const reloads: string[] = [];
  const errors: Error[] = [];
  const dispose = watchConfig(
    file,
    (c) => {
      current = c.defaultModel!;
      reloads.push(current);
      onReload?.(c);
    },
    (e) => {
      errors.push(e);
      onError?.(e);
    },
    { env: { PORT: '7171' }, debounceMs: 50, port: 9999 },
  );
  t.after(dispose);

  // 1. An in-place write of a valid config reloads it, with the same CLI overrides applied.
  const first = nextEvent<ResolvedConfig>((r) => (onReload = r));
  writeFileSync(file, config('second', 'server:\n  port: "${PORT}"\n'));
  const second = await first;
  assert.equal(second.defaultModel, 'second');
  assert.equal(second.server.port, 9999, 'the --port flag still wins after a reload');

  // 2. An invalid version is reported with the field named; the last good config stays.
  const failed = nextEvent<Error>((r) => (onError = r));
  writeFileSync(file, config('third').replace('cost_per_input_token: 0', 'cost_per_input_token: -5'));
  const error = await failed;
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(error.problems, ['models[0].cost_per_input_token: must be >= 0']);
  assert.equal(current, 'second');

  // 3. Editors save by writing a temp file and renaming it over the original.
  const renamed = nextEvent<ResolvedConfig>((r) => (onReload = r));
  writeFileSync(path.join(dir, '.config.yaml.swp'), config('fourth'));
  renameSync(path.join(dir, '.config.yaml.swp'), file);
  assert.equal((await renamed).defaultModel, 'fourth');
  assert.equal(current, 'fourth');
  assert.deepEqual(reloads, ['second', 'fourth']);
  assert.equal(errors.length, 1);

  // 4. After dispose, changes are ignored.
  dispose();
  writeFileSync(file, config('fifth'));
  await assert.rejects(nextEvent<ResolvedConfig>((r) => (onReload = r), 400));
  assert.equal(current, 'fourth');
});

test('a burst of writes is debounced into one reload; a save with identical content is ignored', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fugu-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, config('a'));
  const reloads: string[] = [];
  let onReload: ((c: ResolvedConfig) => void) | undefined;
  const dispose = watchConfig(
    file,
    (c) => {
      reloads.push(c.defaultModel!);
      onReload?.(c);
    },
    (e) => assert.fail(e),
    { env: {}, debounceMs: 100 },
  );
  t.after(dispose);
  const done = nextEvent<ResolvedConfig>((r) => (onReload = r));
  for (const name of ['b', 'c', 'd']) writeFileSync(file, config(name));
  assert.equal((await done).defaultModel, 'd');
  writeFileSync(file, config('d')); // touched, unchanged
  await assert.rejects(nextEvent<ResolvedConfig>((r) => (onReload = r), 400));
  assert.deepEqual(reloads, ['d']);
});

test('watching a config file that does not exist yet loads it once it is created', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fugu-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.yaml');
  let onReload: ((c: ResolvedConfig) => void) | undefined;
  const dispose = watchConfig(
    file,
    (c) => onReload?.(c),
    (e) => assert.fail(e),
    { env: {}, debounceMs: 50 },
  );
  t.after(dispose);
  const created = nextEvent<ResolvedConfig>((r) => (onReload = r));
  writeFileSync(file, config('created'));
  assert.equal((await created).defaultModel, 'created');
});
