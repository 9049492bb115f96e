// Finds the one daemon of a data directory, or starts it (gopls -remote=auto style). The contract is
// the header comment of daemon/main.ts: D/daemon.json names the JSON-RPC socket; a daemon is started
// DETACHED so it outlives the window that started it; racing windows all end up on the winner.
// No vscode import here: it is plain Node, tested with real files, sockets and processes.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { DAEMON_FILE, EXIT_ALREADY_RUNNING, withDaemonMallocEnv, type DaemonFile } from '../../shared/daemon';

export interface LaunchSpec {
  /** The runtime that runs the daemon: the extension host's own (Electron's Node or code-server's Node). */
  execPath: string;
  /** dist/daemon.js of the installed extension. */
  script: string;
  args: string[];
  dataDir: string;
}

export interface JoinResult {
  socket: net.Socket;
  info: DaemonFile;
  /** True when this call started the daemon (false: joined one that was running). */
  started: boolean;
  /** ms from the call to a connected socket. */
  elapsedMs: number;
}

export interface JoinOptions {
  timeoutMs?: number;
  pollMs?: number;
  log?: (line: string) => void;
}

export async function readDaemonFile(dataDir: string): Promise<DaemonFile | undefined> {
  try {
    const info = JSON.parse(await readFile(path.join(dataDir, DAEMON_FILE), 'utf8')) as DaemonFile;
    return typeof info.pid === 'number' && typeof info.rpc?.path === 'string' ? info : undefined;
  } catch {
    return undefined; // absent, or being written right now: the caller polls again
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid) && !isExiting(pid);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A crashed daemon whose parent does not reap it (a window's extension host that is gone, so it was
 * reparented to a container's PID 1 that never reaps) stays a zombie: kill(pid, 0) succeeds, yet
 * nothing answers. Linux only (/proc); elsewhere the refused socket times out as usual.
 */
export function isZombie(pid: number): boolean {
  const state = procStat(pid)?.state;
  return state === 'Z' || state === 'X';
}

/** The kernel's PF_EXITING: set as a process starts to exit, before it closes its files and sockets. */
const PF_EXITING = 0x4;

/**
 * A killed process closes its sockets while it exits, before it becomes a zombie: in that gap
 * kill(pid, 0) succeeds and it is no zombie yet, but it is gone for every purpose here (whoever
 * learned of the crash from a closed socket looks at it in exactly that gap). Linux only (/proc).
 */
export function isExiting(pid: number): boolean {
  const flags = procStat(pid)?.flags;
  return flags !== undefined && (flags & PF_EXITING) !== 0;
}

/** Linux: /proc/<pid>/stat's state (field 3) and kernel flags (field 9); undefined elsewhere or when gone. */
function procStat(pid: number): { state: string; flags: number } | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', flags: Number(fields[6]) };
  } catch {
    return undefined;
  }
}

