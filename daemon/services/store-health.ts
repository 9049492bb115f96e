// Whether the store is keeping what it is given. A write that fails for a reason other than bad
// input (disk full, read-only or vanished data dir) turns /health degraded until a write succeeds
// again, and the request whose record was lost is told so (routing_decision.record_kept: false)
// instead of being acknowledged as stored.
import { FugusashiError } from '../../shared/errors';
import type { Store } from '../core/ports';

export interface StoreWriteHealth {
  /** The last write failed: its error message; null while writes succeed. */
  readonly failing: string | null;
  /** Writes lost since the daemon started. */
  readonly lostWrites: number;
}

const WRITES = ['saveRequest', 'addFeedback', 'addOutcomes'] as const;

/**
 * Wraps the store's write methods in place (so whatever else holds the store sees the same
 * object) and returns their live health.
 */
export function monitorStoreWrites(store: Store): StoreWriteHealth {
  const health = { failing: null as string | null, lostWrites: 0 };
  for (const name of WRITES) {
    const write = (store[name] as (...args: unknown[]) => unknown).bind(store);
    const monitored = (...args: unknown[]): unknown => {
      try {
        const result = write(...args);
        health.failing = null;
        return result;
      } catch (err) {
        // Bad input (unknown request id, invalid rating) is the caller's error, not the store's.
        if (!(err instanceof FugusashiError)) {
          health.failing = err instanceof Error ? err.message : String(err);
          health.lostWrites++;
        }
        throw err;
      }
    };
    (store as unknown as Record<string, unknown>)[name] = monitored;
  }
  return health;
}
