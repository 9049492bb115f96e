// One daemon per data directory. Two daemons on one directory would each replay and rewrite the
// same journal and snapshot, losing each other's writes, so the second one must stop at start.
// daemon.lock is created with O_EXCL (atomic on local file systems) and names its owner; a lock
// whose process is gone (the daemon was killed) is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'daemon.lock';

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

interface LockOwner {
  pid: number;
  started_at: number;
}

/** Thrown when a live process holds the data directory; `pid` is that process (null: not yet written). */
export class DataDirLockedError extends Error {
  constructor(
    readonly pid: number | null,
    readonly dataDir: string,
  ) {
    const who = pid === null ? 'Another Fugusashi daemon (starting up)' : `Another Fugusashi daemon (pid ${pid})`;
    // VS Code has no command that stops a daemon (it exits once idle), so only the shell's is named.
    const how = pid === null ? '' : process.platform === 'win32' ? ` (\`taskkill /PID ${pid}\`)` : ` (\`kill ${pid}\`)`;
    super(
      `${who} is using this data directory (${dataDir}). Use that daemon, stop it first${how}, ` +
        `or start this one with another --data-dir.`,
    );
    this.name = 'DataDirLockedError';
  }
}

/** Lock files this process holds: the same pid in a lock file is then really us, not a recycled pid. */
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid) && !isExiting(pid);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A killed daemon whose parent never reaps it (reparented to a container's PID 1 that does not
 * reap) stays a zombie: kill(pid, 0) still succeeds, but it holds nothing. Linux only (/proc).
 */
function isZombie(pid: number): boolean {
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
function isExiting(pid: number): boolean {
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

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' ? { pid: owner.pid, started_at: Number(owner.started_at) } : undefined;
  } catch {
    return undefined;
  }
}

function tryCreate(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, started_at: Date.now() } satisfies LockOwner));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Whether the lock in `file` belongs to nobody alive, so it can be taken over. */
function isStale(file: string, owner: LockOwner | undefined, graceMs: number): boolean {
  if (!owner) {
    // Unreadable content: a daemon between open and write, or one killed right there. Give a
    // starting daemon a moment; an old unreadable file is stale.
    try {
      return Date.now() - statSync(file).mtimeMs > 5_000;
    } catch {
      return true;
    }
  }
  if (owner.pid === process.pid) return !heldHere.has(file);
  return !isAliveAfterGrace(owner.pid, graceMs);
}

/**
 * How long a live owner is given to finish dying. A killed daemon's sockets close (which is how
 * clients learn of the crash and start a new one) a few milliseconds before the kernel has torn the
 * process down: in that gap kill(pid, 0) still succeeds and it is no zombie yet, so a daemon started
 * right then would refuse a directory nobody holds any more. On Linux isExiting sees that gap at
 * once; elsewhere this wait covers it.
 */
const DYING_GRACE_MS = 300;

/** Whether `pid` is still alive after up to `graceMs` (polled every 10 ms; a live holder costs the full wait). */
function isAliveAfterGrace(pid: number, graceMs: number): boolean {
  const deadline = Date.now() + graceMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    if (!isAlive(pid)) return false;
    if (Date.now() >= deadline) return true;
    Atomics.wait(pause, 0, 0, 10); // start-up is synchronous here; nothing else to run meanwhile
  }
}

/**
 * Takes the data directory for this process, or throws DataDirLockedError when a live process
 * holds it (a holder that is dying is given `graceMs` to be gone). The lock is released by
 * `release()` and, as a last resort, when the process exits.
 * (Two processes taking over the same stale lock at the very same moment could both succeed; the
 * window is a few microseconds after a crash and is accepted.)
 */
export function acquireDataDirLock(dataDir: string, { graceMs = DYING_GRACE_MS } = {}): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(file)) break;
    const owner = readOwner(file);
    if (!isStale(file, owner, graceMs) || attempt >= 3) {
      throw new DataDirLockedError(owner?.pid ?? null, path.resolve(dataDir));
    }
    try {
      unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  heldHere.add(file);
  const onExit = () => release();
  let released = false;
  function release(): void {
    if (released) return;
    released = true;
    heldHere.delete(file);
    process.removeListener('exit', onExit);
    // Remove the file only while it is still ours.
    if (readOwner(file)?.pid === process.pid) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
  }
  process.on('exit', onExit);
  return { file, release };
}
