// A daemon's benchmark run on a worker thread (bundled as dist/benchmark-worker.js; threaded.ts is
// its client). The runner computes for seconds between awaits (folds, kNN scans, refits: ~7 s for
// the bundled sample once its vectors are on disk), which on the daemon's event loop held every
// chat request and the window's own cancellation until the run ended.
import { parentPort, workerData } from 'node:worker_threads';
import type { BenchmarkProgress, BenchmarkReport } from '../../shared/api';
import { runBenchmark, type BenchmarkOptions } from './run';

export type BenchmarkWorkerMessage =
  | { type: 'progress'; progress: BenchmarkProgress }
  | { type: 'done'; report: BenchmarkReport }
  // The runner's errors are plain Errors (bad files, bad options): their message is what the
  // client shows.
  | { type: 'failed'; message: string };

const port = parentPort;
if (port) {
  const post = (message: BenchmarkWorkerMessage): void => port.postMessage(message);
  runBenchmark(workerData as BenchmarkOptions, (progress) => post({ type: 'progress', progress })).then(
    (report) => post({ type: 'done', report }),
    (err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
  );
}
