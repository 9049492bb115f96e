// Composition root of the daemon: the only file that touches process, env and signals. It resolves
// the config, takes the data-dir lock, opens the store, builds learner/providers/services, and opens
// the two doors (HTTP for tools and the dashboard, JSON-RPC for VS Code windows).
//
// ── How clients find and join the ONE daemon of a data directory (gopls -remote=auto style) ──────
// Data dir D: `--data-dir`, else `server.data_dir` of the config, else ~/.fugusashi. Config file:
// `--config FILE`, else D/config.yaml, else discovery (Ollama on localhost, OPENAI/ANTHROPIC keys).
//
//  D/daemon.lock   held by the running daemon (one daemon per data dir). A second daemon on the same
//                  D prints "another Fugusashi daemon (pid N) is already using D" and exits with
//                  code 3 (EXIT_ALREADY_RUNNING in shared/daemon.ts) without touching anything.
//  D/daemon.json   written once BOTH doors listen, removed on clean shutdown (type DaemonFile in
//                  shared/daemon.ts): {pid, version, host, port, started_at, data_dir, config_path,
//                  rpc: {transport: 'unix'|'pipe', path}, idle_shutdown_seconds}.
//  rpc.path        unix: D/daemon.sock (or $TMPDIR/fugusashi-<hash>.sock when D's path is too long
//                  for a socket); Windows: \\.\pipe\fugusashi-<hash of D>. Always read it from
//                  daemon.json rather than computing it.
//
// A VS Code window (the extension) joins like this:
//  1. read D/daemon.json; if it exists, connect to rpc.path (net.connect). Connected → done.
//  2. otherwise spawn the bundled daemon DETACHED so it outlives the window:
//       spawn(process.execPath, [dist/daemon.js, '--data-dir', D, '--config', F?, '--port', P?,
//             '--idle-shutdown-seconds', '300', '--log-file', D/daemon.log],
//             {detached: true, stdio: 'ignore', env: {...process.env, ELECTRON_RUN_AS_NODE: '1'}}).unref()
//     then poll (bounded: e.g. every 100 ms for 15 s) for D/daemon.json with a connectable rpc.path.
//     If two windows race, the loser's daemon exits with code 3 and both join the winner.
//  3. vscode-languageclient: `new LanguageClient(id, name, () => Promise.resolve({reader: socket,
//     writer: socket}), clientOptions)`. The daemon answers `initialize` with {capabilities: {}} and
//     treats `shutdown`/`exit` as "this client leaves": it never exits because one window closed.
//     All custom methods are in shared/protocol.ts. After connecting, a window sends
//     SetSecretsNotification (API keys, memory only) and VscodeLmModelsNotification (its vscode.lm
//     models); the daemon pushes StatusNotification and LiveEventNotification to every client.
//  4. a dropped connection while the daemon still runs → reconnect; a dead daemon (connect refused
//     and pid gone) → back to step 2 (bounded retries). `tail -f D/daemon.log` is the daemon's log.
// Idle shutdown: with idle_shutdown_seconds > 0 (config `server.idle_shutdown_seconds` or the flag),
// the daemon exits that long after the last RPC client left and no HTTP request came in. The
// daemon started by `fugusashi serve` defaults to 0 (never). SIGINT/SIGTERM shut down gracefully:
// stop accepting, finish in-flight work, close the store, remove daemon.json and the socket.
// `fugusashi serve` and the daemon VS Code starts are the same program with the same defaults
// (D = ~/.fugusashi, D/config.yaml, port 6060), so they are the same daemon.
// ───────────────────────────────────────────────────────────────────────────────────────────────────
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import { DAEMON_FILE, EXIT_ALREADY_RUNNING, type DaemonFile } from '../shared/daemon';
import type { DaemonStatus } from '../shared/protocol';
import type { BenchmarkParams } from '../shared/protocol';
import { runBenchmark, type BenchmarkOptions } from './benchmark/run';
import { samplePath } from './benchmark/cli';
import { ConfigError, resolveConfig, watchConfig, type ResolvedConfig, type ResolveOptions } from './config';
import type { Learner, Store } from './core/ports';
import type { BenchmarkProgress, BenchmarkReport } from '../shared/api';
import { createLearner, type LearnerHandle } from './learning';
import { buildApp } from './http/app';
import { createDashboardPlugin } from './http/dashboard';
import { loadLastBenchmark, saveLastBenchmark } from './http/last-benchmark';
import { createOrchestrator } from './orchestrator';
import { createProviderRegistry } from './providers';
import { registerRpcHandlers } from './rpc/handlers';
import { VscodeLmHub } from './rpc/vscode-lm-hub';
import { createServices, type DaemonServices } from './services';
import { toServiceConfig } from './services/config';
import { acquireDataDirLock, DataDirLockedError } from './store';
import { databaseUrl, openConfiguredStore, registerTeam, shareLearning, type TeamHttp } from './team';
import { VERSION } from './version';

