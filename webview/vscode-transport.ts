// VS Code webview transport: postMessage to the extension, which performs the JSON-RPC call to the
// daemon and posts the answer back; live events arrive as `live` messages.
import type { LiveEvent } from '../shared/api';
import type { DashboardOperation, FromWebview, OperationParams, OperationResult, ToWebview } from '../shared/webview';
import type { ConnectionState, LiveSubscription, Transport } from './transport';

/** The part of the webview API the page uses (acquireVsCodeApi() may be called only once). */
export interface VsCodeApi {
  postMessage(message: FromWebview): void;
}

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

export class VsCodeTransport implements Transport {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<{
    onEvent: (event: LiveEvent) => void;
    onState: (state: ConnectionState) => void;
  }>();

  constructor(private readonly api: VsCodeApi) {
    window.addEventListener('message', (e: MessageEvent<ToWebview>) => this.receive(e.data));
    api.postMessage({ type: 'ready' });
  }

  private receive(msg: ToWebview): void {
    if (msg.type === 'response') {
      const waiting = this.pending.get(msg.id);
      if (!waiting) return;
      this.pending.delete(msg.id);
      if (msg.ok) waiting.resolve(msg.result);
      else waiting.reject(new Error(msg.error ?? 'request failed'));
    } else if (msg.type === 'live') {
      for (const l of this.listeners) l.onEvent(msg.event);
    } else if (msg.type === 'connection') {
      for (const l of this.listeners) l.onState(msg.connected ? 'open' : 'closed');
    }
  }

  call<K extends DashboardOperation>(op: K, params: OperationParams<K>): Promise<OperationResult<K>> {
    const id = this.nextId++;
    return new Promise<OperationResult<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.api.postMessage({ type: 'request', id, op, params });
    });
  }

  subscribe(onEvent: (event: LiveEvent) => void, onState: (state: ConnectionState) => void): LiveSubscription {
    const listener = { onEvent, onState };
    this.listeners.add(listener);
    // The extension forwards notifications from the moment the panel exists.
    onState('open');
    return { close: () => this.listeners.delete(listener) };
  }
}
