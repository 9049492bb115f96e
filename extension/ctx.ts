// The extension's one context object (rust-analyzer's Ctx): it owns the daemon client, the status
// bar, the output channel and two cleanup scopes: the extension's (until deactivate) and the
// client's (until the client is replaced by "Restart Daemon" or a settings change).
import path from 'node:path';
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import type { DaemonFile } from '../shared/daemon';
import type { NotificationType } from 'vscode-jsonrpc';
import { ChatChunkNotification, HealthRequest, StatusNotification } from '../shared/protocol';
import { affectsDaemon, readSettings, settingsChangeAction, type DaemonSettings } from './config';
import { awaitConnection } from './daemon/awaitConnection';
import { coalesce } from './daemon/coalesce';
import { createClient, rpcOf } from './daemon/client';
import { daemonArgs, isAlive, joinOrStart } from './daemon/discovery';
import { LogTail } from './daemon/logTail';
import { retryWhileAllowed } from './daemon/reconnect';
import { RestartPolicy } from './daemon/restartPolicy';
import { DaemonVersionCheck } from './daemon/version';
import { Commands } from './ids';
import { ChunkRouter, type DaemonRpc, type DisposableLike } from './rpc';
import { daemonStatusPatch, StatusBar } from './statusBar';

export interface LastAnswer {
  requestId: string;
  model: string;
  prompt: string;
}

export interface DaemonFacts {
  info: DaemonFile | undefined;
  /** This window started the daemon (false: it joined a running one). */
  startedHere: boolean;
  /** ms from "connect" to a connected socket (spawn included when startedHere). */
  connectMs: number | undefined;
  /** ms from "connect" to the answered `initialize` (client Running). */
  readyMs: number | undefined;
  connections: number;
}

/** Per-connection setup a feature needs (handlers registered on each new client). */
export type ClientSetup = (rpc: DaemonRpc) => DisposableLike[];

