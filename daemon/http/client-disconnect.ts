// A request's cancellation at the HTTP doors: it aborts when the client goes away before its answer
// finished. Every HTTP chat request makes one, and almost none is ever aborted, so it is built to
// cost nothing until then: an AbortController costs ~8 µs of CPU to create and an EventTarget
// listener ~1 µs to add and remove (Node 20), about 3 % of the daemon's CPU per proxied request.
// It implements what the pipeline reads of a signal (providers/types.ts CancelSignal) with
// AbortSignal's semantics: listeners run once, in the order added, a listener added twice runs
// once, one added after the abort never runs.
import type { ServerResponse } from 'node:http';
import type { CancelSignal } from '../providers/types';

export class ClientDisconnect implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] = [];

  constructor(res: ServerResponse) {
    res.once('close', () => {
      if (!res.writableFinished) this.abort(new Error('client disconnected'));
    });
  }

  /** `once` needs no handling: the signal aborts at most once, and then lets go of its listeners. */
  addEventListener(_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    if (this.aborted || this.listeners.includes(listener)) return;
    this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners.indexOf(listener);
    if (i !== -1) this.listeners.splice(i, 1);
  }

  private abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) {
      try {
        listener();
      } catch (err) {
        // As an EventTarget does: the other listeners still run, the error is reported as uncaught.
        process.nextTick(() => {
          throw err;
        });
      }
    }
  }
}
