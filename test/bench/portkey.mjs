// Installs the Portkey gateway that `npm run bench:gateway` compares against, on first use, into the
// git-ignored .bench/portkey/ (not the project's node_modules: it and its Hono server are ~10 MB
// nobody but this benchmark needs). Pinned, with @hono/node-server at 1.14.1 as the bench was measured.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const PORTKEY_VERSION = '1.15.2';
const dir = path.resolve('.bench', 'portkey');
const entry = path.join(dir, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');

if (!existsSync(entry)) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify(
      {
        private: true,
        description: 'Peer of npm run bench:gateway (test/bench/portkey.mjs)',
        dependencies: { '@portkey-ai/gateway': PORTKEY_VERSION },
        overrides: { '@hono/node-server': '1.14.1' },
      },
      null,
      2,
    )}\n`,
  );
  console.error(`[bench] installing @portkey-ai/gateway@${PORTKEY_VERSION} into ${dir}`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', dir], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(entry)) {
    console.error('[bench] could not install the Portkey gateway (needs the npm registry once)');
    process.exit(1);
  }
}
