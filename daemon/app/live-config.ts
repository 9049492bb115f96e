// The daemon's current config and its hot reload. Sources, strongest first: flag overrides
// (a VS Code window's settings), the config file, DEFAULTS; API keys a window sends are layered
// over the environment in memory. A reload that fails keeps the last good config and reports the
// error (in /health and the windows' status bar); where the daemon listens and keeps its data
// never changes under a running daemon.
import path from 'node:path';
import { CONFIG_FILE_NAME, resolveConfig, watchConfig, type ResolvedConfig, type ResolveOptions } from '../config';
import type { DaemonStatus } from '../../shared/protocol';
import type { ServiceConfig } from '../services';
import { toServiceConfig } from '../services/config';

export interface LiveConfigOptions {
  configPath?: string | undefined;
  dataDir?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  token?: string | undefined;
  costWeight?: number | undefined;
  explorationRate?: number | undefined;
  env: Record<string, string | undefined>;
  homeDir?: string | undefined;
  log: (line: string) => void;
}

export class LiveConfig {
  private secrets: Record<string, string> = {};
  private config!: ResolvedConfig;
  private serviceView!: ServiceConfig;
  /** The last reload's error; null while the file is valid. */
  error: string | null = null;
  /** Path of the config file in use (null: discovered models). */
  path: string | null = null;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly options: LiveConfigOptions) {}

  /** Resolves the config for the first time; throws ConfigError when it is invalid. */
  static async load(options: LiveConfigOptions): Promise<LiveConfig> {
    const live = new LiveConfig(options);
    const resolved = await resolveConfig(live.resolveOptions());
    for (const line of resolved.log) options.log(line);
    live.path = resolved.path;
    live.set(resolved.config);
    return live;
  }

  get current(): ResolvedConfig {
    return this.config;
  }

  /** The narrow view the services read (they call this on every request: reloads apply at once). */
  get services(): ServiceConfig {
    return this.serviceView;
  }

  /** Called after every reload, good or bad (the windows' status bar follows). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** API keys from a VS Code window: memory only; the config is re-resolved with them. */
  async addSecrets(env: Record<string, string>): Promise<void> {
    Object.assign(this.secrets, env);
    await this.reload('API keys from VS Code');
  }

  async reload(why: string): Promise<void> {
    try {
      this.apply((await resolveConfig(this.resolveOptions())).config, why);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)), why);
    }
  }

  /**
   * Reloads when the config file changes; returns the function that stops watching. A daemon on
   * discovered models (no --config, no <data dir>/config.yaml) watches for that file to appear: the
   * file the start log tells the user to write takes over once written, as an edit would, without a
   * restart (a VS Code window's daemon keeps running while any window is open).
   */
  watch(): () => void {
    const file =
      this.path ??
      (this.options.configPath === undefined ? path.join(this.config.server.dataDir, CONFIG_FILE_NAME) : null);
    if (!file) return () => undefined;
    return watchConfig(
      file,
      (next) => {
        this.path = file;
        this.apply(next, 'file changed');
      },
      (err) => this.fail(err, 'file changed'),
      this.resolveOptions(),
    );
  }

  /** What the windows' status bar shows. */
  status(): DaemonStatus & { httpPort?: number } {
    const models = this.serviceView.pool.filter((m) => m.enabled !== false).length;
    const s: DaemonStatus = { health: this.error || models === 0 ? 'warning' : 'ok', models };
    if (this.error) s.message = `config error: ${this.error}`;
    else if (models === 0) s.message = 'No models configured: add one to config.yaml in the data dir.';
    return s;
  }

  private resolveOptions(): ResolveOptions {
    const o = this.options;
    return {
      configPath: o.configPath,
      dataDir: o.dataDir,
      host: o.host,
      port: o.port,
      token: o.token,
      env: { ...o.env, ...this.secrets },
      homeDir: o.homeDir,
    };
  }

  private apply(next: ResolvedConfig, why: string): void {
    const { host, port, dataDir } = this.config.server;
    next.server = { ...next.server, host, port, dataDir };
    this.set(next);
    this.error = null;
    this.options.log(`config reloaded (${why}): ${next.models.length} model(s)`);
    this.changed();
  }

  private fail(err: Error, why: string): void {
    this.error = err.message;
    this.options.log(`config reload failed (${why}), keeping the last good config: ${this.error}`);
    this.changed();
  }

  /** Flag overrides win over the file, on every reload too. */
  private set(config: ResolvedConfig): void {
    if (this.options.costWeight !== undefined) config.routing.costWeight = this.options.costWeight;
    if (this.options.explorationRate !== undefined) config.routing.explorationRate = this.options.explorationRate;
    this.config = config;
    this.serviceView = toServiceConfig(config);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
