// Composition root of the daemon: the only file that touches process, env and signals. It resolves
// the config, takes the data-dir lock, opens the store, builds learner/providers/services, and opens
// the two doors (HTTP for tools and the dashboard, JSON-RPC for VS Code windows).
//
// ── How clients find and join the ONE daemon of a data directory (gopls -remote=auto style) ──────
// Data dir D: `--data-dir`, else `server.data_dir` of the config, else ~/.fugusashi. Config file:
// `--config FILE`, else D/config.yaml, else discovery (Ollama on localhost, OPENAI/ANTHROPIC keys).
//
//  D/daemon.lock   held by the running daemon (one daemon per data dir). A second daemon on the same
//                  D prints "another Fugusashi daemon (pid N) is already using D" and exits with
//                  code 3 (EXIT_ALREADY_RUNNING in shared/daemon.ts) without touching anything.
//  D/daemon.json   written once BOTH doors listen, removed on clean shutdown (type DaemonFile in
//                  shared/daemon.ts): {pid, version, host, port, started_at, data_dir, config_path,
//                  rpc: {transport: 'unix'|'pipe', path}, idle_shutdown_seconds}.
//  rpc.path        unix: D/daemon.sock (or $TMPDIR/fugusashi-<hash>.sock when D's path is too long
//                  for a socket); Windows: \\.\pipe\fugusashi-<hash of D>. Always read it from
//                  daemon.json rather than computing it.
//
// A VS Code window (the extension) joins like this:
//  1. read D/daemon.json; if it exists, connect to rpc.path (net.connect). Connected → done.
//  2. otherwise spawn the bundled daemon DETACHED so it outlives the window:
//       spawn(process.execPath, [dist/daemon.js, '--data-dir', D, '--config', F?, '--port', P?,
//             '--idle-shutdown-seconds', '300', '--log-file', D/daemon.log],
//             {detached: true, stdio: 'ignore', env: {...process.env, ELECTRON_RUN_AS_NODE: '1'}}).unref()
//     then poll (bounded: e.g. every 100 ms for 15 s) for D/daemon.json with a connectable rpc.path.
//     If two windows race, the loser's daemon exits with code 3 and both join the winner.
//  3. vscode-languageclient: `new LanguageClient(id, name, () => Promise.resolve({reader: socket,
//     writer: socket}), clientOptions)`. The daemon answers `initialize` with {capabilities: {}} and
//     treats `shutdown`/`exit` as "this client leaves": it never exits because one window closed.
//     All custom methods are in shared/protocol.ts. After connecting, a window sends
//     SetSecretsNotification (API keys, memory only) and VscodeLmModelsNotification (its vscode.lm
//     models); the daemon pushes StatusNotification and LiveEventNotification to every client.
//  4. a dropped connection while the daemon still runs → reconnect; a dead daemon (connect refused
//     and pid gone) → back to step 2 (bounded retries). `tail -f D/daemon.log` is the daemon's log.
// Idle shutdown: with idle_shutdown_seconds > 0 (config `server.idle_shutdown_seconds` or the flag),
// the daemon exits that long after the last RPC client left and no HTTP request came in. The
// daemon started by `fugusashi serve` defaults to 0 (never). SIGINT/SIGTERM shut down gracefully:
// stop accepting, finish in-flight work, close the store, remove daemon.json and the socket.
// `fugusashi serve` and the daemon VS Code starts are the same program with the same defaults
// (D = ~/.fugusashi, D/config.yaml, port 6060), so they are the same daemon.
// ───────────────────────────────────────────────────────────────────────────────────────────────────
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/** Unix socket paths are limited to ~104 bytes (macOS) / 108 (Linux): fall back to the temp dir. */
const MAX_SOCKET_PATH = 100;

/** Where the JSON-RPC door of the daemon for `dataDir` listens. */
export function rpcEndpoint(dataDir: string, platform: NodeJS.Platform = process.platform): DaemonRpcEndpoint {
  const hash = createHash('sha1').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  if (platform === 'win32') return { transport: 'pipe', path: `\\\\.\\pipe\\fugusashi-${hash}` };
  const inDataDir = path.join(dataDir, 'daemon.sock');
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH) return { transport: 'unix', path: inDataDir };
  return { transport: 'unix', path: path.join(os.tmpdir(), `fugusashi-${hash}.sock`) };
}

export interface DaemonRpcEndpoint {
  transport: 'unix' | 'pipe';
  path: string;
}
