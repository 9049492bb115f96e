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

/**
 * glibc malloc settings every daemon starts with, `fugusashi serve` (daemon/app/malloc-arenas.ts)
 * and a VS Code window alike; glibc reads them once, when a process starts, and a value already in
 * the environment wins. Other C libraries ignore them.
 * - MALLOC_ARENA_MAX=2: 2 malloc arenas instead of up to 8 per core; every thread that allocates
 *   (the embedding worker, V8's and libuv's) otherwise gets one, which keeps its pages after the
 *   thread ends (thread arenas 23 → 4 MB in `npm run bench:router`).
 * - mmap and trim thresholds held at glibc's starting 128 KiB: by default glibc raises both each
 *   time a large block is freed (up to 32 MiB / 64 MiB), after which large buffers live in the
 *   arenas and their freed pages stay in the daemon's RSS. Held, a block of 128 KiB or more is its
 *   own mapping, unmapped when freed, and an arena gives back a free top over 128 KiB.
 *   `npm run bench:serve-memory` measured 229 and 251 MB after traffic instead of 259 and 270
 *   (main arena 25–38 MB instead of 51–52), at rest 146–167 instead of 176–187; bench:gateway,
 *   both orders, CPU per request ×0.77 and ×0.82 of the daemon without them.
 */
export const DAEMON_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: String(128 * 1024),
  MALLOC_TRIM_THRESHOLD_: String(128 * 1024),
};

/** `env` over DAEMON_MALLOC_ENV: the environment a daemon starts with (a value set in `env` wins). */
export function withDaemonMallocEnv(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  return { ...DAEMON_MALLOC_ENV, ...env };
}
