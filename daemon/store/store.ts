// The durable store: sql.js (SQLite in WASM memory) made durable by a journal and snapshots.
//
// Write path (saveRequest, addFeedback, addOutcomes), on the request path and synchronous:
//   validate → append one JSON line to the journal with write() (the kernel has the bytes: survives
//   kill -9) → return. No export per write. The entry is applied to the in-memory database right
//   after, off the request path: the entries journaled during one turn of the event loop go in
//   together, in order, from a setImmediate (after the answers went out), and before anything
//   reads the database, so every read sees every acknowledged write. Applying a request record
//   costs more than journaling it (test/bench/store-write.ts). Whatever SQLite would refuse is
//   checked before journaling (a feedback's request may still be pending: hasRequest looks there).
// Snapshots, so the journal does not grow forever and a start replays little: when something was
//   written, the timer (every snapshotIntervalMs) takes one once no write came for IDLE_MS, or
//   regardless once the last one is OVERDUE_INTERVALS intervals old or the journal passed
//   journalSnapshotBytes. Appends move to a new journal file (microseconds), and the snapshot
//   worker thread loads store.db, replays the sealed journal files into it, exports it and writes
//   it to a temp file with fsync; the store renames it over store.db (which records the last
//   journal seq it contains) and deletes the journal files it covers. db.export() is never run on
//   the event loop for a background snapshot: it takes 65–120 ms of CPU for a 26 MB database (10k
//   requests + 100k outcomes, test/integration/store/perf.test.ts). Without a worker (it could not
//   start) the store exports on the event loop instead, at the same quiet moments.
// Start: load store.db, migrate, replay journal entries with seq > the snapshot's (a torn last line
//   is skipped), fold them into a fresh snapshot, start a new journal. close() writes a final
//   snapshot on the event loop (a clean close leaves store.db alone, no journal).
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type {
  DecisionRow,
  DecisionsQuery,
  FeedbackRecord,
  ModelRanking,
  Trace,
  UsageBucket,
  UsageStats,
} from '../../shared/api';
import type { ModelConfig } from '../../shared/config';
import { FugusashiError } from '../../shared/errors';
import type { NewOutcome, Outcome, RequestRecord, Store } from '../core/ports';
import { configure, replay } from './compact';
import { JournalWriter, journalPath, listJournalFiles } from './journal';
import { acquireDataDirLock, type DataDirLock } from './lock';
import * as queries from './queries';
import { applyEntry, requestRecordProblem, type JournalOp } from './records';
import { SCHEMA_VERSION, migrate, readMeta, writeMeta } from './schema';
import {
  SNAPSHOT_FILE,
  commitSnapshot,
  fsyncDir,
  fsyncDirSync,
  removeStaleTemps,
  tempSnapshotPath,
  writeDurable,
  writeDurableSync,
} from './snapshot';
import { loadSqlJs, openDatabase, type Database } from './sqljs';
import { Statements, text } from './statements';
import { SnapshotWorker } from './worker-client';

export interface OpenStoreOptions {
  /** The data directory (default of the daemon: ~/.fugusashi). Created if missing. */
  dataDir: string;
  /** sql-wasm.wasm; default: next to the bundle, else sql.js's own copy. */
  wasmPath?: string;
  /** How often to consider a background snapshot (taken when idle, see above). Default 60 s. */
  snapshotIntervalMs?: number;
  /** A snapshot also starts once the journal holds this many bytes. Default 32 MiB. */
  journalSnapshotBytes?: number;
  /** fdatasync every journal append: survives power loss, costs 0.1–10 ms per write. Default off. */
  fsync?: boolean;
  /**
   * The data-directory lock: true (default) takes it, false skips it (the caller holds it), or a
   * lock the caller already took, which the store then releases on close.
   */
  lock?: boolean | DataDirLock;
  /** Diagnostics (snapshots, recovery). */
  log?: (message: string) => void;
  /** Background snapshots on a worker thread (default true); false exports on the event loop. */
  snapshotWorker?: boolean;
}

/** What the start found and did: for the daemon's log and for tests. */
export interface StoreRecovery {
  schemaVersionFound: number;
  snapshotSeq: number;
  replayedEntries: number;
  /** Journal lines that did not parse (a torn last line after a kill) or failed to apply. */
  skippedLines: number;
}

