// The USE embedder on a worker thread. TF.js on WASM runs a whole graph synchronously: on the
// daemon's event loop one new prompt's embedding (30–150 ms) would stall every other request, the
// dashboard's live updates, and the routing.embeddings.wait_ms budget (a timer cannot fire while
// the loop is busy). Bundled as dist/use-worker.js; threaded.ts is its client.
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { createUseEmbedder } from './use';

/** What the worker holds (bytes): its own V8 heap and tfjs's WASM memory. */
export interface UseWorkerMemory {
  heapUsed: number;
  heapTotal: number;
  wasm: number;
}

export type UseWorkerRequest =
  { id: number; texts: string[] } | { id: number; load: true } | { id: number; memory: true };
export type UseWorkerReply =
  | { id: number; ok: true; vectors: Float32Array[] }
  | { id: number; ok: true; memory: UseWorkerMemory }
  | { id: number; ok: false; error: string }
  | { log: string };

const port = parentPort;
if (port) {
  const embedder = createUseEmbedder((msg) => port.postMessage({ log: msg } satisfies UseWorkerReply));
  port.on('message', (request: UseWorkerRequest) => {
    if ('memory' in request) {
      const heap = getHeapStatistics();
      const memory = {
        heapUsed: heap.used_heap_size,
        heapTotal: heap.total_heap_size,
        wasm: embedder.wasmMemoryBytes(),
      };
      port.postMessage({ id: request.id, ok: true, memory } satisfies UseWorkerReply);
      return;
    }
    const work = 'load' in request ? embedder.load().then(() => []) : embedder.embed(request.texts);
    work.then(
      (vectors) => port.postMessage({ id: request.id, ok: true, vectors } satisfies UseWorkerReply),
      (err: unknown) =>
        port.postMessage({
          id: request.id,
          ok: false,
          error: err instanceof Error ? err.message : String(err),
        } satisfies UseWorkerReply),
    );
  });
}
