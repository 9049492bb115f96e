// Atomic snapshots of the database file: write a temp file, fsync it, rename it over the old
// snapshot. A crash at any point leaves either the old or the new snapshot whole, never a mix.
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';

export const SNAPSHOT_FILE = 'store.db';
const TEMP_PREFIX = `${SNAPSHOT_FILE}.tmp-`;

export function tempSnapshotPath(dir: string, seq: number): string {
  return path.join(dir, `${TEMP_PREFIX}${seq}-${process.pid}`);
}

/** Temp files left by a process killed while writing a snapshot. */
export function removeStaleTemps(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith(TEMP_PREFIX)) rmSync(path.join(dir, name), { force: true });
  }
}

/** Writes and fsyncs `bytes` on libuv's thread pool: the event loop keeps serving meanwhile. */
export async function writeDurable(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function writeDurableSync(file: string, bytes: Uint8Array): void {
  const fd = openSync(file, 'w');
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a rename in `dir` itself durable (POSIX). Windows cannot open directories: skipped there. */
export function fsyncDirSync(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function commitSnapshot(temp: string, dir: string): void {
  renameSync(temp, path.join(dir, SNAPSHOT_FILE));
}
