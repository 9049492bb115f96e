// Reconnecting after the daemon connection was lost. vscode-languageclient restarts a client once per
// closed connection, and when that start fails it only logs "Restarting server failed" and leaves the
// client stopped for good: one unlucky attempt (a daemon that died during its start, a timeout on a
// busy machine) would end the recovery while the status still says "restarting". So a failed
// attempt is retried here, inside that one start, each retry counted by the same restart policy
// that bounds restarts after crashes. No vscode import: unit-tested with real processes.

export interface RetryOptions {
  /** Counts each retry; false ends the retries (the last error is thrown). */
  policy: { shouldRestart(): boolean };
  /** Pause before each retry. */
  backoffMs: number;
  /** True once the attempt is no longer wanted (the client was stopped or replaced). */
  cancelled: () => boolean;
  onRetry?: (err: unknown) => void;
}

export async function retryWhileAllowed<T>(attempt: () => Promise<T>, o: RetryOptions): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (o.cancelled() || !o.policy.shouldRestart()) throw err;
      o.onRetry?.(err);
      await new Promise((r) => setTimeout(r, o.backoffMs));
      if (o.cancelled()) throw err;
    }
  }
}