/** How long a graceful shutdown waits for requests in flight. */
const SHUTDOWN_GRACE_MS = 5000;

/** Unix socket paths are limited to ~104 bytes (macOS) / 108 (Linux): fall back to the temp dir. */
const MAX_SOCKET_PATH = 100;

/** Where the JSON-RPC door of the daemon for `dataDir` listens. */
export function rpcEndpoint(dataDir: string, platform: NodeJS.Platform = process.platform): DaemonRpcEndpoint {
  const hash = createHash('sha1').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  if (platform === 'win32') return { transport: 'pipe', path: `\\\\.\\pipe\\fugusashi-${hash}` };
  const inDataDir = path.join(dataDir, 'daemon.sock');
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH) return { transport: 'unix', path: inDataDir };
  return { transport: 'unix', path: path.join(os.tmpdir(), `fugusashi-${hash}.sock`) };
}

export interface DaemonRpcEndpoint {
  transport: 'unix' | 'pipe';
  path: string;
}

export interface DaemonOptions {
  configPath?: string | undefined;
  dataDir?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  token?: string | undefined;
  idleShutdownSeconds?: number | undefined;
  /** Overrides of routing.cost_weight / routing.exploration_rate (a VS Code window's settings). */
  costWeight?: number | undefined;
  explorationRate?: number | undefined;
  /** Default process.env. API keys sent by VS Code windows are layered over it in memory. */
  env?: Record<string, string | undefined>;
  /** Listen for JSON-RPC clients on the data dir's socket (default true). */
  rpc?: boolean;
  /** Watch the config file and reload it (default true). */
  watch?: boolean;
  /** Log lines (default: stderr). */
  log?: (line: string) => void;
  /** For `~` and the default data dir (tests). */
  homeDir?: string | undefined;
  /**
   * The learning router: 'auto' (default) builds it when routing.strategies names learned or
   * similarity; 'off' never; or a factory (tests inject one with a small embedder).
   */
  learner?: 'auto' | 'off' | ((store: Store, config: ResolvedConfig) => Learner);
}

export interface RunningDaemon {
  host: string;
  port: number;
  /** http://host:port */
  url: string;
  dataDir: string;
  rpcPath: string | null;
  services: DaemonServices;
  /** Stops everything; resolves when the store is closed and daemon.json removed. */
  close(reason?: string): Promise<void>;
  /** Resolves once the daemon has shut down (signal, idle timeout or close()). */
  readonly closed: Promise<void>;
}

/** Config errors and "already running" carry the process exit code the CLI should use. */
export class DaemonStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'DaemonStartError';
  }
}

