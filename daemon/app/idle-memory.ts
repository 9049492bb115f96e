// Memory given back when the daemon goes quiet. V8 collects only when JavaScript allocates, so an
// idle daemon keeps whatever its last burst of work left behind: garbage in the old generation,
// the ArrayBuffers (malloc memory) that garbage holds, and a young generation grown to its 32 MB
// maximum, committed and empty (measured: an idle Node process keeps all of it for as long as it
// stays idle). Once the event loop has been quiet for a while (no requests, no background work on
// the main thread), two full collections free it:
// - the first frees the garbage, and restarts V8's count of bytes allocated since a collection;
// - the second, some seconds later, sees the low allocation rate since the first, and only then
//   does V8 shrink the young generation (one collection kept it in 3 of 6 probes, two in none).
// Requests pay nothing: quiet is read every few seconds from the event loop's utilisation and the
// time of the last request the idle watchdog already notes. The first burst after the pause pays
// for the young generation's regrowth (see IDLE_MEMORY_DEFAULTS).
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleMemoryOptions {
  /** How often the event loop's utilisation is read (ms). */
  checkMs?: number;
  /** How many quiet readings in a row make the daemon idle. */
  quietChecks?: number;
  /** A reading is quiet when the event loop was busy less than this share of the time. */
  quietUtilization?: number;
  /** Main-thread work since the last collection that makes another worth doing (ms). */
  minWorkMs?: number;
  /**
   * When the last request came in (Date.now() ms): a reading with a request in it is not quiet,
   * however little work it was, so light traffic never meets a collection.
   */
  lastRequestAt?: () => number;
  /** Quiet time between the two collections: V8 judges the allocation rate over the last 5 s. */
  settleMs?: number;
  /** Told what each idle collection (the two) did, half a second after it (the daemon logs it). */
  onCollected?: (result: IdleCollection) => void;
}

export interface IdleCollection {
  /** Before the first of the two collections. */
  rssBeforeMb: number;
  /** Half a second after the second: V8 unmaps the pages it let go of on a background thread. */
  rssAfterMb: number;
  /** The young generation's committed size after the collections (MB). */
  newSpaceMb: number;
  /** Of both collections, on the event loop. */
  durationMs: number;
}

/**
 * The defaults: the first collection after a minute without requests or work (when the USE
 * worker's own idle time ends it too), the second about 6 s later. Not sooner: a young generation
 * shrunk to 1 MB grows back only slowly under the next burst of requests, which pays for it in
 * scavenges. bench:gateway, whose daemons sit idle 10-25 s between phases, measured CPU per request
 * ×2.04 and req/s at concurrency 32 ×0.72 against the same build without the step when it ran
 * after 5 s of quiet. A burst after a minute's pause pays that once; steady traffic never does.
 */
export const IDLE_MEMORY_DEFAULTS = {
  checkMs: 10_000,
  quietChecks: 6,
  quietUtilization: 0.01,
  minWorkMs: 200,
  settleMs: 5500,
} as const;

/** Measured: V8's background unmapping gives the pages back within ~100 ms of the collection. */
const UNMAP_SETTLE_MS = 500;

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/**
 * A full, synchronous collection, without --expose-gc on the command line: the flag is set only
 * while a fresh context is made, whose `gc` is V8's (the way Jest's leak detection gets it), and
 * cleared again so no other context sees a `gc` global. Undefined if this V8 refuses.
 */
