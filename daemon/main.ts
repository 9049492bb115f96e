// Composition root of the daemon: the one place that builds the parts and wires them together.
// In order: resolve the config → take the data-dir lock and open the store → build the learner,
// the providers and the services → open the two doors (HTTP for tools and the dashboard,
// JSON-RPC for VS Code windows) → publish daemon.json. Every part registers its cleanup under a
// named shutdown phase (app/lifecycle.ts), so the shutdown order is written down once.
// How clients find and join the one daemon of a data directory: ARCHITECTURE.md, "Lifecycle".
import path from 'node:path';
import { EXIT_ALREADY_RUNNING } from '../shared/daemon';
import { publishDaemonFile, rpcEndpoint } from './app/daemon-file';
import { IdleWatchdog } from './app/idle';
import { buildLearner } from './app/learner';
import { Lifecycle } from './app/lifecycle';
import { LiveConfig } from './app/live-config';
import { runDaemonProcess } from './app/process';
import { startRpcServer } from './app/rpc-server';
import { DaemonStartError, type DaemonOptions, type RunningDaemon } from './app/types';
import { ConfigError } from './config';
import { buildApp } from './http/app';
import { createDashboardPlugin } from './http/dashboard';
import { createOrchestrator } from './orchestrator';
import { createProviderRegistry } from './providers';
import { registerRpcHandlers } from './rpc/handlers';
import { VscodeLmHub } from './rpc/vscode-lm-hub';
import { createServices } from './services';
import { BenchmarkService } from './services/benchmark';
import { acquireDataDirLock, DataDirLockedError, openStore } from './store';
import { VERSION } from './version';

export { rpcEndpoint, type DaemonRpcEndpoint } from './app/daemon-file';
export { parseDaemonFlags, type DaemonFlags } from './app/flags';
export { runDaemonProcess } from './app/process';
export { DaemonStartError, type DaemonOptions, type RunningDaemon } from './app/types';

/** How long a graceful shutdown waits for requests in flight. */
const SHUTDOWN_GRACE_MS = 5000;

