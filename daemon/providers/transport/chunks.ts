// An upstream response body as an async iterator of chunks, driven by the stream's own events.
// Readable's built-in async iterator costs several promises, a read() pass and an end-of-stream
// watcher per chunk; on the gateway's hot path (one or a few chunks per answer) that showed as a
// few percent of a request's CPU. This queue keeps what arrived, hands it over in order, and pauses
// the socket when the reader falls behind, so a fast upstream cannot fill the memory.
import type { IncomingMessage } from 'node:http';

/** What ChunkQueue.poll returns once the body ended and every chunk was taken. */
export const END = Symbol('end of body');

/** Chunks held before the upstream socket is paused (resumed once the reader took them all). */
const HIGH_WATER_CHUNKS = 16;

export class ChunkQueue implements AsyncIterator<Buffer> {
  private chunks: Buffer[] = [];
  private head = 0;
  private ended = false;
  private failure: Error | undefined;
  private paused = false;
  private waiting: { resolve: (r: IteratorResult<Buffer>) => void; reject: (err: Error) => void } | undefined;

  constructor(private readonly res: IncomingMessage) {
    res.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      if (this.waiting) this.wake();
      else if (this.chunks.length - this.head >= HIGH_WATER_CHUNKS && !this.paused) {
        this.paused = true;
        res.pause();
      }
    });
    res.on('end', () => {
      this.ended = true;
      this.wake();
    });
    res.on('error', (err: Error) => {
      this.failure ??= err;
      this.wake();
    });
    // Destroyed before its end without an error (the socket closed under it): a cut-off body.
    res.on('close', () => {
      if (!this.ended) {
        this.failure ??= new Error('aborted');
        this.wake();
      }
    });
  }

  /**
   * What the reader can have without waiting: a chunk, END, or undefined when it would have to wait.
   * Throws the failure once the chunks before it were taken. No promise: the hot path's chunks are
   * usually here already (a whole JSON answer, the first events of a stream).
   */
  poll(): Buffer | typeof END | undefined {
    const chunk = this.take();
    if (chunk) return chunk;
    if (this.failure !== undefined) throw this.failure;
    return this.ended ? END : undefined;
  }

  /**
   * The whole response has been received (its last chunk or its end is queued, or about to be):
   * waiting for the rest involves no network, so no idle limit is needed.
   */
  get received(): boolean {
    return this.res.complete;
  }

  next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.take();
    if (chunk) return Promise.resolve({ done: false, value: chunk });
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  private take(): Buffer | undefined {
    if (this.head >= this.chunks.length) return undefined;
    const chunk = this.chunks[this.head++];
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
      if (this.paused) {
        this.paused = false;
        this.res.resume();
      }
    }
    return chunk;
  }

  /** Hands the waiting reader what is there now: a chunk, else the error, else the end. */
  private wake(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    const chunk = this.take();
    if (chunk) {
      this.waiting = undefined;
      waiting.resolve({ done: false, value: chunk });
    } else if (this.failure !== undefined) {
      this.waiting = undefined;
      waiting.reject(this.failure);
    } else if (this.ended) {
      this.waiting = undefined;
      waiting.resolve({ done: true, value: undefined });
    }
  }
}