/** Connects to a unix socket / named pipe; rejects on refusal or after `timeoutMs`. */
export function connectRpc(socketPath: string, timeoutMs = 2000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out connecting to ${socketPath}`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** The daemon's command line, as daemon/main.ts documents it. */
export function daemonArgs(o: {
  dataDir: string;
  configFile?: string | undefined;
  port: number;
  idleShutdownSeconds: number;
  costWeight?: number | undefined;
  exploration?: number | undefined;
}): string[] {
  const args = ['--data-dir', o.dataDir, '--port', String(o.port)];
  if (o.configFile) args.push('--config', o.configFile);
  // Only when set: the config file's routing section is the default, as for `fugusashi serve`.
  if (o.costWeight !== undefined) args.push('--cost-weight', String(o.costWeight));
  if (o.exploration !== undefined) args.push('--exploration-rate', String(o.exploration));
  args.push('--idle-shutdown-seconds', String(o.idleShutdownSeconds));
  args.push('--log-file', path.join(o.dataDir, 'daemon.log'));
  return args;
}

async function tryJoin(dataDir: string): Promise<{ socket: net.Socket; info: DaemonFile } | undefined> {
  const info = await readDaemonFile(dataDir);
  // A crashed daemon's file can still name the socket path a new daemon is listening on already.
  if (!info || !isAlive(info.pid)) return undefined;
  try {
    return { socket: await connectRpc(info.rpc.path), info };
  } catch {
    return undefined;
  }
}

function logFileOf(spec: LaunchSpec): string {
  const i = spec.args.indexOf('--log-file');
  return (i >= 0 ? spec.args[i + 1] : undefined) ?? path.join(spec.dataDir, 'daemon.log');
}

/**
 * Why a daemon that exited during start did not start, as it logged it (daemon/app/process.ts:
 * "<ISO time> fugusashi: <message>", e.g. a port in use): the last such line written since `since`.
 * The daemon is detached with its output ignored, so its log is the only place that says.
 */
async function startFailureReason(logFile: string, since: number): Promise<string | undefined> {
  let text: string;
  try {
    const handle = await open(logFile, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 8192);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
  for (const line of text.split('\n').reverse()) {
    const m = /^(\S+) fugusashi: (.+)$/.exec(line.trim());
    // The clock's ms and the log's may differ by rounding: allow a second.
    if (m?.[1] && m[2] && Date.parse(m[1]) >= since - 1000) return m[2].replace(/\.$/, '');
  }
  return undefined;
}

/** A daemon this call spawned: its pid, and how it ended once it has. */
interface SpawnedDaemon {
  pid: number | undefined;
  exited: { code: number | null; signal: string | null } | undefined;
}

function spawnDaemon(spec: LaunchSpec, log: (line: string) => void): SpawnedDaemon {
  log(`starting daemon: ${spec.execPath} ${spec.script} ${spec.args.join(' ')}`);
  const child = spawn(spec.execPath, [spec.script, ...spec.args], {
    detached: true, // its own process group: it outlives this window
    stdio: 'ignore', // it logs to --log-file; a pipe would tie it to this process
    // glibc malloc's settings for the daemon (shared/daemon.ts: 2 arenas, mmap and trim thresholds
    // held at 128 KiB), as `fugusashi serve` sets them. A value in the window's environment wins; a
    // C library other than glibc ignores them.
    env: { ...withDaemonMallocEnv(process.env), ELECTRON_RUN_AS_NODE: '1' },
    windowsHide: true,
  });
  const spawned: SpawnedDaemon = { pid: child.pid, exited: undefined };
  child.once('exit', (code, signal) => (spawned.exited = { code, signal }));
  child.once('error', (err) => {
    log(`daemon spawn failed: ${err.message}`);
    spawned.exited = { code: null, signal: null };
  });
  child.unref();
  return spawned;
}

/**
 * Joins the running daemon of `spec.dataDir`, or starts one and joins it. Bounded by `timeoutMs`.
 *
 * Whether to start one is decided again on every poll until this call has started one: a
 * daemon.json naming a live pid whose socket refuses is a daemon still starting (wait for it,
 * don't race it), but that pid can die while we wait. It does so after every crash: a killed
 * daemon's socket closes (which is how a window learns of the crash) while the kernel is still
 * tearing the process down, so for a few milliseconds its pid still answers kill(pid, 0) and is no
 * zombie yet. Deciding once, at that moment, meant waiting for a dead daemon until the timeout.
 *
 * A daemon we started that exits with EXIT_ALREADY_RUNNING lost a race with another window's:
 * keep polling for the winner (not spawning again: that winner holds the lock until it publishes).
 */
export async function joinOrStart(spec: LaunchSpec, opts: JoinOptions = {}): Promise<JoinResult> {
  const t0 = Date.now();
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const pollMs = opts.pollMs ?? 100;
  const log = opts.log ?? (() => {});

  const running = await tryJoin(spec.dataDir);
  if (running) return { ...running, started: false, elapsedMs: Date.now() - t0 };

  let spawned: SpawnedDaemon | undefined;
  let waitingFor: number | undefined;
  for (;;) {
    if (!spawned) {
      const existing = await readDaemonFile(spec.dataDir);
      if (existing && isAlive(existing.pid)) {
        if (waitingFor !== existing.pid) log(`daemon pid ${existing.pid} is running but not accepting yet; waiting`);
        waitingFor = existing.pid;
      } else {
        if (waitingFor !== undefined) log(`daemon pid ${waitingFor} is gone`);
        spawned = spawnDaemon(spec, log);
      }
    }
    if (Date.now() - t0 >= timeoutMs) break;
    await new Promise((r) => setTimeout(r, pollMs));
    const joined = await tryJoin(spec.dataDir);
    if (joined) {
      const started = spawned?.pid !== undefined && joined.info.pid === spawned.pid;
      return { ...joined, started, elapsedMs: Date.now() - t0 };
    }
    const exited = spawned?.exited;
    if (exited && exited.code !== EXIT_ALREADY_RUNNING) {
      const logFile = logFileOf(spec);
      const reason = await startFailureReason(logFile, t0);
      throw new Error(
        `daemon exited during start (code ${exited.code}, signal ${exited.signal})${reason ? `: ${reason}` : ''}; see ${logFile}`,
      );
    }
  }
  throw new Error(`no daemon answered on ${path.join(spec.dataDir, DAEMON_FILE)} within ${timeoutMs} ms`);
}