const DEFAULT_SNAPSHOT_INTERVAL_MS = 60_000;
const COMMIT_INTERVAL_MS = 1_000;
/** No write for this long counts as a quiet moment for a snapshot. */
const IDLE_MS = 1_000;
/** A busy store still snapshots after this many intervals, to bound the journal and the replay. */
const OVERDUE_INTERVALS = 5;
const DEFAULT_JOURNAL_SNAPSHOT_BYTES = 32 * 1024 * 1024;

export async function openStore(options: OpenStoreOptions): Promise<SqlJsStore> {
  const dir = path.resolve(options.dataDir);
  mkdirSync(dir, { recursive: true });
  const lock =
    options.lock === false
      ? undefined
      : options.lock === true || !options.lock
        ? acquireDataDirLock(dir)
        : options.lock;
  try {
    const SQL = await loadSqlJs(options.wasmPath);
    const snapshotFile = path.join(dir, SNAPSHOT_FILE);
    const db = openDatabase(SQL, existsSync(snapshotFile) ? readFileSync(snapshotFile) : null);
    try {
      return new SqlJsStore(dir, db, options, lock);
    } catch (err) {
      db.close();
      throw err;
    }
  } catch (err) {
    lock?.release();
    throw err;
  }
}

export class SqlJsStore implements Store {
  readonly recovery: StoreRecovery;
  private readonly sql: Statements;
  private readonly fsync: boolean;
  private readonly journalSnapshotBytes: number;
  private readonly log: (message: string) => void;
  private journal: JournalWriter | undefined;
  /** Journal files switched away from, with the last seq each holds: deleted once a snapshot covers them. */
  private sealed: { file: string; lastSeq: number }[] = [];
  private seq = 0;
  /** The seq the snapshot on disk contains. */
  private committedSeq = 0;
  private nextOutcomeId: number;
  private nextFeedbackId: number;
  private snapshotInFlight: Promise<void> | undefined;
  private lastWriteAt = 0;
  private lastSnapshotAt = Date.now();
  private readonly timer: NodeJS.Timeout;
  private readonly commitTimer: NodeJS.Timeout;
  /** Writes since the last COMMIT of the long transaction. */
  private uncommitted = 0;
  /** Journaled entries not yet in sql.js (see the top of the file), oldest first. */
  private pending: { entry: JournalOp; dataBytes: Uint8Array }[] = [];
  private applyScheduled: NodeJS.Immediate | undefined;
  /** Started at the first background snapshot (never, for a store that is only read). */
  private worker: SnapshotWorker | undefined;
  private readonly useWorker: boolean;
  private readonly wasmPath: string | undefined;
  private closed = false;

  /** Use openStore(). */
  constructor(
    readonly dataDir: string,
    private readonly db: Database,
    options: OpenStoreOptions,
    private readonly lock: DataDirLock | undefined,
  ) {
    this.fsync = options.fsync ?? false;
    this.journalSnapshotBytes = options.journalSnapshotBytes ?? DEFAULT_JOURNAL_SNAPSHOT_BYTES;
    this.log = options.log ?? (() => {});
    this.wasmPath = options.wasmPath;
    // The journal is the durability, so SQLite's own only needs to support rolling back a failed
    // statement (MEMORY) and nothing else shares the file (EXCLUSIVE: no lock work per transaction).
    configure(db);
    const schemaVersionFound = migrate(db);
    this.sql = new Statements(db);
    this.committedSeq = this.seq = Number(readMeta(db, 'last_seq') ?? 0);
    removeStaleTemps(dataDir);
    // One transaction for the whole replay: a commit per entry would make a long journal slow to load.
    db.exec('BEGIN');
    const { files, replayed, skipped } = this.replayJournals();
    db.exec('COMMIT');
    this.recovery = {
      schemaVersionFound,
      snapshotSeq: this.committedSeq,
      replayedEntries: replayed,
      skippedLines: skipped,
    };
    this.nextOutcomeId = queries.maxId(this.sql, 'outcomes') + 1;
    this.nextFeedbackId = queries.maxId(this.sql, 'feedback') + 1;
    // Start from a snapshot holding everything, so the old journals (maybe with a torn tail that a
    // new append must never follow) can go. After a clean close there is nothing to fold in.
    const upToDate =
      files === 0 && schemaVersionFound === SCHEMA_VERSION && existsSync(path.join(dataDir, SNAPSHOT_FILE));
    if (!upToDate) this.snapshotSync();
    // Writes run in a transaction committed once a second, not one per write: a commit costs more
    // than the write (sql.js copies the changed pages into its in-memory file), and the journal,
    // not SQLite, is what makes writes durable. Reads on this connection see everything.
    db.exec('BEGIN');
    this.commitTimer = setInterval(() => this.commitWrites(), COMMIT_INTERVAL_MS);
    this.commitTimer.unref();
    this.useWorker = options.snapshotWorker !== false;
    this.journal = new JournalWriter(journalPath(dataDir, this.seq + 1), this.fsync);
    const interval = options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS;
    this.timer = setInterval(() => {
      const now = Date.now();
      const idle = now - this.lastWriteAt >= Math.min(IDLE_MS, interval);
      if (idle || now - this.lastSnapshotAt >= OVERDUE_INTERVALS * interval) void this.snapshot();
    }, interval);
    this.timer.unref();
    if (replayed || skipped) this.log(`store: replayed ${replayed} journal entries, skipped ${skipped} lines`);
  }

