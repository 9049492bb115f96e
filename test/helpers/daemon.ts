// Starts a REAL daemon (the composition root daemon/main.ts: config file, data-dir lock, sql.js
// store, providers, HTTP on 127.0.0.1:0, JSON-RPC socket) in a temp data dir, with fake upstreams
// (test/fakes) as its models. Other tests use it:
//
//   const d = await startTestDaemon();                 // two OpenAI-compatible fakes: model-a, model-b
//   const res = await fetch(`${d.url}/v1/chat/completions`, {...});
//   d.fakes['model-a'].enqueue({ error: { status: 500, message: 'boom' } });
//   await d.close();                                    // stops daemon and fakes, removes the temp dir
//
// Options: models (names and per-model config overrides), config (extra YAML sections), token…
// `spawnDaemon()` runs the CLI (`fugusashi serve`) as a child process instead, for process-level tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { FugusashiConfig, ModelConfig } from '../../shared/config';
import { startDaemon, type DaemonOptions, type RunningDaemon } from '../../daemon/main';
import { startFake, type FakeKind, type FakeOptions, type FakeUpstream } from '../fakes';

export interface TestModel {
  name: string;
  kind?: FakeKind;
  /** Overrides merged into the generated ModelConfig. */
  config?: Partial<ModelConfig>;
  /** Options of its fake upstream (e.g. apiKey to require a key). */
  fake?: FakeOptions;
}

export interface TestDaemonOptions {
  /** Default: model-a (cheap) and model-b (pricier), both OpenAI-compatible fakes. */
  models?: TestModel[];
  /** Extra top-level config sections (routing, server, orchestrator, default_model). */
  config?: Partial<Omit<FugusashiConfig, 'models'>>;
  /** Start the JSON-RPC socket (default true). */
  rpc?: boolean;
  env?: Record<string, string | undefined>;
  idleShutdownSeconds?: number;
  /** Collect the daemon's log lines here instead of printing them. */
  log?: string[];
  /** The learning router (default: none; routing.strategies default to the built-in ones). */
  learner?: DaemonOptions['learner'];
  /** The daemon's idle collection (default: as a daemon runs it). */
  idleMemory?: DaemonOptions['idleMemory'];
}

export interface TestDaemon extends RunningDaemon {
  /** Fake upstream by model name. */
  fakes: Record<string, FakeUpstream>;
  configPath: string;
  logLines: string[];
  /** Rewrites config.yaml (the daemon reloads it). */
  writeConfig(config: FugusashiConfig): void;
  baseConfig: FugusashiConfig;
}

export const DEFAULT_TEST_MODELS: TestModel[] = [
  {
    name: 'model-a',
    config: { cost_per_input_token: 0.000001, cost_per_output_token: 0.000002, capabilities: ['chat'] },
  },
  {
    name: 'model-b',
    config: {
      cost_per_input_token: 0.00001,
      cost_per_output_token: 0.00003,
      capabilities: ['chat', 'code', 'reasoning', 'tools', 'vision'],
      supports_tools: true,
      supports_vision: true,
    },
  },
];

