// Client of the USE worker thread (use-worker.ts): the same Embedder, with the model and its WASM
// work off the event loop. Falls back to the in-thread embedder when no worker can start (a bundle
// without use-worker.js, or sources run without tsx) or when the worker dies.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Embedder } from '../core/ports';
import { createUseEmbedder, USE_ID } from './use';
import type { UseWorkerReply, UseWorkerRequest } from './use-worker';

type Loadable = Embedder & { load(): Promise<void> };

/** dist/use-worker.js next to the bundle; use-worker.ts when running from the sources. */
function startWorker(): Worker | undefined {
  // The worker's JS heap stays small (the model lives in WASM memory); a small young generation
  // keeps its share of the daemon's memory down (measured: RSS 277 → 245 MB at 100k outcomes).
  const resourceLimits = { maxYoungGenerationSizeMb: 4 };
  const bundled = path.join(__dirname, 'use-worker.js');
  if (existsSync(bundled)) return new Worker(bundled, { resourceLimits });
  // Worker threads do not inherit tsx's loader hooks: the worker registers them itself.
  const source = path.join(__dirname, 'use-worker.ts');
  if (!existsSync(source) || !process.execArgv.join(' ').includes('tsx')) return undefined;
  return new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(source)});`, {
    eval: true,
    resourceLimits,
  });
}

export function createThreadedUseEmbedder(log?: (msg: string) => void): Loadable {
  let worker: Worker | undefined;
  try {
    worker = startWorker();
  } catch (err) {
    log?.(`embeddings: no worker thread (${err instanceof Error ? err.message : String(err)}); embedding in-thread`);
  }
  let inThread: Loadable | undefined;
  const fallback = () => (inThread ??= createUseEmbedder(log));
  const pending = new Map<number, { resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }>();
  let nextId = 1;

  if (worker) {
    worker.on('message', (reply: UseWorkerReply) => {
      if ('log' in reply) return log?.(reply.log);
      const job = pending.get(reply.id);
      pending.delete(reply.id);
      if (pending.size === 0) worker?.unref();
      if (!job) return;
      if (reply.ok) job.resolve(reply.vectors);
      else job.reject(new Error(reply.error));
    });
    const fail = (err: Error) => {
      if (!worker) return;
      log?.(`embeddings: worker thread failed (${err.message}); embedding in-thread from now on`);
      worker = undefined;
      for (const job of pending.values()) job.reject(err);
      pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    // Idle, the worker must not keep the process alive; a request in flight does.
    worker.unref();
  }

  function ask(request: { texts: string[] } | { load: true }): Promise<Float32Array[]> {
    const w = worker;
    if (!w)
      return 'load' in request
        ? fallback()
            .load()
            .then(() => [])
        : fallback().embed(request.texts);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ ...request, id } satisfies UseWorkerRequest);
    });
  }

  return {
    id: USE_ID,
    dimensions: 512,
    async load() {
      await ask({ load: true });
    },
    embed: (texts) => (texts.length === 0 ? Promise.resolve([]) : ask({ texts: [...texts] })),
  };
}
