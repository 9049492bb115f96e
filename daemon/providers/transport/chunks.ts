// An upstream response body as an async iterator of chunks, fed by the transport's undici handler
// (push, end, fail). Readable's async iterator costs several promises, a read() pass and an
// end-of-stream watcher per chunk; on the gateway's hot path (one or a few chunks per answer) that
// showed as a few percent of a request's CPU. This queue keeps what arrived, hands it over in order,
// and pauses the upstream connection when the reader falls behind, so a fast upstream cannot fill
// the memory.

/** What ChunkQueue.poll returns once the body ended and every chunk was taken. */
export const END = Symbol('end of body');

/** Chunks held before the upstream is paused (resumed once the reader took them all). */
const HIGH_WATER_CHUNKS = 16;

/** Flow control of the connection the chunks come from. */
export interface Flow {
  pause(): void;
  resume(): void;
}

export class ChunkQueue implements AsyncIterator<Buffer> {
  private chunks: Buffer[] = [];
  private head = 0;
  private ended = false;
  private failure: Error | undefined;
  private paused = false;
  private flow: Flow | undefined;
  private waiting: { resolve: (r: IteratorResult<Buffer>) => void; reject: (err: Error) => void } | undefined;

  /** The connection to pause when the reader falls behind (known once the request is under way). */
  attach(flow: Flow): void {
    this.flow = flow;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    if (this.waiting) this.wake();
    else if (this.chunks.length - this.head >= HIGH_WATER_CHUNKS && !this.paused && this.flow) {
      this.paused = true;
      this.flow.pause();
    }
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  /** The body broke (or was cut off): the reader gets this error once the chunks before it are taken. */
  fail(err: Error): void {
    if (this.ended) return;
    this.failure ??= err;
    this.wake();
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

  /** The whole response has been received: waiting for the rest involves no network. */
  get received(): boolean {
    return this.ended;
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
        this.flow?.resume();
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