export class Ctx implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel('Fugusashi', { log: true });
  readonly status = new StatusBar();
  readonly chunks = new ChunkRouter();
  lastAnswer: LastAnswer | undefined;
  readonly facts: DaemonFacts = {
    info: undefined,
    startedHere: false,
    connectMs: undefined,
    readyMs: undefined,
    connections: 0,
  };

  private settings: DaemonSettings = readSettings();
  private client: LanguageClient | undefined;
  private clientRpc: DaemonRpc | undefined;
  private clientScope: DisposableLike[] = [];
  private readonly setups: ClientSetup[] = [];
  /** Notification listeners by method: the client keeps ONE handler per method, so we fan out. */
  private readonly listeners = new Map<
    string,
    { type: NotificationType<unknown>; handlers: Set<(p: unknown) => void> }
  >();
  private readonly connected = new vscode.EventEmitter<DaemonRpc>();
  /** Fires each time a connection to the daemon is ready (first start, reconnects, restarts). */
  readonly onDidConnect = this.connected.event;
  private readonly failedEmitter = new vscode.EventEmitter<string>();
  /** Fires with the reason when the daemon could not be started or reconnected (status "failed"). */
  readonly onDidFail = this.failedEmitter.event;
  private readonly disconnected = new vscode.EventEmitter<void>();
  /** Fires when the connection is lost or this window stops its client (restart, settings change). */
  readonly onDidDisconnect = this.disconnected.event;
  private policy = new RestartPolicy(this.settings.maxRestarts);
  private readonly logTail: LogTail;
  private readonly versionCheck: DaemonVersionCheck;
  private stopping = false;
  private connectStartedAt = 0;
  /** The connection closed and the client is restarting: a failed connect is retried (reconnect.ts). */
  private reconnecting = false;
  /** Why the last connect failed (undefined: it did not); shown when the client gives up. */
  private connectError: string | undefined;
  /** Changes when the client is stopped or replaced, so a retry loop of the old client ends. */
  private generation = 0;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.listen(ChatChunkNotification, this.chunks.dispatch);
    this.listen(StatusNotification, (s) => this.status.update(daemonStatusPatch(s, this.status.current)));
    this.versionCheck = new DaemonVersionCheck(
      (extension.extension.packageJSON as { version?: string }).version ?? '0',
      (line) => this.output.warn(line),
    );
    this.logTail = new LogTail(
      () => this.logFile,
      (text) => this.output.append(text.replace(/\n$/, '')),
    );
    extension.subscriptions.push(
      this,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsDaemon(e)) this.settingsChanged();
      }),
    );
  }

  get daemonScript(): string {
    return this.extension.asAbsolutePath(path.join('dist', 'daemon.js'));
  }

  get logFile(): string {
    return path.join(this.settings.dataDir, 'daemon.log');
  }

  get dataDir(): string {
    return this.settings.dataDir;
  }

  /** Registers per-client setup; runs now if a client exists, and for every future client. */
  onClient(setup: ClientSetup): void {
    this.setups.push(setup);
    if (this.clientRpc) this.clientScope.push(...setup(this.clientRpc));
  }

  /** Listens to a daemon → client notification across reconnects and client replacements. */
  listen<P>(type: NotificationType<P>, handler: (params: P) => void): vscode.Disposable {
    let entry = this.listeners.get(type.method);
    if (!entry) {
      const created = { type: type as NotificationType<unknown>, handlers: new Set<(p: unknown) => void>() };
      this.listeners.set(type.method, created);
      if (this.clientRpc) this.clientScope.push(this.subscribe(this.clientRpc, created));
      entry = created;
    }
    const handlers = entry.handlers;
    handlers.add(handler as (p: unknown) => void);
    return new vscode.Disposable(() => handlers.delete(handler as (p: unknown) => void));
  }

  private subscribe(
    rpc: DaemonRpc,
    entry: { type: NotificationType<unknown>; handlers: Set<(p: unknown) => void> },
  ): DisposableLike {
    return rpc.onNotification(entry.type, (params) => {
      for (const h of entry.handlers) {
        try {
          h(params);
        } catch (err) {
          this.output.error(`${entry.type.method} listener: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    });
  }

  /** A connection is up now (rpc() would resolve at once). */
  isConnected(): boolean {
    return this.status.current.phase === 'running';
  }

  /** The connection, once the daemon answers; rejects after `timeoutMs` or when the start fails. */
  async rpc(timeoutMs = 30_000): Promise<DaemonRpc> {
    if (this.client?.state === State.Running && this.clientRpc) return this.clientRpc;
    if (!this.client || this.client.state === State.Stopped || this.client.state === State.StartFailed) {
      if (this.status.current.phase === 'failed' || this.status.current.phase === 'stopped') {
        throw new Error(
          `the Fugusashi daemon is not running (${this.status.current.message ?? 'stopped'}); run “Fugusashi: Restart Daemon”`,
        );
      }
    }
    return awaitConnection({ onDidConnect: this.onDidConnect, onDidFail: this.onDidFail }, timeoutMs);
  }

  async start(): Promise<void> {
    this.settings = readSettings();
    this.policy = new RestartPolicy(this.settings.maxRestarts);
    this.stopping = false;
    this.status.update({ phase: 'starting', message: undefined });
    this.logTail.start();
    const client = createClient({
      connect: () => this.connect(),
      onClosed: () => this.onConnectionClosed(),
      output: this.output,
    });
    this.client = client;
    const rpc = rpcOf(client);
    this.clientRpc = rpc;
    this.clientScope.push(
      client.onDidChangeState(({ newState }) => {
        if (newState === State.Running) void this.onRunning(rpc);
        // A restart whose connect failed for good: vscode-languageclient only logs it.
        if (newState === State.StartFailed && this.reconnecting && !this.stopping && this.connectError !== undefined) {
          this.reconnecting = false;
          const message = `could not reconnect to the daemon: ${this.connectError}`;
          this.output.error(message);
          this.fail(message);
        }
      }),
    );
    for (const entry of this.listeners.values()) this.clientScope.push(this.subscribe(rpc, entry));
    for (const setup of this.setups) this.clientScope.push(...setup(rpc));
    try {
      await client.start();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.output.error(`daemon start failed: ${message}`);
      this.fail(message);
    }
  }

  /** Stops this window's client. The daemon keeps running for other windows and tools. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.reconnecting = false;
    this.generation += 1;
    const client = this.client;
    this.client = undefined;
    this.clientRpc = undefined;
    for (const d of this.clientScope.splice(0)) d.dispose();
    if (client) {
      try {
        if (client.isRunning()) await client.stop(2000);
      } catch (err) {
        this.output.warn(`client stop: ${err instanceof Error ? err.message : String(err)}`);
      }
      await client.dispose().catch(() => undefined);
    }
    this.status.update({ phase: 'stopped' });
    this.disconnected.fire();
  }

  /** Reconnects; with `killDaemon`, first ends the running daemon (every window then reconnects to a new one). */
  async restart(killDaemon: boolean): Promise<void> {
    const info = this.facts.info;
    await this.stop();
    // Requests made meanwhile wait for the new connection (rpc()) instead of failing as "stopped".
    this.status.update({ phase: 'starting', message: undefined });
    if (killDaemon && info && isAlive(info.pid)) {
      this.output.info(`stopping daemon pid ${info.pid}`);
      process.kill(info.pid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (isAlive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (isAlive(info.pid)) process.kill(info.pid, 'SIGKILL');
    }
    await this.start();
  }

  /** One restart per burst of changes (a number typed in the Settings editor), never two at once. */
  private readonly settingsChanged = coalesce(
    () => this.applySettingsChange(),
    1000,
    (err) => this.output.error(`applying changed settings: ${err instanceof Error ? err.message : String(err)}`),
  );

  /** A daemon setting changed: reconnect or restart so that it takes effect (config.ts settingsChangeAction). */
  private async applySettingsChange(): Promise<void> {
    const action = settingsChangeAction(this.settings, readSettings(), {
      startedHere: this.facts.startedHere,
      connected: this.status.current.phase === 'running',
    });
    if (action === 'none') return;
    if (action === 'reconnect') {
      this.output.info('data directory changed: connecting to its daemon');
      return this.restart(false);
    }
    if (action === 'restart') {
      this.output.info('daemon settings changed: restarting the daemon with them');
      return this.restart(true);
    }
    const pid = this.facts.info?.pid;
    // The window that started the daemon restarts it at once (it saw the same change): when this
    // window is soon on another daemon, that one was started with the new settings; nothing to ask.
    for (let waited = 0; waited < 10_000 && this.facts.info?.pid === pid; waited += 250)
      await new Promise((r) => setTimeout(r, 250));
    if (this.facts.info?.pid !== pid) return;
    this.output.info(
      `daemon settings changed; the running daemon (pid ${pid}) was started elsewhere and keeps its own`,
    );
    const restart = 'Restart Daemon';
    // Not awaited: a notification nobody answers would hold back every later settings change.
    void vscode.window
      .showInformationMessage(
        `Fugusashi: the running daemon (pid ${pid}) was started by another window or \`fugusashi serve\` and keeps its settings until it restarts.`,
        restart,
      )
      .then((pick) => (pick === restart ? vscode.commands.executeCommand(Commands.restartDaemon) : undefined));
  }

  private async connect() {
    this.connectStartedAt = Date.now();
    this.connectError = undefined;
    // Read again on every connect: a reconnect may start the daemon (another window just ended it
    // to apply changed settings), and must start it with today's settings, not the window's first.
    const s = (this.settings = readSettings());
    const generation = this.generation;
    const joinOnce = () =>
      joinOrStart(
        { execPath: process.execPath, script: this.daemonScript, dataDir: s.dataDir, args: daemonArgs(s) },
        { log: (line) => this.output.info(line) },
      );
    let joined;
    try {
      joined = !this.reconnecting
        ? await joinOnce()
        : await retryWhileAllowed(joinOnce, {
            policy: this.policy,
            backoffMs: 1000,
            cancelled: () => this.stopping || this.generation !== generation,
            onRetry: (err) => {
              this.output.warn(
                `reconnecting failed: ${err instanceof Error ? err.message : String(err)}; trying again`,
              );
              this.status.update({ phase: 'restarting', restarts: this.policy.used });
            },
          });
    } catch (err) {
      this.connectError = err instanceof Error ? err.message : String(err);
      throw err;
    }
    this.facts.info = joined.info;
    this.facts.startedHere = joined.started;
    this.facts.connectMs = joined.elapsedMs;
    this.output.info(
      `${joined.started ? 'started' : 'joined'} daemon pid ${joined.info.pid} (http ${joined.info.host}:${joined.info.port}) in ${joined.elapsedMs} ms`,
    );
    this.status.update({ pid: joined.info.pid, port: joined.info.port });
    // Not awaited: the notice waits for the user, the connection must not.
    void this.versionCheck.joined(joined.info, joined.started);
    joined.socket.on('close', () => this.output.info('daemon connection closed'));
    return { reader: joined.socket, writer: joined.socket };
  }

  private onConnectionClosed(): boolean {
    if (this.stopping) return false;
    this.disconnected.fire();
    if (this.policy.shouldRestart()) {
      this.reconnecting = true;
      this.status.update({ phase: 'restarting', restarts: this.policy.used });
      this.output.warn(`daemon connection lost; reconnecting (${this.policy.used}/${this.settings.maxRestarts})`);
      return true;
    }
    const message = `the daemon stopped ${this.settings.maxRestarts + 1} times in 3 minutes; not restarting`;
    this.output.error(message);
    this.fail(message);
    return false;
  }

  private async onRunning(rpc: DaemonRpc): Promise<void> {
    this.reconnecting = false;
    this.facts.readyMs = Date.now() - this.connectStartedAt;
    this.facts.connections += 1;
    this.status.update({ phase: 'running', message: undefined });
    this.connected.fire(rpc);
    try {
      const health = await rpc.sendRequest(HealthRequest, undefined);
      this.status.update({
        health: health.status === 'ok' ? 'ok' : 'warning',
        message: health.config_error ?? undefined,
        models: health.models,
        pid: health.pid,
        port: health.http?.port,
      });
    } catch (err) {
      this.output.warn(`health: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private fail(message: string): void {
    this.status.update({ phase: 'failed', message });
    this.failedEmitter.fire(message);
  }

  dispose(): void {
    this.logTail.stop();
    void this.stop();
    this.connected.dispose();
    this.disconnected.dispose();
    this.failedEmitter.dispose();
    this.status.dispose();
    this.output.dispose();
  }
}
