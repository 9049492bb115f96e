// Runs compaction jobs on the snapshot worker thread. Where the worker cannot start (its file is
// missing, or the platform refuses threads) `available` is false and the store snapshots on the
// event loop instead.
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../worker-thread';
import type { CompactJob } from './compact';
import type { WorkerJob, WorkerReply } from './snapshot-worker';

/** dist/store-worker.js next to the bundle; snapshot-worker.ts when running from the sources. */
function startWorker(): Worker | undefined {
  return startWorkerThread(__dirname, 'store-worker.js', 'snapshot-worker.ts');
}

export class SnapshotWorker {
  private worker: Worker | undefined;
  /** False once a worker could not start: the store then snapshots on the event loop. */
  private startable = true;
  private readonly pending = new Map<
    number,
    { resolve: (r: { bytes: number; ms: number }) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;

  constructor() {
    // Start one now, so `available` tells the store at once whether threads work here.
    this.worker = this.start();
  }

  get available(): boolean {
    return this.worker !== undefined || this.startable;
  }

  /** Whether a worker thread is alive now (between snapshots none is). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Compacts into `temp` (written and fsynced); resolves with the file's size and the time taken. */
  run(job: CompactJob & { temp: string }): Promise<{ bytes: number; ms: number }> {
    const worker = this.worker ?? (this.worker = this.start());
    if (!worker) return Promise.reject(new Error('no snapshot worker'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...job, id } satisfies WorkerJob);
    });
  }

  close(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.startable = false;
    void worker?.terminate();
  }

  private start(): Worker | undefined {
    if (!this.startable) return undefined;
    let worker: Worker | undefined;
    try {
      worker = startWorker();
    } catch {
      worker = undefined;
    }
    if (!worker) {
      this.startable = false;
      return undefined;
    }
    worker.on('message', (reply: WorkerReply) => {
      const job = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      // Between snapshots the worker is ended: its sql.js heap (WASM memory never shrinks) held
      // two to three times the database's size for nothing, e.g. ~200 MB of RSS at a 53 MB store.
      // A snapshot starts a new one (tens of ms, against seconds of compaction).
      if (this.pending.size === 0 && this.worker === worker) {
        this.worker = undefined;
        void worker.terminate();
      }
      if (!job) return;
      if (reply.ok) job.resolve({ bytes: reply.bytes, ms: reply.ms });
      else job.reject(new Error(reply.error));
    });
    const fail = (err: Error) => {
      // An ended idle worker's exit concerns no job (the next snapshot's belong to its successor).
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const job of this.pending.values()) job.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`snapshot worker exited (code ${code})`)));
    // Waiting for its first job it must not keep the process alive (unref after the listeners:
    // adding one refs it); a job in progress does (run() refs it), so an awaited snapshot finishes.
    worker.unref();
    return worker;
  }
}
