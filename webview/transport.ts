// The one seam between the UI and where data comes from. The browser talks HTTP + Server-Sent
// Events to the daemon; the VS Code webview talks postMessage to the extension, which talks JSON-RPC.
import type { LiveEvent } from '../shared/api';
import type { DashboardOperation, OperationParams, OperationResult } from '../shared/webview';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface LiveSubscription {
  close(): void;
}

export interface Transport {
  /** Performs one dashboard operation (see DashboardOperations in shared/webview.ts). */
  call<K extends DashboardOperation>(op: K, params: OperationParams<K>): Promise<OperationResult<K>>;
  /** Pushes every live event as it happens; `onState` reports the connection for the status badge. */
  subscribe(onEvent: (event: LiveEvent) => void, onState: (state: ConnectionState) => void): LiveSubscription;
}
