// The live event bus: the chat and feedback services emit, the HTTP SSE feed and the RPC door
// forward to dashboards and windows. A listener that throws is dropped, never the emitter.
import type { LiveEvent } from '../../shared/api';
import type { LiveEvents } from './types';

export class LiveEventBus implements LiveEvents {
  private readonly subscribers = new Set<(event: LiveEvent) => void>();

  get listeners(): number {
    return this.subscribers.size;
  }

  emit(event: LiveEvent): void {
    for (const listener of this.subscribers) {
      try {
        listener(event);
      } catch {
        this.subscribers.delete(listener);
      }
    }
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }
}
