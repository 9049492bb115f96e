// Composition root of the daemon: the one place that builds the parts and wires them together.
// In order: resolve the config → take the data-dir lock and open the store → build the learner,
// the providers and the services → open the two doors (HTTP for tools and the dashboard,
// JSON-RPC for VS Code windows) → publish daemon.json. Every part registers its cleanup under a
// named shutdown phase (app/lifecycle.ts), so the shutdown order is written down once.
// How clients find and join the one daemon of a data directory: ARCHITECTURE.md, "Lifecycle".
import path from 'node:path';
import { EXIT_ALREADY_RUNNING } from '../shared/daemon';
import { publishDaemonFile, rpcEndpoint } from './app/daemon-file';
import { listenHttp, openRpcDoor, type RpcDoor } from './app/doors';
import { IdleWatchdog } from './app/idle';
import { startIdleMemory } from './app/idle-memory';
import { buildLearner } from './app/learner';
import { Lifecycle } from './app/lifecycle';
import { LiveConfig } from './app/live-config';
import { runDaemonProcess } from './app/process';
import { DaemonStartError, type DaemonOptions, type RunningDaemon } from './app/types';
import { ConfigError } from './config';
import { buildApp } from './http/app';
import { exposureWarning } from './http/guard';
import { createDashboardPlugin } from './http/dashboard';
import { createOrchestrator } from './orchestrator';
import { PluginHost } from './plugins/host';
import { JsonlCacheStore } from './services/cache/jsonl-store';
import { createProviderRegistry } from './providers';
import { VscodeLmHub } from './rpc/vscode-lm-hub';
import { VscodeLmAvailability } from './services/vscode-lm-availability';
import { createServices } from './services';
import { BenchmarkService } from './services/benchmark';
import { acquireDataDirLock, DataDirLockedError } from './store';
import { databaseUrl, openConfiguredStore, registerTeam, shareLearning, type TeamHttp } from './team';
import { VERSION } from './version';

