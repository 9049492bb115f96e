// The file a running daemon writes into its data directory so every client (VS Code windows, the
// CLI, tools) can find and join it. Contract documented in daemon/main.ts's header comment.

/** File name inside the data dir (default ~/.fugusashi). */
export const DAEMON_FILE = 'daemon.json';

/** Exit code of a daemon that found another daemon already running on the same data dir. */
export const EXIT_ALREADY_RUNNING = 3;

export interface DaemonFile {
  pid: number;
  version: string;
  /** The HTTP door (OpenAI-compatible API, dashboard). */
  host: string;
  port: number;
  started_at: number; // ms since epoch
  data_dir: string;
  config_path: string | null;
  /**
   * The JSON-RPC door every VS Code window connects to: a unix domain socket (path) on Linux/macOS,
   * a named pipe (path `\\.\pipe\…`) on Windows. LSP base-protocol framing (Content-Length headers).
   */
  rpc: { transport: 'unix' | 'pipe'; path: string };
  /** Idle shutdown delay in seconds (0 = never): the daemon exits this long after its last client left. */
  idle_shutdown_seconds: number;
}