export async function startDaemon(options: DaemonOptions = {}): Promise<RunningDaemon> {
  const startedAt = Date.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
  const secrets: Record<string, string> = {};
  const baseEnv = options.env ?? process.env;
  const resolveOptions = (): ResolveOptions => ({
    configPath: options.configPath,
    dataDir: options.dataDir,
    host: options.host,
    port: options.port,
    token: options.token,
    env: { ...baseEnv, ...secrets },
    homeDir: options.homeDir,
  });

  let resolved;
  try {
    resolved = await resolveConfig(resolveOptions());
  } catch (err) {
    if (err instanceof ConfigError) throw new DaemonStartError(err.message, 2);
    throw err;
  }
  for (const line of resolved.log) log(line);
  /** Flag overrides win over the file, on every reload too (CLI flags over the file over DEFAULTS). */
  const withOverrides = (c: ResolvedConfig): ResolvedConfig => {
    if (options.costWeight !== undefined) c.routing.costWeight = options.costWeight;
    if (options.explorationRate !== undefined) c.routing.explorationRate = options.explorationRate;
    return c;
  };
  let config = withOverrides(resolved.config);
  let serviceConfig = toServiceConfig(config);
  let configError: string | null = null;
  const configPath = resolved.path;
  const dataDir = config.server.dataDir;
  mkdirSync(dataDir, { recursive: true });

  let lock;
  try {
    lock = acquireDataDirLock(dataDir);
  } catch (err) {
    if (err instanceof DataDirLockedError) throw new DaemonStartError(err.message, EXIT_ALREADY_RUNNING);
    throw err;
  }
  const cleanups: (() => void | Promise<void>)[] = [];
  const store = await openConfiguredStore({ config, dataDir, lock, log, env: baseEnv }).catch((err: unknown) => {
    lock.release();
    throw err;
  });
  cleanups.push(() => store.close());

  const shared = shareLearning(store, buildLearner(options, store, config, log), {
    url: databaseUrl(config, baseEnv),
    log,
  });
  const learner = shared.learner;
  if (learner) cleanups.push(() => (learner as Partial<LearnerHandle>).close?.());
  cleanups.push(() => shared.close());

  const vscodeLm = new VscodeLmHub();
  const providers = createProviderRegistry({ vscodeLm });
  let http: { host: string; port: number } | null = null;
  const services = createServices({
    config: () => serviceConfig,
    store,
    learner,
    provider: (kind) => providers.get(kind),
    orchestrator: (gateway) => createOrchestrator({ gateway, config: () => serviceConfig.orchestrator }),
    runtime: () => ({ pid: process.pid, startedAt, http, dataDir, configPath, configError }),
    log,
  });

  const apply = (next: ResolvedConfig, why: string): void => {
    // Where the daemon listens and keeps its data cannot change under a running daemon.
    next.server = {
      ...next.server,
      host: config.server.host,
      port: config.server.port,
      dataDir: config.server.dataDir,
    };
    config = withOverrides(next);
    serviceConfig = toServiceConfig(config);
    configError = null;
    log(`config reloaded (${why}): ${config.models.length} model(s)`);
    broadcastStatus();
  };
  const reportConfigError = (err: Error, why: string): void => {
    configError = err.message;
    log(`config reload failed (${why}), keeping the last good config: ${configError}`);
    broadcastStatus();
  };
  /** Re-resolves the config (new API keys from a VS Code window); keeps the last good config on error. */
  const reload = async (why: string): Promise<void> => {
    try {
      apply((await resolveConfig(resolveOptions())).config, why);
    } catch (err) {
      reportConfigError(err instanceof Error ? err : new Error(String(err)), why);
    }
  };

  // ---- idle shutdown: no RPC client and no HTTP request for idle_shutdown_seconds
  const idleSeconds = options.idleShutdownSeconds ?? config.server.idleShutdownSeconds;
  let lastActivity = Date.now();
  const clients = new Set<{ dispose(): void; status(s: DaemonStatus): void }>();
  const status = (): DaemonStatus => {
    const models = serviceConfig.pool.filter((m) => m.enabled !== false).length;
    const s: DaemonStatus = {
      health: configError ? 'warning' : models === 0 ? 'warning' : 'ok',
      models,
      ...(http ? { httpPort: http.port } : {}),
    };
    if (configError) s.message = `config error: ${configError}`;
    else if (models === 0) s.message = 'No models configured: add one to config.yaml in the data dir.';
    return s;
  };
  const broadcastStatus = (): void => {
    for (const c of clients) c.status(status());
  };

  // ---- HTTP door
  let team: TeamHttp | undefined = undefined;
  const app = buildApp(services, {
    credentialAccepted: (request) => team?.accepts(request) ?? false,
    guard: () => ({ token: config.server.token, allowedHosts: config.server.allowedHosts }),
    bodyLimitBytes: config.server.bodyLimitBytes,
    plugins: [createDashboardPlugin({ lastBenchmark: () => loadLastBenchmark(dataDir) })],
    onActivity: () => {
      lastActivity = Date.now();
    },
    logError: (err) => log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  });
  const shutdownAll = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`shutdown step failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  team = await registerTeam(app, {
    store,
    url: databaseUrl(config, baseEnv),
    host: config.server.host,
    token: () => config.server.token,
    subscribe: (listener) => services.events.subscribe(listener),
    log,
    telemetry: config.telemetry,
  }).catch(async (err: unknown) => {
    await shutdownAll();
    throw new DaemonStartError((err as Error).message, 2);
  });
  cleanups.push(() => team?.close());
  try {
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    await shutdownAll();
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE') {
      throw new DaemonStartError(
        `Port ${config.server.port} on ${config.server.host} is already in use. Pick another with --port or server.port.`,
        1,
      );
    }
    throw err;
  }
  cleanups.push(async () => {
    // In-flight answers get a few seconds to finish; then every connection is cut.
    const cut = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    await app.close();
    clearTimeout(cut);
  });
  const address = app.server.address();
  http = { host: config.server.host, port: typeof address === 'object' && address ? address.port : config.server.port };
  log(`HTTP API on http://${http.host}:${http.port}/v1 (dashboard: /dashboard), data dir ${dataDir}`);

  // ---- JSON-RPC door (one connection per VS Code window)
  let rpcPath: string | null = null;
  if (options.rpc !== false) {
    const endpoint = rpcEndpoint(dataDir);
    // We hold the data-dir lock, so a socket file left here is a dead daemon's.
    if (endpoint.transport === 'unix' && existsSync(endpoint.path)) unlinkSync(endpoint.path);
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      const connection = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
      const detach = registerRpcHandlers(connection, services, {
        vscodeLm,
        setSecrets: (env) => {
          Object.assign(secrets, env);
          void reload('API keys from VS Code');
        },
        status,
        benchmark: (params, onProgress) => benchmark(params, onProgress, dataDir, config),
        lastBenchmark: () => loadLastBenchmark(dataDir),
      });
      const client = {
        dispose: () => connection.dispose(),
        status: (s: DaemonStatus) => void connection.sendNotification('fugusashi/status', s).catch(() => undefined),
      };
      clients.add(client);
      let left = false;
      const leave = (): void => {
        if (left) return;
        left = true;
        clients.delete(client);
        sockets.delete(socket);
        // `exit` from the window, or the daemon closing: the connection is done, so is its socket.
        socket.destroy();
        detach();
        lastActivity = Date.now();
        log(`RPC client left (${clients.size} connected)`);
      };
      connection.onClose(leave);
      connection.onDispose?.(leave);
      socket.on('close', () => {
        leave();
        connection.dispose();
      });
      socket.on('error', () => socket.destroy());
      connection.listen();
      client.status(status());
      log(`RPC client joined (${clients.size} connected)`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(endpoint.path, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch(async (err: unknown) => {
      await shutdownAll();
      throw err;
    });
    rpcPath = endpoint.path;
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of [...sockets]) s.destroy();
          for (const c of [...clients]) c.dispose();
          server.close(() => resolve());
        }),
    );
    log(`JSON-RPC on ${endpoint.path}`);
  }

  // ---- daemon.json: written last, when both doors answer
  const daemonFile: DaemonFile = {
    pid: process.pid,
    version: VERSION,
    host: http.host,
    port: http.port,
    started_at: startedAt,
    data_dir: dataDir,
    config_path: configPath,
    rpc: rpcPath
      ? { transport: process.platform === 'win32' ? 'pipe' : 'unix', path: rpcPath }
      : { transport: 'unix', path: '' },
    idle_shutdown_seconds: idleSeconds,
  };
  const daemonFilePath = path.join(dataDir, DAEMON_FILE);
  writeAtomic(daemonFilePath, JSON.stringify(daemonFile, null, 2) + '\n');
  cleanups.splice(1, 0, () => rmSync(daemonFilePath, { force: true }));
  log(`ready: pid ${process.pid}, ${daemonFilePath}`);

  // ---- config watch: a changed file is reloaded; an invalid one keeps the last good config
  if (options.watch !== false && configPath) {
    const stop = watchConfig(
      configPath,
      (next) => apply(next, 'file changed'),
      (err) => reportConfigError(err, 'file changed'),
      resolveOptions(),
    );
    cleanups.push(stop);
  }

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing: Promise<void> | null = null;
  const close = (reason = 'closed'): Promise<void> => {
    closing ??= (async () => {
      log(`shutting down (${reason})`);
      await shutdownAll();
      resolveClosed();
    })();
    return closing;
  };

  if (idleSeconds > 0) {
    const timer = setInterval(
      () => {
        if (clients.size === 0 && Date.now() - lastActivity >= idleSeconds * 1000)
          void close(`idle for ${idleSeconds}s`);
      },
      Math.min(5000, Math.max(200, (idleSeconds * 1000) / 4)),
    );
    timer.unref();
    cleanups.unshift(() => clearInterval(timer));
  }

  return {
    host: http.host,
    port: http.port,
    url: `http://${http.host}:${http.port}`,
    dataDir,
    rpcPath,
    services,
    close,
    closed,
  };
}