export function makeTempDir(prefix = 'fugu-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startTestDaemon(options: TestDaemonOptions = {}): Promise<TestDaemon> {
  const dir = makeTempDir();
  const fakes: Record<string, FakeUpstream> = {};
  const models: ModelConfig[] = [];
  for (const m of options.models ?? DEFAULT_TEST_MODELS) {
    const kind = m.kind ?? 'openai';
    const fake = await startFake(kind, { models: [`${m.name}-upstream`], ...m.fake });
    fakes[m.name] = fake;
    models.push({
      name: m.name,
      provider: kind,
      model: `${m.name}-upstream`,
      api_base: fake.url,
      cost_per_input_token: 0,
      cost_per_output_token: 0,
      capabilities: ['chat'],
      ...m.config,
    });
  }
  const baseConfig: FugusashiConfig = {
    models,
    ...options.config,
    // Strategies default to the built-in ones so tests do not depend on the learner's model files.
    routing: { strategies: ['cost', 'fallback'], exploration_rate: 0, ...options.config?.routing },
    server: { host: '127.0.0.1', port: 0, data_dir: dir, ...options.config?.server },
  };
  const configPath = path.join(dir, 'config.yaml');
  const writeConfig = (config: FugusashiConfig): void => writeFileSync(configPath, stringify(config));
  writeConfig(baseConfig);
  const logLines = options.log ?? [];
  let daemon: RunningDaemon;
  try {
    daemon = await startDaemon({
      configPath,
      env: options.env ?? {},
      rpc: options.rpc ?? true,
      idleShutdownSeconds: options.idleShutdownSeconds,
      log: (line) => logLines.push(line),
      ...(options.learner ? { learner: options.learner } : {}),
      ...(options.idleMemory !== undefined ? { idleMemory: options.idleMemory } : {}),
    });
  } catch (err) {
    await Promise.all(Object.values(fakes).map((f) => f.close()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const close = async (reason?: string): Promise<void> => {
    await daemon.close(reason);
    await Promise.all(Object.values(fakes).map((f) => f.close()));
    rmSync(dir, { recursive: true, force: true });
  };
  return { ...daemon, close, closed: daemon.closed, fakes, configPath, logLines, writeConfig, baseConfig };
}

export interface SpawnedDaemon {
  child: ChildProcess;
  /** http://127.0.0.1:PORT, parsed from the daemon's log. */
  url: string;
  stderr: () => string;
  /** The daemon's own pid (its "ready" line): on Linux `serve` runs it in a child of `child`. */
  pid: number;
  /**
   * Sends `signal` to the process started, as a user does; SIGKILL goes to the daemon itself (a
   * crash: it cannot be handed on, and the daemon would otherwise shut down cleanly as an orphan).
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** How the process ended (code, or the signal it died of). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The built CLI (`npm test` builds dist/ before the tests; alone: `node esbuild.mjs`). Process-level
 * tests run it with plain node, as users do, rather than the sources through tsx.
 */
export const CLI_BUNDLE = path.resolve('dist/cli.js');

/** Call in a `before()`: a clear failure instead of a confusing one when dist/ was not built. */
export function requireCliBundle(): void {
  if (!existsSync(CLI_BUNDLE)) throw new Error(`${CLI_BUNDLE} is missing: run "node esbuild.mjs" first`);
}

/** Runs `fugusashi serve ARGS` (dist/cli.js) and waits until its HTTP door listens. */
export async function spawnDaemon(
  args: string[],
  timeoutMs = 20_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SpawnedDaemon> {
  requireCliBundle();
  const child = spawn(process.execPath, [CLI_BUNDLE, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => (err += d.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const exited = ended.then(({ code }) => code);
  let pid = child.pid!;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start in ${timeoutMs} ms:\n${err}`)), timeoutMs);
    const check = (): void => {
      const m = /HTTP API on (http:\/\/[^/\s]+)\/v1/.exec(err);
      // "ready" is logged once daemon.json is written and both doors listen.
      const ready = /\bready: pid (\d+)/.exec(err);
      if (m && ready) {
        pid = Number(ready[1]);
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stderr.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code} before listening:\n${err}`));
    });
  });
  return {
    child,
    url,
    stderr: () => err,
    exited: ended,
    pid,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) {
        if (signal === 'SIGKILL') process.kill(pid, signal);
        else child.kill(signal);
      }
      return exited;
    },
  };
}

/**
 * A config.yaml for daemons started as real processes whose tests need no answers: one free model
 * at a closed loopback port (nothing is called), plus `extra` top-level sections.
 */
export function writeConfigWithIdleModel(configPath: string, extra: Record<string, unknown>): void {
  const model = {
    name: 'm',
    provider: 'openai',
    model: 'm',
    api_base: 'http://127.0.0.1:9/v1',
    cost_per_input_token: 0,
    cost_per_output_token: 0,
    capabilities: ['chat'],
  };
  writeFileSync(configPath, stringify({ models: [model], ...extra }));
}
