// Runs compaction jobs on the snapshot worker thread. Where the worker cannot start (its file is
// missing, or the platform refuses threads) `available` is false and the store snapshots on the
// event loop instead.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CompactJob } from './compact';
import type { WorkerJob, WorkerReply } from './snapshot-worker';

/** dist/store-worker.js next to the bundle; snapshot-worker.ts when running from the sources. */
function startWorker(): Worker | undefined {
  const bundled = path.join(__dirname, 'store-worker.js');
  if (existsSync(bundled)) return new Worker(bundled);
  // From the sources (tests, `node --import tsx`): worker threads do not inherit the loader hooks,
  // so the worker registers tsx's CommonJS hook itself before loading the TypeScript file.
  const source = path.join(__dirname, 'snapshot-worker.ts');
  if (!existsSync(source) || !process.execArgv.join(' ').includes('tsx')) return undefined;
  const bootstrap = `require('tsx/cjs/api').register(); require(${JSON.stringify(source)});`;
  return new Worker(bootstrap, { eval: true });
}

export class SnapshotWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<
    number,
    { resolve: (r: { bytes: number; ms: number }) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;

  constructor() {
    try {
      this.worker = startWorker();
    } catch {
      return;
    }
    if (!this.worker) return;
    this.worker.on('message', (reply: WorkerReply) => {
      const job = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker?.unref();
      if (!job) return;
      if (reply.ok) job.resolve({ bytes: reply.bytes, ms: reply.ms });
      else job.reject(new Error(reply.error));
    });
    const fail = (err: Error) => {
      this.worker = undefined;
      for (const job of this.pending.values()) job.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`snapshot worker exited (code ${code})`)));
    // Idle, it must not keep the process alive (unref after the listeners: adding one refs it);
    // a job in progress does (run() refs it), so an awaited snapshot finishes.
    this.worker.unref();
  }

  get available(): boolean {
    return this.worker !== undefined;
  }

  /** Compacts into `temp` (written and fsynced); resolves with the file's size and the time taken. */
  run(job: CompactJob & { temp: string }): Promise<{ bytes: number; ms: number }> {
    const worker = this.worker;
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
    void worker?.terminate();
  }
}
