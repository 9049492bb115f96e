// Build-time patch of sql.js's in-memory file growth (an esbuild plugin, used by esbuild.mjs).
//
// sql.js keeps the database file in one Uint8Array; a write past its end copies the file into a new
// array only 1/8 bigger (past 1 MiB). A copy is cheap, touching fresh memory is not: on the machines
// bench:gateway runs on, the first fill of a 27 MB array took ~190 ms, and once a store passed its
// initial room every 4 MB of records cost such a step inside a request (half of the store's CPU per
// record at 20k records, test/bench/store-write.ts). Doubling instead (at most +256 MiB a step)
// touches ~2x the final size over a store's life instead of ~9x. The part of the new array not yet
// written is never touched, so resident memory stays what the database uses.
//
// Only the bundles (dist/) get it; running from the sources keeps sql.js as published.
import { readFile } from 'node:fs/promises';

const GROWTH = 'm*(m<1048576?2:1.125)>>>0';
const DOUBLING = 'Math.min(m*2,m+268435456)>>>0';

/** sql-wasm.js with the growth step patched; throws if the expected code is not there exactly once. */
export function patchSqlJsGrowth(source) {
  const at = source.indexOf(GROWTH);
  if (at === -1 || source.indexOf(GROWTH, at + 1) !== -1) {
    throw new Error(
      "sql.js's in-memory file growth code changed (daemon/store/sqljs-growth.mjs expects it once): " +
        'check the new version and update the patch',
    );
  }
  return source.slice(0, at) + DOUBLING + source.slice(at + GROWTH.length);
}

/** @type {import('esbuild').Plugin} */
export const sqlJsGrowthPlugin = {
  name: 'sql.js-growth',
  setup(build) {
    build.onLoad({ filter: /[\\/]sql\.js[\\/]dist[\\/]sql-wasm\.js$/ }, async (args) => ({
      contents: patchSqlJsGrowth(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};
