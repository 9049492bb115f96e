// The JSON-RPC door's socket: a unix socket (named pipe on Windows) that every VS Code window
// joins. Each connection is a vscode-languageserver connection, so a window's LanguageClient gets
// the protocol it expects: initialize → initialized → … → shutdown → exit. The daemon is shared
// by all windows, so `exit` ends that window's connection only, and a window's processId never
// becomes a reason for the daemon to exit (the package's node watchdog would call process.exit
// in both cases; we give each connection a watchdog that closes just that connection).
import { existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { createConnection, type Connection, type WatchDog } from 'vscode-languageserver';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type Logger,
} from 'vscode-languageserver/node';
import type { DaemonRpcEndpoint } from './daemon-file';
import { refusalFrame, RpcFrameGuard } from './rpc-frames';

export interface RpcClient {
  connection: Connection;
  /** Resolves when the window left (exit, socket closed, or the daemon shutting down). */
  readonly left: Promise<void>;
}

export interface RpcServer {
  readonly clients: number;
  close(): Promise<void>;
}

/**
 * The connection's logger is the window's console (window/logMessage notifications). When a window
 * goes away while a request of it is in flight, the reply fails and vscode-jsonrpc logs that, over
 * the connection that is gone: the console throws, from a promise callback, and that unhandled
 * rejection would end the daemon every other window shares. Such a log line is dropped instead.
 */
function quiet(logger: Logger): Logger {
  const safe =
    (write: (message: string) => void) =>
    (message: string): void => {
      try {
        write(message);
      } catch {
        // the window is gone: nobody to tell
      }
    };
  return {
    error: safe((m) => logger.error(m)),
    warn: safe((m) => logger.warn(m)),
    info: safe((m) => logger.info(m)),
    log: safe((m) => logger.log(m)),
  };
}

export interface RpcServerOptions {
  /** A bigger message closes the connection (default: rpc-frames.ts MAX_RPC_MESSAGE_BYTES). */
  maxMessageBytes?: number;
  /** A connection must send its first message within this (a window sends `initialize` at once). */
  firstMessageTimeoutMs?: number;
  /** A message that has started must have arrived whole within this. */
  messageTimeoutMs?: number;
  /** Why a misbehaving connection was closed (the daemon logs it). */
  onRefused?: (reason: string) => void;
}

/** As the HTTP door's headers and request timeouts (http/app.ts). */
const FIRST_MESSAGE_TIMEOUT_MS = 30_000;
const MESSAGE_TIMEOUT_MS = 120_000;

/**
 * Closes a connection that breaks the framing (rpc-frames.ts), says nothing after connecting, or
 * leaves a message unfinished: it gets a JSON-RPC error saying why, then the socket is closed.
 */
function guardConnection(socket: net.Socket, options: RpcServerOptions): void {
  const guard = new RpcFrameGuard(options.maxMessageBytes);
  const firstMessageMs = options.firstMessageTimeoutMs ?? FIRST_MESSAGE_TIMEOUT_MS;
  const messageMs = options.messageTimeoutMs ?? MESSAGE_TIMEOUT_MS;
  let refused = false;
  const refuse = (reason: string): void => {
    if (refused) return;
    refused = true;
    clearTimers();
    options.onRefused?.(reason);
    socket.pause(); // nothing more reaches vscode-jsonrpc's buffer
    socket.end(refusalFrame(reason), () => socket.destroy());
    // A client that reads nothing never lets that write flush: it is closed all the same.
    setTimeout(() => socket.destroy(), 2000).unref();
  };
  const firstTimer = setTimeout(
    () => refuse(`no message within ${firstMessageMs / 1000} s of connecting`),
    firstMessageMs,
  ).unref();
  let messageTimer: ReturnType<typeof setTimeout> | undefined;
  let timedMessage = -1; // the message (by count) the timer is for
  const clearTimers = (): void => {
    clearTimeout(firstTimer);
    clearTimeout(messageTimer);
  };
  socket.on('data', (chunk: Buffer) => {
    if (refused) return;
    const broken = guard.push(chunk);
    if (broken) return refuse(broken);
    if (guard.messages > 0) clearTimeout(firstTimer);
    if (!guard.midMessage) {
      clearTimeout(messageTimer);
      messageTimer = undefined;
    } else if (!messageTimer || timedMessage !== guard.messages) {
      clearTimeout(messageTimer);
      timedMessage = guard.messages;
      messageTimer = setTimeout(() => refuse(`a message not finished within ${messageMs / 1000} s`), messageMs).unref();
    }
  });
  socket.once('close', clearTimers);
}

/** Listens on `endpoint`; `onClient` wires the handlers of each new window's connection. */
export async function startRpcServer(
  endpoint: DaemonRpcEndpoint,
  onClient: (client: RpcClient) => void,
  options: RpcServerOptions = {},
): Promise<RpcServer> {
  // The caller holds the data-dir lock, so a socket file left here is a dead daemon's.
  if (endpoint.transport === 'unix' && existsSync(endpoint.path)) unlinkSync(endpoint.path);
  const open = new Set<() => void>();
  const server = net.createServer((socket) => {
    // Before vscode-jsonrpc's reader, so a broken frame is seen before it is buffered.
    guardConnection(socket, options);
    let leave!: () => void;
    const left = new Promise<void>((resolve) => {
      let gone = false;
      leave = () => {
        if (gone) return;
        gone = true;
        open.delete(leave);
        socket.destroy();
        connection.dispose();
        resolve();
      };
    });
    const watchDog: WatchDog = { initialize: () => undefined, shutdownReceived: false, exit: () => leave() };
    const reader = new StreamMessageReader(socket);
    // Its "partial message" timer re-arms for ever once a message is partial, even after the
    // connection is disposed, keeping the reader and its buffer alive: off. Unfinished messages
    // are bounded by guardConnection's own timeout instead.
    reader.partialMessageTimeout = 0;
    const connection = createConnection(
      (logger) => createProtocolConnection(reader, new StreamMessageWriter(socket), quiet(logger)),
      watchDog,
    );
    open.add(leave);
    socket.on('close', () => leave());
    socket.on('error', () => socket.destroy());
    onClient({ connection, left });
    connection.listen();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(endpoint.path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    get clients() {
      return open.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const leave of [...open]) leave();
        server.close(() => resolve());
      }),
  };
}
