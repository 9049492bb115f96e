// A stream's synchronous fast path. Every layer a streamed answer passes (the adapter's SSE parse
// loop, the attempt loop's hold-back, the relay that re-labels chunks, the door's writer) is an
// async iterator; awaiting one costs turns of the microtask queue even when the next chunk is
// already in memory, and on the way to a stream's first byte that cost about half of the daemon's
// own time after the upstream answered (bench:gateway, issue 14). A layer that can tell what it
// has buffered offers poll(); a reader takes chunks from it without a promise and awaits next()
// only when nothing is there. Iterators without poll() (async generators) work unchanged.

/** What poll() returns when nothing is buffered: await next() for the next item or the end. */
export const NOT_YET: unique symbol = Symbol('not yet');

/**
 * An async iterator that may also hand over its next item synchronously. poll() returns the item
 * next() would resolve with when it is already here, else NOT_YET (the end is always reported by
 * next(), which may have work to finish first, such as draining a socket). It throws what next()
 * would reject with, after which the iterator is finished. Not to be called while a next() is
 * pending.
 */
export interface Pollable<T> extends AsyncIterator<T> {
  poll?(): T | typeof NOT_YET;
}

/** An async iterable whose iterator may be Pollable (an async generator is one without poll). */
export interface PollableIterable<T> extends AsyncIterable<T> {
  [Symbol.asyncIterator](): Pollable<T>;
}

/** What forEachItem's `each` returns to stop reading (for-await's break). */
export const STOP: unique symbol = Symbol('stop');

/** The iterator's next item if it has one buffered, else NOT_YET (always, for one without poll). */
export function poll<T>(it: Pollable<T>): T | typeof NOT_YET {
  return it.poll ? it.poll() : NOT_YET;
}

/**
 * Hands each item to `each` in order, as for-await would: items already buffered without a promise,
 * `each`'s promise (back-pressure) awaited before the next. Stops early when `each` returns STOP,
 * and then, or when `each` throws, lets the iterator go (return()), as a for-await's break does.
 */
export async function forEachItem<T>(
  source: PollableIterable<T>,
  each: (item: T) => Promise<void> | void | typeof STOP,
): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  /** The iterator finished (ended or failed): nothing to let go of. */
  let finished = false;
  try {
    for (;;) {
      let item: T | typeof NOT_YET;
      try {
        item = poll(it);
        if (item === NOT_YET) {
          const next = await it.next();
          if (next.done) {
            finished = true;
            return;
          }
          item = next.value;
        }
      } catch (err) {
        finished = true;
        throw err;
      }
      const done = each(item);
      if (done === STOP) return;
      if (done) await done;
    }
  } finally {
    if (!finished) await it.return?.();
  }
}

/** A promise rejected with a caught error (next() hands a synchronous failure over this way). */
// eslint-disable-next-line @typescript-eslint/require-await -- the point is the rejected promise
export async function rejection(err: unknown): Promise<never> {
  throw err;
}
