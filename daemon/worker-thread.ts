// The daemon's worker threads (store snapshots, USE embeddings, benchmark runs, the PostgreSQL
// store) start from their bundle next to the daemon's (dist/NAME.js) or, in the source tree (tests,
// `node --import tsx`), from their TypeScript file. Worker threads do not inherit the parent's loader
// hooks, so a worker from the sources registers tsx's CommonJS hook itself; that also serves a
// parent that was bundled without tsx (the test runner's bundles, test/build.mjs).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * `bundled` (a file name in `dir`) when it exists, else `source` (a .ts file name in `dir`) through
 * the tsx installed beside the sources; undefined when neither can start (a bundle shipped without
 * that worker, or sources without tsx): the callers then do the work on the event loop or refuse.
 */
export function startWorkerThread(
  dir: string,
  bundled: string,
  source: string,
  options: WorkerOptions = {},
): Worker | undefined {
  const bundledFile = path.join(dir, bundled);
  if (existsSync(bundledFile)) return new Worker(bundledFile, options);
  const sourceFile = path.join(dir, source);
  const tsx = existsSync(sourceFile) ? tsxFrom(dir) : undefined;
  if (!tsx) return undefined;
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(sourceFile)});`, {
    ...options,
    eval: true,
  });
}

/**
 * tsx's CommonJS API as resolved from the sources' folder. An eval'd worker resolves a bare
 * `require('tsx/…')` from the working directory, which need not be the project's.
 */
function tsxFrom(dir: string): string | undefined {
  try {
    return require.resolve('tsx/cjs/api', { paths: [dir] });
  } catch {
    return undefined;
  }
}
