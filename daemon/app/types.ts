// What startDaemon takes and returns (the composition root is daemon/main.ts).
import type { DaemonServices } from '../services';
import type { IdleMemoryOptions } from './idle-memory';
import type { LearnerChoice } from './learner';

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
  learner?: LearnerChoice;
  /** The full collection run when the daemon goes quiet (app/idle-memory.ts); false: none. */
  idleMemory?: IdleMemoryOptions | false;
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
