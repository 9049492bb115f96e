// Benchmark runs started from a VS Code window (the task and the dashboard's Benchmark tab): the
// same runner as `fugusashi benchmark`, on a worker thread (benchmark/threaded.ts), with the
// daemon's embedding settings, progress on the live event bus, the report saved for the dashboard,
// one run at a time, and cancellation — a window that cancels its request ends its run at once.
import path from 'node:path';
import type { BenchmarkProgress, BenchmarkReport } from '../../shared/api';
import { FugusashiError } from '../../shared/errors';
import type { BenchmarkParams } from '../../shared/protocol';
import { samplePath } from '../benchmark/sample';
import type { BenchmarkOptions, runBenchmark } from '../benchmark/run';
import { runBenchmarkInWorker } from '../benchmark/threaded';
import type { EmbedderConfig } from '../embeddings/index';
import { loadLastBenchmark, saveLastBenchmark } from '../benchmark/last-report';
import type { LiveEvents } from './types';

export interface BenchmarkServiceDeps {
  dataDir: string;
  /** The embedder of the daemon's current config (read at the start of each run). */
  embeddings: () => EmbedderConfig;
  events: LiveEvents;
  /** Default: the real runner on a worker thread (tests may pass a slow one to exercise cancellation). */
  runner?: typeof runBenchmark;
}

export interface BenchmarkRun {
  signal: AbortSignal;
  onProgress?: (progress: BenchmarkProgress) => void;
}

export class BenchmarkService {
  private readonly running = new Set<AbortController>();
  /** Settles when every run started so far has ended: the next run starts after it. */
  private turn: Promise<void> = Promise.resolve();

  constructor(private readonly deps: BenchmarkServiceDeps) {}

  async run(params: BenchmarkParams, { signal, onProgress }: BenchmarkRun): Promise<BenchmarkReport> {
    // One controller per run: the daemon's shutdown cancels every run, a window cancels its own.
    const controller = new AbortController();
    const stop = (): void => controller.abort(new FugusashiError('Cancelled', 'The benchmark run was cancelled.'));
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    this.running.add(controller);
    // One run at a time: runs share the data dir's embedding cache, an append-only file, and two
    // threads appending to it at once could each map keys to the other's records. A run waits for
    // the ones before it (a cancel ends the wait); the next waits for it and for them.
    const before = this.turn;
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    this.turn = Promise.all([before, done]).then(() => undefined);
    try {
      await untilOrAborted(before, controller.signal);
      const options = this.options(params, controller.signal);
      const report = await (this.deps.runner ?? runBenchmarkInWorker)(options, (p) => {
        const progress = { ...p, run_id: params.runId };
        onProgress?.(progress);
        this.deps.events.emit({ type: 'benchmark-progress', progress });
      });
      // The dashboard charts the most recent run, also after this daemon restarts.
      saveLastBenchmark(this.deps.dataDir, report);
      this.deps.events.emit({ type: 'benchmark-done', report });
      return report;
    } catch (err) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw err;
    } finally {
      signal.removeEventListener('abort', stop);
      this.running.delete(controller);
      ended();
    }
  }

  /** The last saved report (the same source as GET /v1/benchmark/last). */
  last(): BenchmarkReport | null {
    return loadLastBenchmark(this.deps.dataDir);
  }

  /** Shutdown: every run ends (a waiting one before it starts). */
  cancelAll(): void {
    for (const controller of this.running)
      controller.abort(new FugusashiError('Cancelled', 'The daemon is shutting down.'));
  }

  private options(params: BenchmarkParams, signal: AbortSignal): BenchmarkOptions {
    const options: BenchmarkOptions = {
      cacheDir: path.join(this.deps.dataDir, 'benchmark-cache'),
      embeddings: this.deps.embeddings(),
      signal,
    };
    if (params.strong) options.strong = params.strong;
    if (params.weak) options.weak = params.weak;
    switch (params.mode) {
      case 'sample':
        return { ...options, file: samplePath(), sample: true };
      case 'split':
        return { ...options, train: params.dataset, ...(params.test ? { test: params.test } : {}) };
      case 'folds':
        return { ...options, file: params.dataset, folds: params.folds ?? 5 };
      case 'online':
        return { ...options, file: params.dataset, online: true };
      default:
        throw new FugusashiError('InvalidRequest', `unknown benchmark mode "${String(params.mode)}"`, 'mode');
    }
  }
}

/** Resolves when `promise` does, or rejects with the signal's reason once it aborts. */
function untilOrAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const abort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', abort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    });
  });
}
