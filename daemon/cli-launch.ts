// dist/cli.js, the `fugusashi` command (package.json bin): a few lines that start the CLI. On Linux,
// `fugusashi serve` without MALLOC_ARENA_MAX runs the daemon in a child with it set
// (app/malloc-arenas.ts). That decision is taken here, before the CLI's 8 MB bundle is loaded: the
// process that stays to hand on signals then holds ~7 MB of its own instead of ~40 MB.
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Cli from './cli';
import { runWithBoundedArenas, shouldBoundArenas } from './app/malloc-arenas';

const argv = process.argv.slice(2);
const serving = argv[0] === 'serve' && !argv.includes('--help') && !argv.includes('-h');
if (serving && shouldBoundArenas()) {
  // The child reports bad flags itself (exit code 2, passed on).
  void runWithBoundedArenas().then((code) => (process.exitCode = code));
} else {
  // Loaded at run time, not bundled here: dist/cli-main.js is its own bundle (daemon/cli.ts).
  const load = createRequire(__filename);
  (load(path.join(__dirname, 'cli-main.js')) as typeof Cli).runAsProgram(argv);
}
