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
 * tsx; undefined when neither exists (a bundle shipped without that worker).
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
  if (!existsSync(sourceFile)) return undefined;
  return new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(sourceFile)});`, {
    ...options,
    eval: true,
  });
}
