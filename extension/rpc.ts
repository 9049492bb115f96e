// The slice of a JSON-RPC connection the features use. The LanguageClient provides it in the
// extension (daemon/client.ts adapts it); unit tests give a vscode-jsonrpc connection over an
// in-memory stream pair, so features never import vscode-languageclient.
import type { NotificationType, RequestType } from 'vscode-jsonrpc';
import { ChatChunkNotification } from '../shared/protocol';
import type { ChatCompletionChunk } from '../shared/openai';

export interface CancellationLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => unknown): { dispose(): unknown };
}

export interface DisposableLike {
  dispose(): unknown;
}

export interface DaemonRpc {
  sendRequest<P, R>(type: RequestType<P, R, void>, params: P, token?: CancellationLike): Promise<R>;
  sendNotification<P>(type: NotificationType<P>, params: P): Promise<void>;
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): DisposableLike;
  onRequest<P, R>(
    type: RequestType<P, R, void>,
    handler: (params: P, token: CancellationLike) => R | Promise<R>,
  ): DisposableLike;
}

let counter = 0;
/** Unique per extension host; the daemon tags chunks with it. */
export function newStreamId(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/**
 * Routes `fugusashi/chatChunk` notifications to the call that asked for them. One listener per
 * connection, one entry per in-flight stream.
 */
export class ChunkRouter {
  private readonly streams = new Map<string, (chunk: ChatCompletionChunk) => void>();

  /** The notification handler to install on a connection (or a Ctx listener). */
  readonly dispatch = ({ streamId, chunk }: { streamId: string; chunk: ChatCompletionChunk }): void => {
    this.streams.get(streamId)?.(chunk);
  };

  attach(rpc: DaemonRpc): DisposableLike {
    return rpc.onNotification(ChatChunkNotification, this.dispatch);
  }

  /** Calls `onChunk` for each chunk of `streamId` until the returned disposable is disposed. */
  listen(streamId: string, onChunk: (chunk: ChatCompletionChunk) => void): DisposableLike {
    this.streams.set(streamId, onChunk);
    return { dispose: () => this.streams.delete(streamId) };
  }

  get size(): number {
    return this.streams.size;
  }
}
