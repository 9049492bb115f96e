// Waiting for the daemon connection: resolves with the next connection, rejects when the start
// fails for good (with its reason, at once: not after the whole timeout) or when the time is up.
import type { DisposableLike } from '../rpc';

export interface ConnectionEvents<T> {
  onDidConnect(listener: (connection: T) => void): DisposableLike;
  /** The daemon could not be started or reconnected, and no further attempt is under way. */
  onDidFail(listener: (reason: string) => void): DisposableLike;
}

export function awaitConnection<T>(events: ConnectionEvents<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      connected.dispose();
      failed.dispose();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`the Fugusashi daemon did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const connected = events.onDidConnect((connection) => {
      done();
      resolve(connection);
    });
    const failed = events.onDidFail((reason) => {
      done();
      reject(new Error(`the Fugusashi daemon is not running (${reason}); run “Fugusashi: Restart Daemon”`));
    });
  });
}