export function fullCollection(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as () => void;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

export class IdleMemory {
  private readonly options: Required<Omit<IdleMemoryOptions, 'onCollected' | 'lastRequestAt'>>;
  private timer: ReturnType<typeof setInterval> | null = null;
  private collect: (() => void) | undefined;
  private lastReading: EventLoopUtilization | undefined;
  private lastReadingAt = 0;
  private quietReadings = 0;
  /** Main-thread busy time since the last idle collection (ms); starts due, for start-up's garbage. */
  private workSinceCollection = Infinity;
  /** The first collection of the two, while the second waits for its quiet time. */
  private first: { at: number; rssBefore: number; durationMs: number } | undefined;
  /** Idle collections (both steps) done so far (diagnostics and tests). */
  collections = 0;

  constructor(private readonly hooks: IdleMemoryOptions = {}) {
    this.options = {
      checkMs: hooks.checkMs ?? IDLE_MEMORY_DEFAULTS.checkMs,
      quietChecks: hooks.quietChecks ?? IDLE_MEMORY_DEFAULTS.quietChecks,
      quietUtilization: hooks.quietUtilization ?? IDLE_MEMORY_DEFAULTS.quietUtilization,
      minWorkMs: hooks.minWorkMs ?? IDLE_MEMORY_DEFAULTS.minWorkMs,
      settleMs: hooks.settleMs ?? IDLE_MEMORY_DEFAULTS.settleMs,
    };
  }

  /** Starts watching; false when no collection can be had here (nothing is watched then). */
  start(): boolean {
    if (this.timer) return true;
    this.collect ??= fullCollection();
    if (!this.collect) return false;
    this.lastReading = performance.eventLoopUtilization();
    this.lastReadingAt = Date.now();
    this.timer = setInterval(() => this.check(), this.options.checkMs);
    // Watching must not keep a daemon that is otherwise done alive.
    this.timer.unref();
    return true;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.first = undefined;
  }

  private check(): void {
    const now = performance.eventLoopUtilization();
    const since = performance.eventLoopUtilization(now, this.lastReading);
    this.lastReading = now;
    const requested = (this.hooks.lastRequestAt?.() ?? 0) >= this.lastReadingAt;
    this.lastReadingAt = Date.now();
    this.workSinceCollection += since.active;
    if (requested || since.utilization >= this.options.quietUtilization) {
      // Work resumed: the young generation may grow again, so the pair starts over once quiet.
      this.quietReadings = 0;
      this.first = undefined;
      return;
    }
    this.quietReadings++;
    if (this.first) {
      if (performance.now() - this.first.at >= this.options.settleMs) void this.finish();
      return;
    }
    if (this.quietReadings >= this.options.quietChecks && this.workSinceCollection >= this.options.minWorkMs)
      this.begin();
  }

  private timed(): number {
    const started = performance.now();
    this.collect!();
    // The collection itself is work the next reading must not count.
    this.lastReading = performance.eventLoopUtilization();
    return performance.now() - started;
  }

  private begin(): void {
    const rssBefore = process.memoryUsage.rss();
    const durationMs = this.timed();
    this.first = { at: performance.now(), rssBefore, durationMs };
  }

  private finish(): Promise<IdleCollection> {
    const first = this.first!;
    this.first = undefined;
    const durationMs = first.durationMs + this.timed();
    this.collections++;
    this.workSinceCollection = 0;
    return new Promise((resolve) =>
      setTimeout(() => {
        const result: IdleCollection = {
          rssBeforeMb: mb(first.rssBefore),
          rssAfterMb: mb(process.memoryUsage.rss()),
          newSpaceMb: mb(newSpaceBytes()),
          durationMs: Math.round(durationMs * 10) / 10,
        };
        this.hooks.onCollected?.(result);
        resolve(result);
      }, UNMAP_SETTLE_MS),
    );
  }
}
/** Worth a line in the daemon's log: an idle collection that gave back at least this much (MB). */
const LOGGED_RELEASE_MB = 16;

/** The daemon's idle collection (none with `false`), logging the ones that gave back much. */
export function startIdleMemory(
  options: IdleMemoryOptions | false | undefined,
  log: (line: string) => void,
  lastRequestAt: () => number,
): IdleMemory | undefined {
  if (options === false) return undefined;
  const idleMemory = new IdleMemory({
    lastRequestAt,
    ...options,
    onCollected: (result) => {
      const released = result.rssBeforeMb - result.rssAfterMb;
      if (released >= LOGGED_RELEASE_MB)
        log(
          `memory: idle, a full collection gave back ${released} MB (RSS ${result.rssBeforeMb} → ${result.rssAfterMb} MB, ${result.durationMs} ms)`,
        );
      options?.onCollected?.(result);
    },
  });
  if (!idleMemory.start()) log('memory: no full collection available here; idle memory stays as V8 leaves it');
  return idleMemory;
}
