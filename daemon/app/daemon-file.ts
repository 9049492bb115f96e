// Where clients find the ONE daemon of a data directory: D/daemon.json (written once both doors
// listen, removed on shutdown) and the JSON-RPC endpoint it names. The join contract in full is
// at the top of daemon/main.ts and in ARCHITECTURE.md.
import { createHash } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DAEMON_FILE, type DaemonFile } from '../../shared/daemon';

/** Unix socket paths are limited to ~104 bytes (macOS) / 108 (Linux): fall back to the temp dir. */
const MAX_SOCKET_PATH = 100;

export interface DaemonRpcEndpoint {
  transport: 'unix' | 'pipe';
  path: string;
}

/** Where the JSON-RPC door of the daemon for `dataDir` listens. */
export function rpcEndpoint(dataDir: string, platform: NodeJS.Platform = process.platform): DaemonRpcEndpoint {
  const hash = createHash('sha1').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  if (platform === 'win32') return { transport: 'pipe', path: `\\\\.\\pipe\\fugusashi-${hash}` };
  const inDataDir = path.join(dataDir, 'daemon.sock');
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH) return { transport: 'unix', path: inDataDir };
  return { transport: 'unix', path: path.join(os.tmpdir(), `fugusashi-${hash}.sock`) };
}

/** Writes D/daemon.json atomically (readers never see half a file); returns the function that removes it. */
export function publishDaemonFile(dataDir: string, info: DaemonFile): { path: string; remove: () => void } {
  const file = path.join(dataDir, DAEMON_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n');
  renameSync(tmp, file);
  return { path: file, remove: () => rmSync(file, { force: true }) };
}