export { rpcEndpoint, type DaemonRpcEndpoint } from './app/daemon-file';
export { parseDaemonFlags, type DaemonFlags } from './app/flags';
export { runDaemonProcess } from './app/process';
export { DaemonStartError, type DaemonOptions, type RunningDaemon } from './app/types';

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
  const env = options.env ?? process.env;
  const store = await openConfiguredStore({ config: live.current, dataDir, lock, log, env }).catch((err: unknown) => {
    lock.release();
    throw err;
  });
  lifecycle.onShutdown('close-store', () => store.close());
  const built = buildLearner(options.learner ?? 'auto', store, live.current, log, () => live.current.models);
  // The learner's initial load reads the store: it must be stopped before the store closes.
  if (built?.close) lifecycle.onShutdown('stop-background', () => built.close?.());
  // Team mode (a PostgreSQL store): outcomes other replicas accept reach this learner too.
  const shared = shareLearning(store, built, { url: databaseUrl(live.current, env), log });
  lifecycle.onShutdown('stop-background', () => shared.close());
  const learner = shared.learner;

  // Routing plugins (routing.plugins): loaded below, before the doors open, and on every reload.
  const plugins = new PluginHost(log);

  // ---- the services both doors translate onto
  const vscodeLm = new VscodeLmHub();
  const providers = createProviderRegistry({ vscodeLm });
  // vscode-lm members count as available only while a connected window offers their model.
  const withWindows = new VscodeLmAvailability(vscodeLm);
  let http: { host: string; port: number } | null = null;
  const services = createServices({
    config: () => withWindows.view(live.services),
    store,
    learner,
    provider: (kind) => providers.get(kind),
    orchestrator: (gateway) => createOrchestrator({ gateway, config: () => live.services.orchestrator }),
    runtime: () => ({ pid: process.pid, startedAt, http, dataDir, configPath: live.path, configError: live.error }),
    log,
    plugins,
    // gateway (issue 12): response-cache entries survive restarts in the data dir.
    responseCacheStore: new JsonlCacheStore(path.join(dataDir, 'response-cache.jsonl')),
  });
  // Outcomes the learner takes from the store count toward retrain_every like the service's own.
  // Wired with no await since shareLearning: none can arrive before it (they come as messages).
  shared.onStoreOutcomes((count) => services.feedback.countLearnedFromStore(count));
  await plugins.load(live.current.routing.plugins, live.current.routing.pluginBudgetMs);
  live.onChange(() => void plugins.load(live.current.routing.plugins, live.current.routing.pluginBudgetMs));
  const e = () => live.current.routing.embeddings;
  const benchmark = new BenchmarkService({
    dataDir,
    embeddings: () => ({ backend: e().backend, ...(e().model ? { model: e().model } : {}) }),
    events: services.events,
  });
  lifecycle.onShutdown('stop-background', () => benchmark.cancelAll());

  // ---- HTTP door
  let rpc: RpcDoor | null = null;
  const idleSeconds = options.idleShutdownSeconds ?? live.current.server.idleShutdownSeconds;
  const idle = new IdleWatchdog(
    idleSeconds,
    () => rpc?.server.clients ?? 0,
    (why) => void lifecycle.shutdown(why),
  );
  let team: TeamHttp | undefined = undefined;
  const app = buildApp(services, {
    credentialAccepted: (request) => team?.accepts(request) ?? false,
    // The live server settings themselves (token, allowedHosts): no object built per request.
    guard: () => live.current.server,
    bodyLimitBytes: live.current.server.bodyLimitBytes,
    plugins: [createDashboardPlugin({ lastBenchmark: () => benchmark.last() })],
    onActivity: () => idle.touch(),
    logError: (err) => log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  });
  team = await registerTeam(app, {
    store,
    url: databaseUrl(live.current, env),
    host: live.current.server.host,
    token: () => live.current.server.token,
    subscribe: (listener) => services.events.subscribe(listener),
    log,
    telemetry: live.current.telemetry,
  }).catch((err: unknown) => abort(new DaemonStartError((err as Error).message, 2)));
  lifecycle.onShutdown('stop-background', () => team?.close());
  const { host, port } = live.current.server;
  const listening = await listenHttp(app, { host, port }, lifecycle).catch(abort);
  http = listening;
  log(`HTTP API on http://${listening.host}:${listening.port}/v1 (dashboard: /dashboard), data dir ${dataDir}`);
  const exposed = exposureWarning(host, Boolean(live.current.server.token) || (team?.keysRequired() ?? false));
  if (exposed) log(exposed);

  // ---- JSON-RPC door: one connection per VS Code window
  const endpoint = options.rpc === false ? null : rpcEndpoint(dataDir);
  if (endpoint) {
    const hooks = {
      vscodeLm,
      benchmark,
      setSecrets: (env: Record<string, string>) => void live.addSecrets(env),
      status: () => ({ ...live.status(), httpPort: listening.port }),
    };
    rpc = await openRpcDoor(endpoint, services, hooks, { lifecycle, onLeave: () => idle.touch(), log }).catch(abort);
    live.onChange(() => rpc?.broadcastStatus());
  }

  // ---- daemon.json: written last, when both doors answer
  const published = publishDaemonFile(dataDir, {
    pid: process.pid,
    version: VERSION,
    host: listening.host,
    port: listening.port,
    started_at: startedAt,
    data_dir: dataDir,
    config_path: live.path,
    rpc: endpoint ?? { transport: 'unix', path: '' },
    idle_shutdown_seconds: idleSeconds,
  });
  lifecycle.onShutdown('unpublish', published.remove);
  log(`ready: pid ${process.pid}, ${published.path}`);

  // ---- what runs on its own: config hot reload, the idle watchdog and the idle collection
  if (options.watch !== false) lifecycle.onShutdown('stop-watchers', live.watch());
  idle.start();
  lifecycle.onShutdown('stop-watchers', () => idle.stop());
  const idleMemory = startIdleMemory(options.idleMemory, log, () => idle.lastActivityAt);
  lifecycle.onShutdown('stop-watchers', () => idleMemory?.stop());

  return {
    ...listening,
    url: `http://${listening.host}:${listening.port}`,
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
