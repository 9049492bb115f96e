// A daemon started by hand (`fugusashi serve`, `npm start`) on Linux runs with glibc malloc held to
// two arenas, as the one a VS Code window starts (extension/daemon/discovery.ts sets the variable).
// glibc gives threads that contend for malloc their own arena, up to 8 per core, and an arena keeps
// its pages after its thread is done: ~25 MB of the daemon's RSS, 264–276 MB instead of 246–248 MB
// (README, "Memory"). glibc reads MALLOC_ARENA_MAX once, when the process starts, so `serve` runs
// the daemon in a child started with it set: one extra process that forwards signals and passes the
// child's exit on. The child has the variable, so it never re-spawns itself; a variable the user set
// (any value, or glibc.malloc.arena_max in GLIBC_TUNABLES) is left alone and nothing is re-spawned.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { withDaemonMallocEnv } from '../../shared/daemon';

/** Set by the launcher for its child only: the launcher's pid, so the daemon knows who forked it. */
const LAUNCHER_PID = 'FUGUSASHI_LAUNCHER_PID';

/** Signals a terminal or a supervisor sends to stop the daemon; the launcher hands them on. */
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Whether this process should run the daemon in a child with MALLOC_ARENA_MAX set: on Linux with
 * glibc (musl has no arenas), when the variable is unset, and not under a debugger (`--inspect`:
 * the child could not take the same port, and one process is what the developer expects).
 */
export function shouldBoundArenas(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  execArgv: readonly string[] = process.execArgv,
): boolean {
  if (platform !== 'linux' || env['MALLOC_ARENA_MAX'] !== undefined) return false;
  // The same limit, set through glibc's tunables: the user's choice as well.
  if (env['GLIBC_TUNABLES']?.includes('malloc.arena_max')) return false;
  if (execArgv.some((a) => a.startsWith('--inspect'))) return false;
  return !usesMusl();
}

/** musl's malloc has no arenas (Alpine). Reading our own mappings costs well under a millisecond. */
function usesMusl(): boolean {
  try {
    return /\/ld-musl-|\/libc\.musl-/.test(readFileSync('/proc/self/maps', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Runs this same command (node, its flags, the script and its arguments) in a child with
 * MALLOC_ARENA_MAX=2 (and the rest of DAEMON_MALLOC_ENV) and the terminal's stdio, and resolves with the child's exit code. SIGINT,
 * SIGTERM and SIGHUP reach the child (a Ctrl-C reaches it from the terminal as well: the daemon's
 * shutdown runs once however often it is asked). A child killed by a signal kills this process
 * with the same signal, so whoever started `fugusashi serve` sees what happened to the daemon.
 */
export function runWithBoundedArenas(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    // An IPC channel as well, only so the daemon notices when this process is gone (killed with
    // SIGKILL, which cannot be handed on) and stops instead of running on as an orphan.
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    // With the arena limit, glibc's mmap and trim thresholds (shared/daemon.ts), unless set already.
    // MALLOC_ARENA_MAX is unset here (shouldBoundArenas), so DAEMON_MALLOC_ENV's 2 applies.
    env: { ...withDaemonMallocEnv(process.env), [LAUNCHER_PID]: String(process.pid) },
  });
  const forward = (signal: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return new Promise((resolve) => {
    child.once('error', (err) => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
      process.stderr.write(`fugusashi: could not start the daemon process: ${err.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      for (const s of FORWARDED_SIGNALS) process.off(s, forward);
      if (signal === null) return resolve(code ?? 1);
      // Die of the same signal (no listener is left for it). Should it be ignored or caught
      // elsewhere, exit as a shell reports a death by signal: 128 + its number.
      process.kill(process.pid, signal);
      setTimeout(() => resolve(128 + (os.constants.signals[signal] ?? 0)), 1000);
    });
  });
}

/**
 * In the daemon a launcher started (`runWithBoundedArenas`): calls `stop` once the launcher is gone
 * without having handed on a signal, so the daemon does not outlive a `fugusashi serve` that was
 * killed. The channel does not keep the daemon running.
 */
export function stopWhenLauncherGoes(stop: (reason: string) => void): void {
  // Only our own launcher's channel: a supervisor that forks `serve` with an IPC channel of its own
  // (and MALLOC_ARENA_MAX already set) may disconnect without meaning "stop".
  const launcher = process.env[LAUNCHER_PID];
  delete process.env[LAUNCHER_PID]; // not handed on to anything the daemon starts
  if (!process.channel || launcher !== String(process.ppid)) return;
  process.channel.unref();
  process.once('disconnect', () => stop('launcher exited'));
}
