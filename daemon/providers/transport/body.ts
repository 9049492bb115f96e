// An upstream response body as the adapters read it: the first chunk (already read, it resolved the
// request), then the chunk queue's. A plain iterator instead of an async generator: a generator
// layer costs an extra promise and resumption per chunk, and the idle timer is only armed when the
// reader really has to wait for the upstream (a whole JSON answer or the first events of a stream
// are usually here already, so the hot path sets no timer at all).
import { END, type ChunkQueue } from './chunks';

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

export interface BodyEvents {
  /** The idle limit while waiting for the next chunk. */
  idleMs: number;
  /** Called when the upstream sent nothing for idleMs (the caller destroys the request). */
  onStall: () => void;
  /** Maps a socket error to the error the reader sees. */
  mapError: (err: unknown) => Error;
  /** Called once the body was read to its end. */
  onEnd: () => void;
}

export class UpstreamBody implements AsyncIterableIterator<Buffer> {
  private done = false;

  constructor(
    private readonly queue: ChunkQueue,
    private first: Buffer | undefined,
    private readonly events: BodyEvents,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.done) return Promise.resolve(DONE);
    const first = this.first;
    if (first) {
      this.first = undefined;
      return Promise.resolve({ done: false, value: first });
    }
    let ready: Buffer | typeof END | undefined;
    try {
      ready = this.queue.poll();
    } catch (err) {
      this.done = true;
      return Promise.reject(this.events.mapError(err));
    }
    if (ready === END) return Promise.resolve(this.end());
    if (ready) return Promise.resolve({ done: false, value: ready });
    // The idle limit runs only while waiting for the upstream, not while the consumer works, nor
    // when everything has arrived and only the end event is still to come (a JSON answer's usual case).
    const idle = this.queue.received ? undefined : setTimeout(this.events.onStall, this.events.idleMs);
    return this.queue.next().then(
      (result) => {
        clearTimeout(idle);
        return result.done ? this.end() : result;
      },
      (err: unknown) => {
        clearTimeout(idle);
        this.done = true;
        throw this.events.mapError(err);
      },
    );
  }

  /** The reader stopped early (for-await's break): nothing more is handed out. */
  return(): Promise<IteratorResult<Buffer>> {
    this.done = true;
    this.first = undefined;
    return Promise.resolve(DONE);
  }

  private end(): IteratorReturnResult<undefined> {
    if (!this.done) {
      this.done = true;
      this.events.onEnd();
    }
    return DONE;
  }
}
