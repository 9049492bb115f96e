// Test helpers for extension logic: a real vscode-jsonrpc connection pair over in-memory streams
// (the "daemon" side is the test's), and a structural Ctx for feature modules. Requires the vscode
// stub to be loaded first (import '../../helpers/vscode-stub.cjs').
import { PassThrough } from 'node:stream';
import * as vscode from 'vscode';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
  type NotificationType,
} from 'vscode-jsonrpc/node';
import { ChatChunkNotification } from '../../../shared/protocol';
import type { Ctx } from '../../../extension/ctx';
import { ChunkRouter, type DaemonRpc } from '../../../extension/rpc';

export function rpcPair(): { rpc: DaemonRpc; daemon: MessageConnection; dispose(): void } {
  const toDaemon = new PassThrough();
  const toClient = new PassThrough();
  const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toDaemon));
  const daemon = createMessageConnection(new StreamMessageReader(toDaemon), new StreamMessageWriter(toClient));
  client.listen();
  daemon.listen();
  const rpc: DaemonRpc = {
    sendRequest: (type, params, token) => client.sendRequest(type, params as never, token as never),
    sendNotification: (type, params) => client.sendNotification(type, params as never),
    onNotification: (type, handler) => client.onNotification(type, handler),
    onRequest: (type, handler) => client.onRequest(type, handler as never),
  };
  return {
    rpc,
    daemon,
    dispose() {
      client.dispose();
      daemon.dispose();
    },
  };
}

export interface FakeCtx {
  ctx: Ctx;
  connected: vscode.EventEmitter<DaemonRpc>;
  statusPatches: unknown[];
}

/** The parts of Ctx the features use, over `rpc`; the rest of Ctx (client lifecycle) is not involved. */
export function fakeCtx(rpc: DaemonRpc): FakeCtx {
  const chunks = new ChunkRouter();
  const connected = new vscode.EventEmitter<DaemonRpc>();
  const statusPatches: unknown[] = [];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const listen = <P>(type: NotificationType<P>, handler: (p: P) => void) => {
    let set = listeners.get(type.method);
    if (!set) {
      const created = new Set<(p: unknown) => void>();
      listeners.set(type.method, created);
      rpc.onNotification(type, (p) => created.forEach((h) => h(p)));
      set = created;
    }
    set.add(handler as (p: unknown) => void);
    return new vscode.Disposable(() => set.delete(handler as (p: unknown) => void));
  };
  listen(ChatChunkNotification, chunks.dispatch);
  const secrets = new Map<string, string>();
  const state = new Map<string, unknown>();
  const secretsChanged = new vscode.EventEmitter<{ key: string }>();
  const ctx = {
    rpc: async () => rpc,
    chunks,
    listen,
    lastAnswer: undefined,
    onDidConnect: connected.event,
    onClient: (setup: (r: DaemonRpc) => unknown[]) => setup(rpc),
    output: vscode.window.createOutputChannel('Fugusashi', { log: true }),
    status: {
      current: { phase: 'running' },
      update: (patch: unknown) => statusPatches.push(patch),
    },
    extension: {
      extensionUri: vscode.Uri.file('/ext'),
      extension: { packageJSON: { version: '0.1.0' } },
      globalState: {
        get: (k: string, d: unknown) => state.get(k) ?? d,
        update: async (k: string, v: unknown) => void state.set(k, v),
      },
      secrets: {
        get: async (k: string) => secrets.get(k),
        store: async (k: string, v: string) => {
          secrets.set(k, v);
          secretsChanged.fire({ key: k });
        },
        onDidChange: secretsChanged.event,
      },
    },
  };
  return { ctx: ctx as unknown as Ctx, connected, statusPatches };
}
