// The JSON-RPC client of one VS Code window: a vscode-languageclient LanguageClient whose "server"
// is the shared daemon, reached through the socket that discovery.ts finds (or starts).
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  type InitializeParams,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { DaemonRpc } from '../rpc';

/**
 * The daemon is shared: it must not watch this window's pid (vscode-languageserver's watchdog exits
 * when the `processId` of `initialize` dies), so this client sends `processId: null`.
 */
export class SharedDaemonClient extends LanguageClient {
  protected override fillInitializeParams(params: InitializeParams): void {
    super.fillInitializeParams(params);
    params.processId = null;
  }
}

export interface ClientHooks {
  /** Connect (join or start the daemon) and hand back the socket. Called on every (re)start. */
  connect: () => Promise<{ reader: NodeJS.ReadableStream; writer: NodeJS.WritableStream }>;
  /** The connection closed: return true to reconnect (bounded by the caller's policy). */
  onClosed: () => boolean;
  output: vscode.LogOutputChannel;
}

export function createClient(hooks: ClientHooks): SharedDaemonClient {
  const serverOptions: ServerOptions = () => hooks.connect();
  const clientOptions: LanguageClientOptions = {
    documentSelector: [], // no documents: the daemon is not a language server, only JSON-RPC
    outputChannel: hooks.output,
    revealOutputChannelOn: 4, // RevealOutputChannelOn.Never: the status bar reports trouble
    initializationOptions: { client: 'vscode', uiKind: vscode.env.uiKind, appName: vscode.env.appName },
    errorHandler: {
      error: (_error, _message, count) => ({
        action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
        handled: true,
      }),
      closed: () =>
        hooks.onClosed()
          ? { action: CloseAction.Restart, handled: true }
          : { action: CloseAction.DoNotRestart, handled: true },
    },
  };
  return new SharedDaemonClient('fugusashi', 'Fugusashi Daemon', serverOptions, clientOptions);
}

/**
 * The features' view of the client (rpc.ts): keeps vscode-languageclient out of their imports.
 * Calls go by method name, not by the RequestType object: vscode-jsonrpc checks a type's
 * `parameterStructures` by identity, so a type built by another copy of the library (another
 * extension or a test bundle using this API) would be rejected as "Unknown parameter structure".
 */
export function rpcOf(client: LanguageClient): DaemonRpc {
  return {
    sendRequest: (type, params, token) =>
      client.sendRequest(type.method, params, token as vscode.CancellationToken | undefined),
    sendNotification: (type, params) => client.sendNotification(type.method, params),
    onNotification: (type, handler) => client.onNotification(type.method, handler as never),
    onRequest: (type, handler) => client.onRequest(type.method, handler as never),
  };
}
