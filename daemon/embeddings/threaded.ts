// Client of the USE worker thread (use-worker.ts): the same Embedder, with the model and its WASM
// work off the event loop. Falls back to the in-thread embedder when no worker can start (a bundle
// without use-worker.js) or when the worker dies.
import type { Worker } from 'node:worker_threads';
import type { Embedder } from '../core/ports';
import { createUseEmbedder, USE_ID } from './use';
import type { UseWorkerMemory, UseWorkerReply, UseWorkerRequest } from './use-worker';
import { startWorkerThread } from '../worker-thread';

type Loadable = Embedder & { load(): Promise<void> };

/** dist/use-worker.js next to the bundle; use-worker.ts when running from the sources. */
function startWorker(): Worker | undefined {
  // The worker's JS heap stays small (the model lives in WASM memory); a small young generation
  // keeps its share of the daemon's memory down (measured: RSS 277 → 245 MB at 100k outcomes).
  return startWorkerThread(__dirname, 'use-worker.js', 'use-worker.ts', {
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
}

/**
 * How long the worker may sit idle before it is ended. Loaded, it holds ~70 MB (USE's weights and
 * XNNPACK's packed copies of them in WASM memory, which never shrinks, plus its own isolate):
 * `npm run bench:router` at 100k outcomes measured RSS 274 → 206 MB once it was ended. The next
 * embedding starts a new one (about a second of CPU to load the model, off the event loop); with
 * the fast first view no decision waits for it.
 */
export const USE_WORKER_IDLE_MS = 60_000;

export interface ThreadedUseOptions {
  /** Idle time before the worker is ended (default USE_WORKER_IDLE_MS; Infinity: never). */
  idleMs?: number;
}

export type ThreadedUseEmbedder = Loadable & {
  /** Whether a worker thread is alive now (it is ended after idleMs without work). */
  readonly running: boolean;
  /** The worker's V8 heap and WASM memory, or undefined when no worker is running (diagnostics). */
  memory(): Promise<UseWorkerMemory | undefined>;
};

export function createThreadedUseEmbedder(
  log?: (msg: string) => void,
  options: ThreadedUseOptions = {},
): ThreadedUseEmbedder {
  const idleMs = options.idleMs ?? USE_WORKER_IDLE_MS;
  let worker: Worker | undefined;
  /** False once no worker could start, or one died: everything is embedded in-thread from then on. */
  let startable = true;
  let inThread: Loadable | undefined;
  const fallback = () => (inThread ??= createUseEmbedder(log));
  type Job = { resolve: (reply: Extract<UseWorkerReply, { ok: true }>) => void; reject: (e: Error) => void };
  const pending = new Map<number, Job>();
  let nextId = 1;
  let idleTimer: NodeJS.Timeout | undefined;

  function endWhenIdle(w: Worker): void {
    clearTimeout(idleTimer);
    if (!Number.isFinite(idleMs)) return;
    idleTimer = setTimeout(() => {
      if (worker !== w || pending.size > 0) return;
      worker = undefined;
      void w.terminate();
    }, idleMs);
    idleTimer.unref();
  }

  function start(): Worker | undefined {
    if (!startable) return undefined;
    let w: Worker | undefined;
    try {
      w = startWorker();
    } catch (err) {
      log?.(`embeddings: no worker thread (${err instanceof Error ? err.message : String(err)}); embedding in-thread`);
    }
    if (!w) {
      startable = false;
      return undefined;
    }
    const started = w;
    started.on('message', (reply: UseWorkerReply) => {
      if ('log' in reply) return log?.(reply.log);
      const job = pending.get(reply.id);
      pending.delete(reply.id);
      if (pending.size === 0) {
        started.unref();
        endWhenIdle(started);
      }
      if (!job) return;
      if (reply.ok) job.resolve(reply);
      else job.reject(new Error(reply.error));
    });
    const fail = (err: Error) => {
      // An idle worker ended on purpose concerns no job.
      if (worker !== started) return;
      log?.(`embeddings: worker thread failed (${err.message}); embedding in-thread from now on`);
      worker = undefined;
      startable = false;
      for (const job of pending.values()) job.reject(err);
      pending.clear();
    };
    started.on('error', fail);
    started.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    // Idle, the worker must not keep the process alive; a request in flight does.
    started.unref();
    endWhenIdle(started);
    return started;
  }

  // Started now, so a platform without worker threads falls back at once (and says so).
  worker = start();

  function post(w: Worker, request: { texts: string[] } | { load: true } | { memory: true }) {
    clearTimeout(idleTimer);
    const id = nextId++;
    return new Promise<Extract<UseWorkerReply, { ok: true }>>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ ...request, id } satisfies UseWorkerRequest);
    });
  }

  async function ask(request: { texts: string[] } | { load: true }): Promise<Float32Array[]> {
    const w = worker ?? (worker = start());
    if (!w)
      return 'load' in request
        ? fallback()
            .load()
            .then(() => [])
        : fallback().embed(request.texts);
    const reply = await post(w, request);
    return 'vectors' in reply ? reply.vectors : [];
  }

  return {
    id: USE_ID,
    dimensions: 512,
    get running() {
      return worker !== undefined;
    },
    async memory() {
      if (!worker) return undefined;
      const reply = await post(worker, { memory: true });
      return 'memory' in reply ? reply.memory : undefined;
    },
    async load() {
      await ask({ load: true });
    },
    embed: (texts) => (texts.length === 0 ? Promise.resolve([]) : ask({ texts: [...texts] })),
  };
}
