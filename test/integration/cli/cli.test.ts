// The CLI as real child processes: serve (with the one-daemon-per-data-dir lock and graceful
// SIGTERM), route (dry run), export, --help. Upstreams are loopback fakes in this process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { DAEMON_FILE, EXIT_ALREADY_RUNNING, type DaemonFile } from '../../../shared/daemon';
import type { ChatCompletion, RoutingDecision } from '../../../shared/openai';
import { VERSION } from '../../../daemon/version';
import { startFakeOpenAI, type FakeUpstream } from '../../fakes';
import { CLI_BUNDLE, makeTempDir, requireCliBundle, spawnDaemon } from '../../helpers/daemon';

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_BUNDLE, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let fake: FakeUpstream;
let dir: string;
let configPath: string;

before(async () => {
  requireCliBundle();
  fake = await startFakeOpenAI({ models: ['up-a'] });
  dir = makeTempDir('fugu-cli-');
  configPath = path.join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    stringify({
      default_model: 'cheap',
      models: [
        {
          name: 'cheap',
          provider: 'openai',
          model: 'up-a',
          api_base: fake.url,
          cost_per_input_token: 0,
          cost_per_output_token: 0,
          capabilities: ['chat'],
        },
      ],
      routing: { strategies: ['cost', 'fallback'] },
      server: { port: 0, data_dir: path.join(dir, 'data') },
    }),
  );
});
after(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fugusashi CLI', () => {
  test('the reported version is the package version', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; bin: Record<string, string> };
    assert.equal(VERSION, pkg.version);
    assert.equal(pkg.bin['fugusashi'], 'dist/cli.js');
  });

  test('--help on the CLI and on each command', async () => {
    const top = await cli(['--help']);
    assert.equal(top.code, 0);
    for (const command of ['serve', 'route', 'export', 'benchmark']) assert.match(top.stdout, new RegExp(command));
    for (const command of ['serve', 'route', 'export']) {
      const res = await cli([command, '--help']);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, new RegExp(`Usage: fugusashi ${command}`));
    }
    const bad = await cli(['serve', '--bogus']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option --bogus/);
  });

  test('route prints a readable dry-run decision, and JSON with --json', async () => {
    const readable = await cli(['route', 'write a haiku about the sea', '--config', configPath]);
    assert.equal(readable.code, 0, readable.stderr);
    assert.match(readable.stdout, /→ cheap/);
    assert.match(readable.stdout, /strategy/);
    const json = await cli(['route', 'write a haiku', '--config', configPath, '--json']);
    const decision = JSON.parse(json.stdout) as RoutingDecision;
    assert.equal(decision.model, 'cheap');
    assert.equal(fake.requests.length, 0, 'a dry run calls no model');
  });

  test('serve: answers, a second daemon on the same data dir exits 3, export works, SIGTERM shuts down cleanly', async () => {
    const daemon = await spawnDaemon(['--config', configPath]);
    try {
      const dataDir = path.join(dir, 'data');
      const info = JSON.parse(readFileSync(path.join(dataDir, DAEMON_FILE), 'utf8')) as DaemonFile;
      // The daemon itself: the process started, or on Linux its child with MALLOC_ARENA_MAX
      // (test/integration/cli/malloc-arenas.test.ts).
      assert.ok(info.pid === daemon.child.pid || process.platform === 'linux', `${info.pid}`);
      process.kill(info.pid, 0);
      assert.equal(`http://${info.host}:${info.port}`, daemon.url);

      const res = await fetch(`${daemon.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'from the cli test' }] }),
      });
      const answer = (await res.json()) as ChatCompletion;
      assert.equal(answer.choices[0]?.message.content, 'fake answer from up-a to: from the cli test');
      const rated = await fetch(`${daemon.url}/v1/feedback/rate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ request_id: answer.id, rating: 5 }),
      });
      assert.equal(rated.status, 200);

      const second = await cli(['serve', '--config', configPath]);
      assert.equal(second.code, EXIT_ALREADY_RUNNING);
      assert.match(second.stderr, /Another Fugusashi daemon \(pid \d+\)/);

      // While the daemon runs, export reads through its HTTP port.
      const live = await cli(['export', '--data-dir', dataDir]);
      assert.equal(live.code, 0, live.stderr);
      const rows = live.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { model: string; score: number; request_id: string });
      assert.ok(rows.some((r) => r.request_id === answer.id && r.model === 'cheap' && r.score === 1));

      const code = await daemon.stop('SIGTERM');
      assert.equal(code, 0, daemon.stderr());
      assert.equal(existsSync(path.join(dataDir, DAEMON_FILE)), false, 'daemon.json removed on shutdown');

      // Stopped: export reads the store directly.
      const out = path.join(dir, 'outcomes.jsonl');
      const offline = await cli(['export', '--data-dir', dataDir, '--out', out]);
      assert.equal(offline.code, 0, offline.stderr);
      assert.ok(readFileSync(out, 'utf8').includes(answer.id));
    } finally {
      await daemon.stop('SIGKILL');
    }
  });
});