export async function startDaemon(options: DaemonOptions = {}): Promise<RunningDaemon> {
  const startedAt = Date.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
  const live = await LiveConfig.load({ ...options, env: options.env ?? process.env, log }).catch((err: unknown) => {
    throw err instanceof ConfigError ? new DaemonStartError(err.message, 2) : err;
  });
  const dataDir = live.current.server.dataDir;
  const lifecycle = new Lifecycle(log);
  // From here on every failure runs the shutdown phases registered so far, then reports the error.
  const abort = async (err: unknown): Promise<never> => {
    await lifecycle.shutdown('start failed');
    throw err;
  };

  // ---- the data: one daemon per data dir, then the store and what learns from it
  let lock;
  try {
    lock = acquireDataDirLock(dataDir);
  } catch (err) {
    throw err instanceof DataDirLockedError ? new DaemonStartError(err.message, EXIT_ALREADY_RUNNING) : err;
  }
  const store = await openStore({ dataDir, lock, log }).catch((err: unknown) => {
    lock.release();
    throw err;
  });
  lifecycle.onShutdown('close-store', () => store.close());
  const learner = buildLearner(options.learner ?? 'auto', store, live.current, log);
  // The learner's initial load reads the store: it must be stopped before the store closes.
  if (learner?.close) lifecycle.onShutdown('stop-background', () => learner.close?.());

  // ---- the services both doors translate onto
  const vscodeLm = new VscodeLmHub();
  const providers = createProviderRegistry({ vscodeLm });
  let http: { host: string; port: number } | null = null;
  const services = createServices({
    config: () => live.services,
    store,
    learner,
    provider: (kind) => providers.get(kind),
    orchestrator: (gateway) => createOrchestrator({ gateway, config: () => live.services.orchestrator }),
    runtime: () => ({ pid: process.pid, startedAt, http, dataDir, configPath: live.path, configError: live.error }),
    log,
  });
  const e = () => live.current.routing.embeddings;
  const benchmark = new BenchmarkService({
    dataDir,
    embeddings: () => ({ backend: e().backend, ...(e().model ? { model: e().model } : {}) }),
    events: services.events,
  });
  lifecycle.onShutdown('stop-background', () => benchmark.cancelAll());

  // ---- HTTP door
  const idle = new IdleWatchdog(
    options.idleShutdownSeconds ?? live.current.server.idleShutdownSeconds,
    () => rpcClients(),
    (why) => void lifecycle.shutdown(why),
  );
  const server = live.current.server;
  const app = buildApp(services, {
    guard: () => ({ token: live.current.server.token, allowedHosts: live.current.server.allowedHosts }),
    bodyLimitBytes: server.bodyLimitBytes,
    plugins: [createDashboardPlugin({ lastBenchmark: () => benchmark.last() })],
    onActivity: () => idle.touch(),
    logError: (err) => log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  });
  try {
    await app.listen({ host: server.host, port: server.port });
  } catch (err) {
    const inUse = (err as { code?: string }).code === 'EADDRINUSE';
    const message = `Port ${server.port} on ${server.host} is already in use. Pick another with --port or server.port.`;
    await abort(inUse ? new DaemonStartError(message, 1) : err);
  }
  lifecycle.onShutdown('close-http', async () => {
    // In-flight answers get a few seconds to finish; then every connection is cut.
    const cut = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    await app.close();
    clearTimeout(cut);
  });
  const address = app.server.address();
  http = { host: server.host, port: typeof address === 'object' && address ? address.port : server.port };
  log(`HTTP API on http://${http.host}:${http.port}/v1 (dashboard: /dashboard), data dir ${dataDir}`);
  const status = () => ({ ...live.status(), ...(http ? { httpPort: http.port } : {}) });

  // ---- JSON-RPC door: one connection per VS Code window
  const endpoint = options.rpc === false ? null : rpcEndpoint(dataDir);
  const notifyStatus = new Set<() => void>();
  live.onChange(() => notifyStatus.forEach((notify) => notify()));
  const rpc = !endpoint
    ? null
    : await startRpcServer(endpoint, ({ connection, left }) => {
        const detach = registerRpcHandlers(connection, services, {
          vscodeLm,
          setSecrets: (env) => void live.addSecrets(env),
          status,
          benchmark,
        });
        const notify = () => void connection.sendNotification('fugusashi/status', status()).catch(() => undefined);
        notifyStatus.add(notify);
        void left.then(() => {
          notifyStatus.delete(notify);
          detach();
          idle.touch();
          log(`RPC client left (${rpcClients()} connected)`);
        });
        notify();
        log(`RPC client joined (${rpcClients()} connected)`);
      }).catch(abort);
  const rpcClients = () => rpc?.clients ?? 0;
  if (rpc && endpoint) {
    lifecycle.onShutdown('close-rpc', () => rpc.close());
    log(`JSON-RPC on ${endpoint.path}`);
  }

  // ---- daemon.json: written last, when both doors answer
  const published = publishDaemonFile(dataDir, {
    pid: process.pid,
    version: VERSION,
    host: http.host,
    port: http.port,
    started_at: startedAt,
    data_dir: dataDir,
    config_path: live.path,
    rpc: endpoint ?? { transport: 'unix', path: '' },
    idle_shutdown_seconds: options.idleShutdownSeconds ?? live.current.server.idleShutdownSeconds,
  });
  lifecycle.onShutdown('unpublish', published.remove);
  log(`ready: pid ${process.pid}, ${published.path}`);

  // ---- what runs on its own: config hot reload and the idle watchdog
  if (options.watch !== false) lifecycle.onShutdown('stop-watchers', live.watch());
  idle.start();
  lifecycle.onShutdown('stop-watchers', () => idle.stop());

  return {
    host: http.host,
    port: http.port,
    url: `http://${http.host}:${http.port}`,
    dataDir,
    rpcPath: endpoint?.path ?? null,
    services,
    close: (reason = 'closed') => lifecycle.shutdown(reason),
    closed: lifecycle.closed,
  };
}

// Run when this file is the entry point (dist/daemon.js, or `tsx daemon/main.ts`), not when the CLI
// bundle includes it: the CLI calls runDaemonProcess itself.
if (/^(daemon|main)\.[cm]?[jt]s$/.test(path.basename(process.argv[1] ?? ''))) {
  runDaemonProcess(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`fugusashi daemon: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