  // ------------------------------------------------------------------ writes

  saveRequest(record: RequestRecord): void {
    if (typeof record.request_id !== 'string' || record.request_id.length === 0) {
      throw new FugusashiError('InvalidRequest', 'request_id must be a non-empty string', 'request_id');
    }
    // Checked here because the record reaches sql.js only after this returns: what SQLite would
    // refuse must be refused before the journal acknowledges it.
    const problem = requestRecordProblem(record);
    if (problem) throw new FugusashiError('InvalidRequest', `request ${record.request_id}: ${problem}`, null);
    this.write({ op: 'request', data: record });
  }

  addFeedback(feedback: FeedbackRecord): void {
    const { rating, weight } = feedback;
    if (typeof rating !== 'number' || !Number.isFinite(rating) || rating < 1 || rating > 5) {
      throw new FugusashiError(
        'InvalidRequest',
        `rating must be a number from 1 to 5, got ${String(rating)}`,
        'rating',
      );
    }
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new FugusashiError('InvalidRequest', `weight must be a number ≥ 0, got ${String(weight)}`, 'weight');
    }
    if (!this.hasRequest(feedback.request_id)) {
      throw new FugusashiError('NotFound', `no request with id ${feedback.request_id}`, 'request_id');
    }
    this.write({ op: 'feedback', data: { ...feedback, id: this.nextFeedbackId } });
    this.nextFeedbackId++;
  }

  retractJudgements(requestId: string): void {
    if (!this.hasRequest(requestId)) {
      throw new FugusashiError('NotFound', `no request with id ${requestId}`, 'request_id');
    }
    this.write({ op: 'retract', data: { request_id: requestId } });
  }

  addOutcomes(rows: NewOutcome[]): Outcome[] {
    rows.forEach((row, i) => {
      for (const field of ['score', 'weight', 'created_at'] as const) {
        if (typeof row[field] !== 'number' || !Number.isFinite(row[field])) {
          throw new FugusashiError('InvalidRequest', `outcome ${i}: ${field} must be a finite number`, field);
        }
      }
      if (typeof row.prompt !== 'string' || typeof row.model !== 'string' || row.model.length === 0) {
        throw new FugusashiError('InvalidRequest', `outcome ${i}: prompt and model must be strings`, 'model');
      }
    });
    if (rows.length === 0) return [];
    const outcomes = rows.map((row, i) => ({
      id: this.nextOutcomeId + i,
      prompt: row.prompt,
      model: row.model,
      score: row.score,
      weight: row.weight,
      source: row.source,
      request_id: row.request_id ?? null,
      created_at: row.created_at,
    }));
    const keyed = rows.some((row) => row.import_key !== undefined);
    const data = keyed ? outcomes.map((o, i) => ({ ...o, import_key: rows[i]!.import_key })) : outcomes;
    this.write({ op: 'outcomes', data });
    this.nextOutcomeId += outcomes.length;
    return outcomes;
  }

  /** Journal first (durable once this returns), then memory. One entry = one line = all or nothing. */
  private write(entry: JournalOp): void {
    if (this.closed || !this.journal) throw new Error('store is closed');
    const seq = this.seq + 1;
    const dataBytes = this.journal.append(seq, entry.op, JSON.stringify(entry.data));
    this.seq = seq;
    this.uncommitted++;
    this.lastWriteAt = Date.now();
    this.pending.push({ entry, dataBytes });
    this.applyScheduled ??= setImmediate(() => this.applyPending());
    if (this.journal.bytes >= this.journalSnapshotBytes) void this.snapshot();
  }

  /**
   * Applies the journaled entries sql.js does not have yet, in order. Run before every read, so a
   * read never misses an acknowledged write. An entry that fails to apply (it passed the checks,
   * so this is not expected) is logged; a replay of the journal would skip it the same way.
   */
  private applyPending(): void {
    if (this.applyScheduled) {
      clearImmediate(this.applyScheduled);
      this.applyScheduled = undefined;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const { entry, dataBytes } of batch) {
      try {
        applyEntry(this.sql, entry, dataBytes);
      } catch (err) {
        this.log(`store: journaled ${entry.op} entry not applied: ${(err as Error).message}`);
      }
    }
  }

  // ------------------------------------------------------------------ reads

  listOutcomes(afterId?: number): Outcome[] {
    this.applyPending();
    return queries.listOutcomes(this.sql, afterId);
  }
  importedKeys(keys: readonly string[]): Set<string> {
    this.applyPending();
    return queries.importedKeys(this.sql, keys);
  }
  /** This daemon is its data directory's only writer (the data-dir lock): importedKeys is final. */
  readonly shared = false;
  countOutcomes(): number {
    this.applyPending();
    return queries.countOutcomes(this.sql);
  }
  getTrace(requestId: string): Trace | undefined {
    this.applyPending();
    return queries.getTrace(this.sql, requestId);
  }
  hasRequest(requestId: string): boolean {
    // Answered without applying what is pending (addFeedback asks on the request path).
    for (const { entry } of this.pending)
      if (entry.op === 'request' && entry.data.request_id === requestId) return true;
    return queries.hasRequest(this.sql, requestId);
  }
  listDecisions(query: DecisionsQuery): DecisionRow[] {
    this.applyPending();
    return queries.listDecisions(this.sql, query);
  }
  stats(pool: readonly ModelConfig[], since?: number): UsageStats {
    this.applyPending();
    return queries.stats(this.sql, pool, since);
  }
  usageOverTime(bucketMs: number, since?: number): UsageBucket[] {
    this.applyPending();
    return queries.usageOverTime(this.sql, bucketMs, since);
  }
  rankings(pool: readonly ModelConfig[]): ModelRanking[] {
    this.applyPending();
    return queries.rankings(this.sql, pool);
  }
  feedbackCounts(): { ratings: number; by_source: Record<string, number> } {
    this.applyPending();
    return queries.feedbackCounts(this.sql);
  }
  exportOutcomes(write: (line: string) => void): number {
    this.applyPending();
    return queries.exportOutcomes(this.sql, write);
  }

  /** The import key of each imported outcome, by outcome id (for `fugusashi store copy`). */
  importKeysById(): Map<number, string> {
    this.applyPending();
    const keys = new Map<number, string>();
    this.sql.each('SELECT id, import_key FROM outcomes WHERE import_key IS NOT NULL', [], (row) =>
      keys.set(Number(row.id), String(row.import_key)),
    );
    return keys;
  }

  /** Every stored request record, then every feedback, oldest first (for `fugusashi store copy`). */
  dump(visit: (item: { request: RequestRecord } | { feedback: FeedbackRecord }) => void): void {
    this.applyPending();
    this.sql.each('SELECT record_json FROM requests ORDER BY created_at, request_id', [], (row) =>
      visit({ request: JSON.parse(text(row.record_json)) as RequestRecord }),
    );
    this.sql.each(
      'SELECT request_id, rating, source, weight, created_at, comment FROM feedback ORDER BY id',
      [],
      (row) => {
        const feedback: FeedbackRecord = {
          request_id: String(row.request_id),
          rating: Number(row.rating),
          source: String(row.source) as FeedbackRecord['source'],
          weight: Number(row.weight),
          created_at: Number(row.created_at),
        };
        if (row.comment !== null && row.comment !== undefined) feedback.comment = String(row.comment);
        visit({ feedback });
      },
    );
  }

  // ------------------------------------------------------------------ snapshots

  /**
   * Writes a snapshot in the background unless one is running or nothing changed; resolves when it
   * is on disk. Only db.export() runs on the event loop.
   */
  snapshot(): Promise<void> {
    if (this.snapshotInFlight) return this.snapshotInFlight;
    if (this.closed || this.seq === this.committedSeq) return Promise.resolve();
    this.snapshotInFlight = this.backgroundSnapshot().finally(() => (this.snapshotInFlight = undefined));
    return this.snapshotInFlight;
  }

  private async backgroundSnapshot(): Promise<void> {
    const seq = this.seq;
    this.lastSnapshotAt = Date.now();
    const temp = tempSnapshotPath(this.dataDir, seq);
    if (this.useWorker && !this.worker) this.worker = new SnapshotWorker();
    this.log(`store: snapshot started seq=${seq}${this.worker?.available ? ' (worker thread)' : ''}`);
    try {
      if (this.worker?.available) {
        this.seal(seq, true);
        const job = { dataDir: this.dataDir, files: this.sealed.map((s) => s.file), upToSeq: seq, temp };
        const { bytes, ms } = await this.worker.run(this.wasmPath ? { ...job, wasmPath: this.wasmPath } : job);
        this.log(`store: snapshot written seq=${seq} (${bytes} bytes in ${ms.toFixed(0)} ms, off the event loop)`);
      } else {
        await writeDurable(temp, this.exportAndSeal(true).bytes);
      }
      // close() may have written a newer snapshot meanwhile: never put an older one over it.
      if (this.closed || this.committedSeq >= seq) {
        rmSync(temp, { force: true });
        return;
      }
      commitSnapshot(temp, this.dataDir);
      this.committedSeq = seq;
      this.log(`store: snapshot committed seq=${seq}`);
      await fsyncDir(this.dataDir);
      this.deleteSealed(seq);
    } catch (err) {
      rmSync(temp, { force: true });
      this.log(`store: snapshot failed (the journal still has everything): ${(err as Error).message}`);
    }
  }

  /** Commits the writes of the last second and starts the next transaction. */
  private commitWrites(): void {
    if (this.uncommitted === 0 || this.closed) return;
    this.applyPending();
    this.db.exec('COMMIT; BEGIN');
    this.uncommitted = 0;
  }

  /** Moves appends to a new journal file; the current one (holding entries up to `seq`) is sealed. */
  private seal(seq: number, openNextJournal: boolean): void {
    if (this.journal && (this.journal.entries > 0 || !openNextJournal)) {
      this.journal.close();
      this.sealed.push({ file: this.journal.file, lastSeq: seq });
      this.journal = openNextJournal ? new JournalWriter(journalPath(this.dataDir, seq + 1), this.fsync) : undefined;
    }
  }

  /** Exports the database as of `seq` on the event loop and seals the journal. */
  private exportAndSeal(openNextJournal: boolean): { seq: number; bytes: Uint8Array } {
    this.applyPending();
    const seq = this.seq;
    this.lastSnapshotAt = Date.now();
    writeMeta(this.db, 'last_seq', String(seq));
    const started = performance.now();
    // export() refuses to run inside a write transaction.
    const inTransaction = this.journal !== undefined;
    if (inTransaction) this.db.exec('COMMIT');
    const bytes = this.db.export();
    if (inTransaction && openNextJournal) this.db.exec('BEGIN');
    this.uncommitted = 0;
    this.log(
      `store: snapshot exported seq=${seq} (${bytes.length} bytes in ${(performance.now() - started).toFixed(1)} ms)`,
    );
    this.seal(seq, openNextJournal);
    return { seq, bytes };
  }

  /** Start and close: everything into store.db now, then no journal file is needed. */
  private snapshotSync(): void {
    const { seq, bytes } = this.exportAndSeal(false);
    const temp = tempSnapshotPath(this.dataDir, seq);
    writeDurableSync(temp, bytes);
    commitSnapshot(temp, this.dataDir);
    fsyncDirSync(this.dataDir);
    this.committedSeq = seq;
    this.deleteSealed(seq);
  }

  private deleteSealed(upToSeq: number): void {
    this.sealed = this.sealed.filter(({ file, lastSeq }) => {
      if (lastSeq > upToSeq) return true;
      rmSync(file, { force: true });
      return false;
    });
  }

  private replayJournals(): { files: number; replayed: number; skipped: number } {
    const files = listJournalFiles(this.dataDir).map((f) => f.file);
    const result = replay(this.sql, files, this.seq, undefined, this.log);
    this.seq = result.seq;
    // All covered by the snapshot written right after replay.
    for (const file of files) this.sealed.push({ file, lastSeq: this.seq });
    return { files: files.length, replayed: result.replayed, skipped: result.skipped };
  }

  /** Final snapshot, then releases the data directory. Writes after close throw. */
  close(): void {
    if (this.closed) return;
    this.applyPending();
    clearInterval(this.timer);
    clearInterval(this.commitTimer);
    this.closed = true;
    this.worker?.close();
    try {
      // Seals the current journal too; if this throws (disk full), the journals stay for the next start.
      this.snapshotSync();
    } finally {
      this.journal?.close();
      this.journal = undefined;
      this.sql.freeAll();
      this.db.close();
      this.lock?.release();
    }
  }
}
