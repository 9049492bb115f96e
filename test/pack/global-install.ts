// The package as a user installs it: `npm pack`, then `npm install -g` of the tarball into a
// throwaway prefix with no network at all (--offline, empty cache: the package has no runtime
// dependencies), then `fugusashi serve` from that prefix with a clean HOME answers a routed chat
// with the bundled embedding model loaded; `npx fugusashi` works from a project install too.
//   npm run test:pack        (about a minute; not part of npm test: it rebuilds dist/ minified)
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFake } from '../fakes';

const root = path.resolve(__dirname, '..', '..');
const work = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-pack-'));
const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

async function main(): Promise<void> {
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], root).replace(/^[^[]*/s, '')) as {
    filename: string;
    size: number;
    unpackedSize: number;
    entryCount: number;
  }[];
  const tgz = path.join(work, packed[0]!.filename);
  console.log(
    `packed ${packed[0]!.filename}: ${(statSync(tgz).size / 1e6).toFixed(1)} MB, ${(packed[0]!.unpackedSize / 1e6).toFixed(1)} MB unpacked, ${packed[0]!.entryCount} files`,
  );

  const prefix = path.join(work, 'prefix');
  const offline = ['--offline', '--cache', path.join(work, 'empty-cache'), '--no-audit', '--no-fund'];
  npm(['install', '-g', '--prefix', prefix, ...offline, tgz], work);
  const bin = path.join(prefix, 'bin', 'fugusashi');
  console.log(
    `npm install -g (offline, empty cache): ${execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()}`,
  );

  const fake = await startFake('openai', { models: ['fake-model'] });
  const home = path.join(work, 'home');
  mkdirSync(path.join(home, '.fugusashi'), { recursive: true });
  const model = (name: string, price: number) =>
    `  - {name: ${name}, provider: openai, model: fake-model, api_base: '${fake.url}', cost_per_input_token: ${price}, cost_per_output_token: ${price}, capabilities: [chat]}`;
  writeFileSync(
    path.join(home, '.fugusashi', 'config.yaml'),
    [
      'models:',
      model('cheap', 1e-7),
      model('dear', 1e-5),
      'routing:',
      '  strategies: [learned, cost, fallback]',
      'server:',
      '  port: 0',
    ].join('\n'),
  );
  const env = { ...process.env, HOME: home, USERPROFILE: home };
  const daemon = spawn(bin, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  daemon.stderr.on('data', (c: Buffer) => (log += c.toString()));
  try {
    let url = '';
    for (let i = 0; i < 600 && !url; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        const info = JSON.parse(readFileSync(path.join(home, '.fugusashi', 'daemon.json'), 'utf8')) as { port: number };
        url = `http://127.0.0.1:${info.port}`;
      } catch {
        /* not written yet */
      }
    }
    if (!url) throw new Error(`the daemon did not start:\n${log}`);
    let health: { embeddings?: string } = {};
    for (let i = 0; i < 600 && health.embeddings !== 'ready'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      health = (await (await fetch(`${url}/health`)).json()) as { embeddings?: string };
      if (health.embeddings === 'failed') throw new Error(`embeddings failed:\n${log}`);
    }
    if (health.embeddings !== 'ready') throw new Error(`embeddings not ready:\n${log}`);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Say hello' }] }),
    });
    const answer = (await res.json()) as { model?: string; routing_decision?: { strategy: string } };
    if (!res.ok || !answer.routing_decision) throw new Error(`chat failed: ${JSON.stringify(answer)}`);
    console.log(
      `fugusashi serve: embeddings ready (bundled model), chat routed to ${answer.model} by ${answer.routing_decision.strategy}`,
    );
    const modelLine = log.split('\n').find((l) => l.includes('embeddings: use-lite'));
    if (modelLine) console.log(`  ${modelLine.replace(/^\S+ /, '')}`);
  } finally {
    daemon.kill('SIGTERM');
    await fake.close();
  }

  const project = path.join(work, 'project');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), '{"private": true}');
  npm(['install', ...offline, tgz], project);
  const version = execFileSync('npx', ['--offline', 'fugusashi', '--version'], { cwd: project, encoding: 'utf8', env });
  console.log(`npx fugusashi --version from a project install: ${version.trim()}`);
  rmSync(work, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  console.error(`(left ${work} for inspection)`);
  process.exit(1);
});
