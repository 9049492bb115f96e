// Bundles each test file with esbuild (test/foo/x.test.ts → dist/tests/foo/x.test.js) so the runner
// starts plain Node processes. Under `node --import tsx` every test process loaded tsx and sent each
// of its few hundred modules through tsx's loader one by one (about 1.2 s of CPU for a file that
// starts a daemon, 0.5 s bundled); over ~180 files that was a quarter of the suite's CPU.
// What the bundles keep from running the sources:
// - `__dirname`, `__filename` and `import.meta.url` are each module's own source location, so
//   fixtures, dist/ and worker files are found as before (a bundle would otherwise see its own path);
// - `require.main === module` ("run as a program", daemon/cli.ts) is false: in a bundle every module
//   shares the entry's `module`, so the CLI would run with the test's argv;
// - npm packages stay outside (loaded from node_modules, as under tsx);
// - class and function names (keepNames), and stack traces through source maps (--enable-source-maps).
// Single files still run from the sources: `node --import tsx --test test/unit/…/x.test.ts`.
import * as esbuild from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const TEST_BUNDLES = path.resolve('dist', 'tests');

const SOURCE_GLOBALS = /__dirname|__filename|import\.meta\.url|require\.main === module/;

/** Each module sees its own source file's location, not the bundle's, and is not the program. */
const sourceLocations = {
  name: 'source-locations',
  setup(build) {
    build.onLoad({ filter: /\.(ts|cjs)$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!SOURCE_GLOBALS.test(text)) return undefined;
      const contents = text
        .replace(/(?<![\w$.])__dirname(?![\w$])/g, JSON.stringify(path.dirname(args.path)))
        .replace(/(?<![\w$.])__filename(?![\w$])/g, JSON.stringify(args.path))
        .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href))
        .replace(/\brequire\.main === module\b/g, 'false');
      return { contents, loader: args.path.endsWith('.ts') ? 'ts' : 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/** The VS Code stand-in is preloaded by the runner (--require): bundles load that one instance. */
const STUB = path.resolve('test', 'helpers', 'vscode-stub.cjs');
const stubOutside = {
  name: 'vscode-stub-outside',
  setup(build) {
    build.onResolve({ filter: /vscode-stub\.cjs$/ }, () => ({ path: STUB, external: true }));
  },
};

/** Bundles `files` (paths under test/); returns the bundles' paths in the same order. */
export async function buildTests(files) {
  await rm(TEST_BUNDLES, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: files,
    outbase: 'test',
    outdir: TEST_BUNDLES,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    sourcemap: 'linked',
    // Stack traces need the mappings only; the sources' text in every map made ~270 MB a run.
    sourcesContent: false,
    logLevel: 'warning',
    plugins: [stubOutside, sourceLocations],
  });
  return files.map((f) => path.join(TEST_BUNDLES, path.relative('test', f).replace(/\.ts$/, '.js')));
}

export { STUB as VSCODE_STUB };
