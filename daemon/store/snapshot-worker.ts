// The snapshot worker thread: folds the last snapshot and the sealed journal files into a new
// database file and writes it (fsynced) to a temp path, so the event loop never runs db.export()
// of a big database. The store renames the temp file itself. Bundled as dist/store-worker.js.
import { parentPort } from 'node:worker_threads';
import { compact, type CompactJob } from './compact';
import { writeDurable } from './snapshot';

export interface WorkerJob extends CompactJob {
  id: number;
  temp: string;
}
export type WorkerReply =
  { id: number; ok: true; bytes: number; ms: number } | { id: number; ok: false; error: string };

const port = parentPort;
if (port) {
  port.on('message', (job: WorkerJob) => {
    const started = performance.now();
    compact(job)
      .then(async (bytes) => {
        await writeDurable(job.temp, bytes);
        port.postMessage({
          id: job.id,
          ok: true,
          bytes: bytes.length,
          ms: performance.now() - started,
        } satisfies WorkerReply);
      })
      .catch((err: unknown) => {
        port.postMessage({
          id: job.id,
          ok: false,
          error: err instanceof Error ? err.message : String(err),
        } satisfies WorkerReply);
      });
  });
}