function buildLearner(
  options: DaemonOptions,
  store: Store,
  config: ResolvedConfig,
  log: (line: string) => void,
): Learner | undefined {
  const choice = options.learner ?? 'auto';
  if (choice === 'off') return undefined;
  if (typeof choice === 'function') return choice(store, config);
  const wanted = config.routing.strategies.some((s) => s === 'learned' || s === 'similarity');
  if (!wanted) return undefined;
  const r = config.routing;
  return createLearner({
    store,
    dataDir: config.server.dataDir,
    embeddings: { backend: r.embeddings.backend, ...(r.embeddings.model ? { model: r.embeddings.model } : {}) },
    log,
    strategy: {
      minConfidence: r.minConfidence,
      explorationRate: r.explorationRate,
      strongWinThreshold: r.strongWinThreshold,
    },
    // The feedback service triggers refits (it knows about config reloads); the learner does not on its own.
    retrainEvery: 0,
  });
}

/** fugusashi/benchmark over RPC: the same runner as `fugusashi benchmark`. */
async function benchmark(
  params: BenchmarkParams,
  onProgress: (p: BenchmarkProgress) => void,
  dataDir: string,
  config: ResolvedConfig,
): Promise<BenchmarkReport> {
  const options: BenchmarkOptions = { cacheDir: path.join(dataDir, 'benchmark-cache') };
  const e = config.routing.embeddings;
  options.embeddings = { backend: e.backend, ...(e.model ? { model: e.model } : {}) };
  if (params.strong) options.strong = params.strong;
  if (params.weak) options.weak = params.weak;
  switch (params.mode) {
    case 'sample':
      Object.assign(options, { file: samplePath(), sample: true });
      break;
    case 'split':
      Object.assign(options, { train: params.dataset, test: params.test });
      break;
    case 'folds':
      Object.assign(options, { file: params.dataset, folds: params.folds ?? 5 });
      break;
    case 'online':
      Object.assign(options, { file: params.dataset, online: true });
      break;
  }
  const report = await runBenchmark(options, (p) => onProgress({ ...p, run_id: params.runId }));
  // The dashboard charts the most recent run, also after this daemon restarts.
  saveLastBenchmark(dataDir, report);
  return report;
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** `node dist/daemon.js [--config F] [--data-dir D] [--host H] [--port N] [--idle-shutdown-seconds S] [--log-file F] [--cost-weight N] [--exploration-rate R]` */
export async function runDaemonProcess(argv: readonly string[]): Promise<void> {
  const flags = parseDaemonFlags(argv);
  const log = (line: string): void => {
    const text = `${new Date().toISOString()} ${line}\n`;
    process.stderr.write(text);
    if (flags.logFile) {
      try {
        appendFileSync(flags.logFile, text);
      } catch {
        // a log file we cannot write must not take the daemon down
      }
    }
  };
  let daemon: RunningDaemon;
  try {
    daemon = await startDaemon({ ...flags, log });
  } catch (err) {
    const code = err instanceof DaemonStartError ? err.exitCode : 1;
    log(`fugusashi: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = code;
    return;
  }
  const onSignal = (signal: string): void => {
    void daemon.close(signal);
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  await daemon.closed;
  // Sockets kept alive by clients must not keep a stopped daemon around.
  setTimeout(() => process.exit(0), 500).unref();
}

export interface DaemonFlags {
  configPath?: string;
  dataDir?: string;
  host?: string;
  port?: number;
  token?: string;
  idleShutdownSeconds?: number;
  logFile?: string;
  costWeight?: number;
  explorationRate?: number;
}

/** Flags shared by `fugusashi serve` and dist/daemon.js. Throws on unknown or malformed flags. */
export function parseDaemonFlags(argv: readonly string[]): DaemonFlags {
  const flags: DaemonFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${name} needs a value`);
      return v;
    };
    const int = (min: number, max: number): number => {
      const raw = value();
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max)
        throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return n;
    };
    const ratio = (min: number, max: number): number => {
      const raw = value();
      const n = Number(raw);
      if (!Number.isFinite(n) || n < min || n > max)
        throw new Error(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
      return n;
    };
    switch (name) {
      case '--config':
        flags.configPath = value();
        break;
      case '--data-dir':
        flags.dataDir = value();
        break;
      case '--host':
        flags.host = value();
        break;
      case '--port':
        flags.port = int(0, 65535);
        break;
      case '--token':
        flags.token = value();
        break;
      case '--idle-shutdown-seconds':
        flags.idleShutdownSeconds = int(0, 7 * 24 * 3600);
        break;
      case '--log-file':
        flags.logFile = value();
        break;
      case '--cost-weight':
        flags.costWeight = ratio(0, Number.MAX_SAFE_INTEGER);
        break;
      case '--exploration-rate':
        flags.explorationRate = ratio(0, 1);
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  return flags;
}

// Run when this file is the entry point (dist/daemon.js, or `tsx daemon/main.ts`), not when the CLI
// bundle includes it: the CLI calls startDaemon itself.
if (/^(daemon|main)\.[cm]?[jt]s$/.test(path.basename(process.argv[1] ?? ''))) {
  try {
    parseDaemonFlags(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`fugusashi daemon: ${(err as Error).message}\n`);
    process.exit(2);
  }
  void runDaemonProcess(process.argv.slice(2));
}
