// Runs a daemon's benchmark on a worker thread (worker.ts): the daemon keeps answering while it
// runs, and a cancelled run stops at once (the thread is ended) instead of at its next step.
import type { Worker } from 'node:worker_threads';
import type { BenchmarkReport } from '../../shared/api';
import { FugusashiError } from '../../shared/errors';
import type { BenchmarkOptions, ProgressListener } from './run';
import type { BenchmarkWorkerMessage } from './worker';
import { startWorkerThread } from '../worker-thread';

function startWorker(options: Omit<BenchmarkOptions, 'signal'>): Worker {
  const worker = startWorkerThread(__dirname, 'benchmark-worker.js', 'worker.ts', { workerData: options });
  if (!worker)
    throw new FugusashiError('Internal', 'The benchmark worker (benchmark-worker.js) is missing from this build.');
  return worker;
}

/** runBenchmark's contract (progress, report, `options.signal` stops it), on a worker thread. */
export function runBenchmarkInWorker(
  options: BenchmarkOptions,
  onProgress?: ProgressListener,
): Promise<BenchmarkReport> {
  const { signal, ...plain } = options;
  return new Promise((resolve, reject) => {
    // The signal's reason: the service aborts with a FugusashiError('Cancelled').
    const cancelled = (): Error =>
      signal?.reason instanceof Error
        ? signal.reason
        : new FugusashiError('Cancelled', 'The benchmark run was cancelled.');
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const worker = startWorker(plain);
    let settled = false;
    const finish = (end: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', cancel);
      // The thread has nothing left to do; ending it also ends its embedder's thread.
      void worker.terminate();
      end();
    };
    const cancel = (): void => finish(() => reject(cancelled()));
    signal?.addEventListener('abort', cancel, { once: true });
    worker.on('message', (message: BenchmarkWorkerMessage) => {
      if (message.type === 'progress') {
        if (settled) return;
        // Here a listener's throw would be uncaught (this is an event handler) and end the daemon:
        // a window gone mid-run made sendNotification throw. The run goes on; its report is kept.
        try {
          onProgress?.(message.progress);
        } catch {
          // the listener's own business
        }
      } else if (message.type === 'done') finish(() => resolve(message.report));
      else finish(() => reject(new Error(message.message)));
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`the benchmark thread exited (code ${code})`))));
  });
}
