// Runs the test files with node's own test runner, each bundled first (test/build.mjs), so the
// summary line shows how many tests ran. `node test/run.mjs [unit|integration|e2e]...` limits the
// suites; default: all.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildTests, VSCODE_STUB } from './build.mjs';

const suites = process.argv.slice(2);
const roots = (suites.length ? suites : ['unit', 'integration', 'e2e']).map((s) => path.join('test', s));

function collect(dir) {
  let files = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return files;
  }
  for (const name of entries) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) files = files.concat(collect(full));
    else if (name.endsWith('.test.ts')) files.push(full);
  }
  return files.sort();
}

// With two workers, a long file that starts last is a tail the other worker idles through: the
// slowest files (seconds of CPU or of waiting, measured on a 2-core machine) start first, the rest
// keep their order. Keep this list short; a missing entry only costs a little wall time.
const SLOW_FIRST = [
  // Wall seconds of each file run on its own, two files at a time (Dec 2026): 19, 15, 15, 14, 14, 14, 13, 11, 10…
  'test/integration/cli/export-import.test.ts',
  'test/integration/team/outage.test.ts',
  'test/unit/learning/store-alone.test.ts',
  'test/unit/app/idle-memory.test.ts',
  'test/integration/team/replicas.test.ts',
  'test/integration/compat/outcomes-030-import.test.ts',
  'test/integration/team/access.test.ts',
  'test/unit/benchmark/prior-in-domain.test.ts',
  'test/unit/benchmark/sample-story.test.ts',
  'test/integration/cli/malloc-arenas.test.ts',
  'test/integration/faults/door.test.ts',
  'test/e2e/dashboard.test.ts',
  'test/integration/team/store-copy.test.ts',
  'test/integration/faults/fallback.test.ts',
  'test/integration/learning/multi-stack-live.test.ts',
  'test/integration/compat/cli-030.test.ts',
  'test/e2e/dashboard-team.test.ts',
  'test/integration/cli/cli.test.ts',
  'test/integration/rpc/window-gone.test.ts',
  'test/integration/rpc/rpc.test.ts',
  'test/integration/embeddings/use.test.ts',
  'test/e2e/dashboard-10k.test.ts',
  'test/integration/store/kill9.test.ts',
].map((f) => path.normalize(f));
const rank = (f) => (SLOW_FIRST.includes(f) ? SLOW_FIRST.indexOf(f) : SLOW_FIRST.length);
const files = roots
  .flatMap(collect)
  .map((f, i) => ({ f, i }))
  .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
  .map(({ f }) => f);
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const bundles = await buildTests(files);
const result = spawnSync(
  process.execPath,
  [
    '--enable-source-maps',
    // The `vscode` stand-in, installed before any bundle asks for `vscode` (a bundle may require it
    // before the test file's own import of the stub has run).
    '--require',
    VSCODE_STUB,
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    ...bundles,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
