// The daemon side of the vscode-lm bridge: VS Code's own language models (e.g. a Copilot plan's)
// run in a window, so the daemon asks a connected window to run them (VscodeLmChatRequest) and
// receives the text and tool calls as VscodeLmChunkNotification. With several windows, the one that most
// recently reported the model runs it; with none, the model is unavailable (routing moves on).
import { randomBytes } from 'node:crypto';
import { CancellationTokenSource, type Connection } from 'vscode-languageserver';
import type { ToolCall } from '../../shared/openai';
import type { VscodeLmBridge } from '../providers/types';
import { AsyncQueue } from '../services/async-queue';
import {
  VscodeLmChatRequest,
  type VscodeLmChatParams,
  type VscodeLmModelInfo,
  type VscodeLmPiece,
} from '../../shared/protocol';

/** The window's side of its JSON-RPC connection: the hub only sends it requests. */
export type WindowConnection = Pick<Connection, 'sendRequest'>;

export type VscodeLmCall = Omit<VscodeLmChatParams, 'streamId'>;

export class VscodeLmHub implements VscodeLmBridge {
  /** Insertion order = recency: a window re-reporting its models moves to the end. */
  private readonly windows = new Map<WindowConnection, VscodeLmModelInfo[]>();
  private readonly streams = new Map<string, AsyncQueue<VscodeLmPiece>>();
  /** Changes with every window's models reported or gone (services/vscode-lm-availability.ts). */
  revision = 0;

  setModels(connection: WindowConnection, models: VscodeLmModelInfo[]): void {
    this.windows.delete(connection);
    this.windows.set(connection, models);
    this.revision += 1;
  }

  remove(connection: WindowConnection): void {
    if (this.windows.delete(connection)) this.revision += 1;
  }

  models(): VscodeLmModelInfo[] {
    const seen = new Map<string, VscodeLmModelInfo>();
    for (const models of this.windows.values()) for (const m of models) seen.set(m.id, m);
    return [...seen.values()];
  }

  available(modelId?: string): boolean {
    return this.windowFor(modelId) !== undefined;
  }

  /** A chunk notification from a window. Unknown stream ids (a cancelled call) are ignored. */
  chunk(streamId: string, text: string, toolCalls: readonly ToolCall[] = []): void {
    const stream = this.streams.get(streamId);
    if (!stream) return;
    if (text || toolCalls.length === 0) stream.push(text);
    for (const call of toolCalls) stream.push(call);
  }

  async *chat(params: VscodeLmCall, signal: AbortSignal): AsyncGenerator<VscodeLmPiece> {
    const connection = this.windowFor(params.modelId);
    if (!connection) throw new Error(`no VS Code window offering "${params.modelId}" is connected`);
    const streamId = `lm-${randomBytes(8).toString('hex')}`;
    const pieces = new AsyncQueue<VscodeLmPiece>();
    this.streams.set(streamId, pieces);
    const cancel = new CancellationTokenSource();
    const onAbort = (): void => {
      cancel.cancel();
      pieces.end(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let result: { text: string; toolCalls?: ToolCall[] } | null = null;
    const request: VscodeLmChatParams = { ...params, streamId };
    void connection.sendRequest(VscodeLmChatRequest, request, cancel.token).then(
      (value) => {
        result = value;
        pieces.end();
      },
      (err: unknown) =>
        pieces.end(
          err instanceof Error ? err : new Error((err as { message?: string }).message ?? JSON.stringify(err)),
        ),
    );
    let streamed = false;
    try {
      for await (const piece of pieces) {
        streamed = true;
        yield piece;
      }
      // A window that answered without streaming: the whole text and its tool calls come in the result.
      const final = result as { text: string; toolCalls?: ToolCall[] } | null;
      if (!streamed && final?.text) yield final.text;
      if (!streamed) yield* final?.toolCalls ?? [];
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (!pieces.done) cancel.cancel();
      this.streams.delete(streamId);
      cancel.dispose();
    }
  }

  private windowFor(modelId?: string): WindowConnection | undefined {
    let found: WindowConnection | undefined;
    for (const [connection, models] of this.windows) {
      if (modelId === undefined ? models.length > 0 : models.some((m) => m.id === modelId)) found = connection;
    }
    return found;
  }
}
