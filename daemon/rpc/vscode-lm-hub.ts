// The daemon side of the vscode-lm bridge: VS Code's own language models (e.g. a Copilot plan's)
// run in a window, so the daemon asks a connected window to run them (VscodeLmChatRequest) and
// receives the text as VscodeLmChunkNotification. With several windows, the one that most
// recently reported the model runs it; with none, the model is unavailable (routing moves on).
import { randomBytes } from 'node:crypto';
import { CancellationTokenSource, type Connection } from 'vscode-languageserver';
import type { ChatMessage } from '../../shared/openai';
import type { VscodeLmBridge } from '../providers/types';
import { VscodeLmChatRequest, type VscodeLmChatParams, type VscodeLmModelInfo } from '../../shared/protocol';

/** The window's side of its JSON-RPC connection: the hub only sends it requests. */
export type WindowConnection = Pick<Connection, 'sendRequest'>;

export interface VscodeLmCall {
  modelId: string;
  messages: ChatMessage[];
  maxTokens?: number;
}

interface Pending {
  pieces: string[];
  wake: (() => void) | null;
}

export class VscodeLmHub implements VscodeLmBridge {
  /** Insertion order = recency: a window re-reporting its models moves to the end. */
  private readonly windows = new Map<WindowConnection, VscodeLmModelInfo[]>();
  private readonly streams = new Map<string, Pending>();

  setModels(connection: WindowConnection, models: VscodeLmModelInfo[]): void {
    this.windows.delete(connection);
    this.windows.set(connection, models);
  }

  remove(connection: WindowConnection): void {
    this.windows.delete(connection);
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
  chunk(streamId: string, text: string): void {
    const pending = this.streams.get(streamId);
    if (!pending) return;
    pending.pieces.push(text);
    pending.wake?.();
  }

  async *chat(params: VscodeLmCall, signal: AbortSignal): AsyncGenerator<string> {
    const connection = this.windowFor(params.modelId);
    if (!connection) throw new Error(`no VS Code window offering "${params.modelId}" is connected`);
    const streamId = `lm-${randomBytes(8).toString('hex')}`;
    const pending: Pending = { pieces: [], wake: null };
    this.streams.set(streamId, pending);
    const cancel = new CancellationTokenSource();
    const onAbort = (): void => {
      cancel.cancel();
      pending.wake?.();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let result: { text: string } | null = null;
    let failure: unknown = null;
    let settled = false;
    const request: VscodeLmChatParams = {
      modelId: params.modelId,
      messages: params.messages,
      streamId,
      ...(params.maxTokens !== undefined ? { maxTokens: params.maxTokens } : {}),
    };
    void connection.sendRequest(VscodeLmChatRequest, request, cancel.token).then(
      (value) => {
        result = value;
        settled = true;
        pending.wake?.();
      },
      (err: unknown) => {
        failure = err;
        settled = true;
        pending.wake?.();
      },
    );
    let streamed = false;
    try {
      for (;;) {
        while (pending.pieces.length > 0) {
          streamed = true;
          yield pending.pieces.shift()!;
        }
        if (settled) break;
        if (signal.aborted) throw new Error('aborted');
        await new Promise<void>((resolve) => (pending.wake = resolve));
        pending.wake = null;
      }
      if (failure)
        throw failure instanceof Error
          ? failure
          : new Error((failure as { message?: string }).message ?? JSON.stringify(failure));
      // A window that answered without streaming: the whole text comes in the result.
      const final = result as { text: string } | null;
      if (!streamed && final?.text) yield final.text;
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (!settled) cancel.cancel();
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
