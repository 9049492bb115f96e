// The PostgreSQL store (team mode): the same Store interface as the embedded sql.js store, for any
// number of daemons on one database.
//
// Writes (saveRequest, addFeedback, addOutcomes) never wait for PostgreSQL: each is appended to a
// local spool (one JSON line written with write(), so it survives kill -9 as the embedded store's
// journal does), then handed to the worker thread, which writes batches in one transaction each.
// A spool file is deleted once PostgreSQL has everything in it; at start, whatever a killed or
// cut-off daemon left in its spool is written again (idempotently: requests upsert, feedback
// carries a unique op_key, outcomes their id). So PostgreSQL being down or slow costs nothing on the
// request path, and an acknowledged write is never lost.
//
// Reads are synchronous in the Store interface. The event loop hands a query to the worker and
// waits for its answer (Atomics.wait) at most readTimeoutMs; the worker first writes everything
// handed over before, so a read sees this daemon's own writes. While PostgreSQL is unreachable,
// reads fail at once with StoreUnavailable (503) instead of stalling, except for the recent
// requests of this daemon, which are kept in memory so their ratings still work.
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type {
  DecisionRow,
  DecisionsQuery,
  FeedbackRecord,
  ModelRanking,
  Trace,
  UsageBucket,
  UsageStats,
} from '../../../shared/api';
import type { ModelConfig } from '../../../shared/config';
import { FugusashiError } from '../../../shared/errors';
import type { NewOutcome, Outcome, RequestRecord, Store } from '../../core/ports';
import { isCredentialParam } from '../../config/redact';
import { currentKeyContext, currentKeyId, currentUser, currentViewer } from '../../team/request-context';
import { heldReservation } from '../../team/limits';
import { JournalWriter, journalPath, listJournalFiles, readJournal } from '../journal';
import * as queries from '../queries';
import type { BindParams } from '../sqljs';
import type { QueryRunner, Row } from '../statements';
import { HELD_ELSEWHERE_SQL, heldElsewhereParams, userOpKey } from './op-keys';
import type { FromWorker, OutcomeRetraction, StoredWrite, SyncReply, ToWorker, WorkerInit } from './protocol';
import { startWorkerThread } from '../../worker-thread';

export interface OpenPostgresStoreOptions {
  /** postgres://user@host:port/db */
  url: string;
  /** Where this daemon's spool lives (its data directory). */
  dataDir: string;
  log?: (message: string) => void;
  /** Longest a read waits for PostgreSQL before answering StoreUnavailable. Default 2000 ms. */
  readTimeoutMs?: number;
  /** statement_timeout of the store's connections. Default 10 s. */
  statementTimeoutMs?: number;
  /** fdatasync every spool append (as the embedded store's `fsync`). Default off. */
  fsync?: boolean;
  /** How often the worker reads the outcomes other replicas stored, as a notification may be missed. Default 5000 ms. */
  catchUpMs?: number;
  /**
   * How far that read looks below the highest seq seen (seq order is not commit order). Default
   * 10,000. Tests shorten both to see what a busy team does over hours in a few thousand rows.
   */
  seqSlack?: number;
}

/** A spooled request with an API key, as per-key budgets count it (daemon/team/limits.ts). */
export interface SpooledRequest {
  seq: number;
  apiKeyId: string;
  createdAt: number;
  tokens: number;
  cost: number;
}

export type StoreState = { kind: 'postgres'; up: boolean; error: string | null; spooled: number; url: string };

const BLOCK = 1_000_000;
/** A requests row made with a key of the user given as its one parameter (api_keys.name). */
const OWNED_BY_USER = 'api_key_id IN (SELECT id FROM api_keys WHERE name = ?)';
const SPOOL_DIR = 'pg-spool';
/** Writes PostgreSQL refused for their data (worker.ts withoutRefused), one JSON line each, kept for a look. */
export const REFUSED_FILE = 'pg-refused.jsonl';
const ROTATE_MS = 1000;
const RECENT_RECORDS = 2000;
/** While PostgreSQL is down, one read in this period tries it; the others fail at once. */
const PROBE_MS = 1000;

export async function openPostgresStore(options: OpenPostgresStoreOptions): Promise<PostgresStore> {
  const signal = new SharedArrayBuffer(4);
  const channel = new MessageChannel();
  const init: WorkerInit = {
    url: options.url,
    replicaId: randomUUID(),
    signal,
    syncPort: channel.port2,
    statementTimeoutMs: options.statementTimeoutMs ?? 10_000,
    ...(options.catchUpMs !== undefined ? { catchUpMs: options.catchUpMs } : {}),
    ...(options.seqSlack !== undefined ? { seqSlack: options.seqSlack } : {}),
  };
  const worker = startWorker(init, channel.port2);
  const ready = await new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
    const onMessage = (message: FromWorker): void => {
      if (message.type === 'ready') {
        worker.off('message', onMessage);
        resolve(message);
      } else if (message.type === 'failed') {
        worker.off('message', onMessage);
        reject(new Error(`cannot open the PostgreSQL store at ${redactUrl(options.url)}: ${message.error}`));
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  return new PostgresStore(worker, channel.port1, signal, ready, options);
}

function startWorker(init: WorkerInit, port: MessagePort): Worker {
  const worker = startWorkerThread(__dirname, 'pg-worker.js', 'worker.ts', { workerData: init, transferList: [port] });
  if (!worker) throw new Error('The PostgreSQL store worker (pg-worker.js) is missing from this build.');
  return worker;
}

/** The URL without its password (in the user-info or libpq's ?password=), for messages and /health. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const name of [...parsed.searchParams.keys()]) {
      if (isCredentialParam(name)) parsed.searchParams.set(name, '***');
    }
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

export class PostgresStore implements Store {
  readonly schemaVersionFound: number;
  private readonly signal: Int32Array;
  private readonly log: (message: string) => void;
  private readonly readTimeoutMs: number;
  private readonly spoolDir: string;
  private readonly fsync: boolean;
  private journal: JournalWriter;
  private sealed: { file: string; lastSeq: number }[] = [];
  private seq = 0;
  private flushedSeq = 0;
  private nextQueryId = 1;
  private outcomeBlock: number;
  private nextInBlock = 1;
  private up = true;
  private lastError: string | null = null;
  private lastProbeAt = 0;
  private closed = false;
  private readonly rotateTimer: NodeJS.Timeout;
  /** This daemon's latest requests (and their feedback), for ratings while PostgreSQL is down. */
  /** `user`: whose request it is (its API key's name), null without a key. */
  private readonly recent = new Map<
    string,
    { record: RequestRecord; feedback: FeedbackRecord[]; user: string | null }
  >();
  private readonly outcomeListeners = new Set<(outcomes: Outcome[]) => void>();
  private readonly retractionListeners = new Set<(retractions: OutcomeRetraction[]) => void>();
  private readonly stateListeners = new Set<(state: StoreState) => void>();
  private readonly savedListeners = new Set<(record: RequestRecord, apiKeyId: string | null, seq: number) => void>();
  /** Requests with an API key an earlier run left in the spool, as per-key budgets count them. */
  private readonly replayedRequests: SpooledRequest[] = [];
  private readonly reader: QueryRunner;
  /** Reads that may take long (every outcome): a minute, not readTimeoutMs. */
  private readonly bulkReader: QueryRunner;
  private closedByWorker: Promise<number>;

  /** Use openPostgresStore(). */
  constructor(
    private readonly worker: Worker,
    private readonly syncPort: MessagePort,
    signal: SharedArrayBuffer,
    ready: Extract<FromWorker, { type: 'ready' }>,
    private readonly options: OpenPostgresStoreOptions,
  ) {
    this.signal = new Int32Array(signal);
    this.schemaVersionFound = ready.schemaVersionFound;
    this.outcomeBlock = ready.outcomeBlock;
    this.log = options.log ?? (() => {});
    this.readTimeoutMs = options.readTimeoutMs ?? 2000;
    this.fsync = options.fsync ?? false;
    this.spoolDir = path.join(options.dataDir, SPOOL_DIR);
    mkdirSync(this.spoolDir, { recursive: true });
    this.closedByWorker = new Promise((resolve) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'closed') resolve(message.pending);
      });
      worker.once('exit', () => resolve(-1));
    });
    worker.on('message', (message: FromWorker) => this.onWorkerMessage(message));
    worker.on('error', (err) => {
      this.log(`store: PostgreSQL worker failed: ${err.message}`);
      // Nothing reaches PostgreSQL any more (writes still spool on disk): /health must not say "up".
      this.onWorkerMessage({ type: 'state', up: false, error: `the PostgreSQL worker failed: ${err.message}` });
    });
    this.reader = {
      each: (sql, params, visit) => {
        for (const row of this.query(sql, params)) visit(row);
      },
      all: (sql, params = []) => this.query(sql, params),
      first: (sql, params = []) => this.query(sql, params)[0],
    };
    this.bulkReader = {
      each: (sql, params, visit) => {
        for (const row of this.query(sql, params, 60_000)) visit(row);
      },
      all: (sql, params = []) => this.query(sql, params, 60_000),
      first: (sql, params = []) => this.query(sql, params, 60_000)[0],
    };
    this.replaySpool();
    this.journal = new JournalWriter(journalPath(this.spoolDir, this.seq + 1), this.fsync);
    this.rotateTimer = setInterval(() => this.rotate(), ROTATE_MS);
    this.rotateTimer.unref();
  }

  // ------------------------------------------------------------------ state and events

  state(): StoreState {
    return {
      kind: 'postgres',
      up: this.up,
      error: this.lastError,
      spooled: this.seq - this.flushedSeq,
      url: redactUrl(this.options.url),
    };
  }

  /** Outcomes other daemons on the same database stored (for the learner). */
  onRemoteOutcomes(listener: (outcomes: Outcome[]) => void): () => void {
    this.outcomeListeners.add(listener);
    return () => this.outcomeListeners.delete(listener);
  }

  /**
   * Outcomes a re-rating took back on any replica (this one's included: forgetting twice is a
   * no-op), for the learner to forget as the replica that retracted them did.
   */
  onRemoteRetractions(listener: (retractions: OutcomeRetraction[]) => void): () => void {
    this.retractionListeners.add(listener);
    return () => this.retractionListeners.delete(listener);
  }

  /**
   * Every request this daemon records, with the API key it came with (per-key budgets) and its
   * spool write's seq (see storedThrough).
   */
  onRequestSaved(listener: (record: RequestRecord, apiKeyId: string | null, seq: number) => void): () => void {
    this.savedListeners.add(listener);
    return () => this.savedListeners.delete(listener);
  }

  /** Every write through this spool seq is in PostgreSQL (or was refused for its data and kept aside). */
  storedThrough(): number {
    return this.flushedSeq;
  }

  /**
   * The requests with an API key that an earlier run spooled and PostgreSQL does not have yet: a
   * key's budget counts them on this replica until they are stored, as it counts its new ones.
   */
  spooledRequests(): SpooledRequest[] {
    return this.replayedRequests.filter((request) => request.seq > this.flushedSeq);
  }

  onStateChange(listener: (state: StoreState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private onWorkerMessage(message: FromWorker): void {
    switch (message.type) {
      case 'flushed':
        this.flushedSeq = Math.max(this.flushedSeq, message.seq);
        this.deleteFlushed();
        return;
      case 'state':
        this.up = message.up;
        this.lastError = message.error ?? null;
        this.log(
          message.up
            ? 'store: PostgreSQL is back; spooled writes are being written'
            : `store: PostgreSQL unreachable (${message.error ?? 'no answer'}); writes spool locally`,
        );
        for (const listener of this.stateListeners) listener(this.state());
        return;
      case 'remote-outcomes':
        for (const listener of this.outcomeListeners) listener(message.outcomes);
        return;
      case 'remote-retractions':
        for (const listener of this.retractionListeners) listener(message.retractions);
        return;
      case 'refused': {
        const file = path.join(this.options.dataDir, REFUSED_FILE);
        let kept = `kept in ${file}`;
        try {
          appendFileSync(
            file,
            `${JSON.stringify({ at: Date.now(), error: message.error, write: JSON.parse(message.write) as unknown })}\n`,
          );
        } catch (err) {
          kept = `not kept: ${(err as Error).message}`;
        }
        this.log(`store: PostgreSQL refused a write (${message.error}); the others are stored, this one ${kept}`);
        return;
      }
      default:
        return;
    }
  }

  // ------------------------------------------------------------------ spool

  private replaySpool(): void {
    const files = listJournalFiles(this.spoolDir);
    let replayed = 0;
    let skipped = 0;
    for (const { file } of files) {
      const { entries, badLines } = readJournal(file);
      skipped += badLines;
      // Each line holds the write as it was handed over, with its seq; new writes number on after them.
      const restored = entries.map((entry) => ({ ...(entry.data as StoredWrite), seq: entry.seq }));
      for (const write of restored) {
        if (write.op !== 'request' || !write.apiKeyId) continue;
        const { created_at, usage, cost_usd } = write.data;
        this.replayedRequests.push({
          seq: write.seq,
          apiKeyId: write.apiKeyId,
          createdAt: created_at,
          tokens: usage?.total_tokens ?? 0,
          cost: cost_usd,
        });
      }
      if (restored.length > 0) this.post({ type: 'write', entries: restored.map((w) => JSON.stringify(w)) });
      replayed += restored.length;
      for (const entry of entries) this.seq = Math.max(this.seq, entry.seq);
      this.sealed.push({ file, lastSeq: this.seq });
    }
    if (replayed || skipped)
      this.log(`store: re-sending ${replayed} spooled writes to PostgreSQL (${skipped} torn lines)`);
  }

  /** Appends the write to the spool (durable once this returns), then hands it to the worker; returns its seq. */
  private spool(write: StoredWrite): number {
    if (this.closed) throw new Error('store is closed');
    write.seq = ++this.seq;
    const json = JSON.stringify(write);
    this.journal.append(write.seq, 'w', json);
    this.post({ type: 'write', entries: [json] });
    return write.seq;
  }

  /** Starts a new spool file now and then, so flushed ones can be deleted. */
  private rotate(): void {
    if (this.closed || this.journal.entries === 0) return;
    this.journal.close();
    this.sealed.push({ file: this.journal.file, lastSeq: this.seq });
    this.journal = new JournalWriter(journalPath(this.spoolDir, this.seq + 1), this.fsync);
    this.deleteFlushed();
  }

  private deleteFlushed(): void {
    this.sealed = this.sealed.filter(({ file, lastSeq }) => {
      if (lastSeq > this.flushedSeq) return true;
      rmSync(file, { force: true });
      return false;
    });
  }

  private post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  // ------------------------------------------------------------------ writes

  saveRequest(record: RequestRecord): void {
    if (typeof record.request_id !== 'string' || record.request_id.length === 0) {
      throw new FugusashiError('InvalidRequest', 'request_id must be a non-empty string', 'request_id');
    }
    const apiKeyId = currentKeyId();
    // A reservation the request was admitted with is given back by the row's write (schema v9).
    const reserved = heldReservation(currentKeyContext()?.reservation);
    const seq = this.spool({ seq: 0, op: 'request', data: record, apiKeyId, ...(reserved ? { reserved } : {}) });
    this.remember(record);
    for (const listener of this.savedListeners) listener(record, apiKeyId, seq);
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
    this.spool({ seq: 0, op: 'feedback', data: { ...feedback, id: 0 }, opKey: randomUUID() });
    this.recent.get(feedback.request_id)?.feedback.push(feedback);
  }

  retractJudgements(requestId: string): void {
    if (!this.hasRequest(requestId)) {
      throw new FugusashiError('NotFound', `no request with id ${requestId}`, 'request_id');
    }
    this.spool({ seq: 0, op: 'retract', data: { request_id: requestId } });
    const local = this.recent.get(requestId);
    if (local) local.feedback = [];
  }

  /**
   * Feedback copied from another store (`fugusashi store copy`): its request was copied just before.
   * `opKey` names it by its content, so a second copy of the same history stores it once.
   */
  importFeedback(feedback: FeedbackRecord, opKey: string = randomUUID()): void {
    this.spool({ seq: 0, op: 'feedback', data: { ...feedback, id: 0 }, opKey });
  }

  /** Outcomes copied from another store, each with a key of its content (as importFeedback). */
  importOutcomes(rows: { outcome: Omit<Outcome, 'id'>; opKey: string }[]): void {
    const outcomes = this.numberOutcomes(rows.map((r) => r.outcome));
    if (outcomes.length === 0) return;
    const data = outcomes.map((o, i) => ({ ...o, op_key: rows[i]!.opKey }));
    this.spool({ seq: 0, op: 'outcomes', data, copied: true });
  }

  addOutcomes(rows: NewOutcome[], options: { learnWhenStored?: boolean; keysUnchecked?: boolean } = {}): Outcome[] {
    const outcomes = this.numberOutcomes(rows);
    if (outcomes.length === 0) return outcomes;
    // An imported row's key is its op_key (the unique key `store copy` gives its rows, schema v4):
    // PostgreSQL stores one outcome per key, whichever daemon or copy brought it.
    const keyed = rows.some((row) => row.import_key !== undefined);
    const data = keyed
      ? outcomes.map((o, i) => {
          const key = rows[i]!.import_key;
          return key === undefined ? o : { ...o, op_key: userKey(key) };
        })
      : outcomes;
    this.spool({
      seq: 0,
      op: 'outcomes',
      data,
      ...(options.learnWhenStored ? { learnWhenStored: true } : {}),
      ...(options.keysUnchecked ? { keysUnchecked: true } : {}),
    });
    return outcomes;
  }

  /**
   * Read on the request path, so with the request path's time limit. With the database slow or down
   * the answer is null (not known): the rows are imported anyway with keysUnchecked, they spool
   * like any write, and the outcomes' unique op_key stores each once when they reach PostgreSQL.
   */
  importedKeys(keys: readonly string[]): Set<string> | null {
    if (keys.length === 0) return new Set();
    // Held in any form counts (op-keys.ts): as this request's user's (by any of their API keys, so
    // a replaced key keeps its user's history), or with no user (a history `store copy` brought in
    // is everyone's: its owner sending the file again with an API key must not store it twice).
    // worker.ts checks the same for rows spooled while this could not be asked.
    const user = currentUser();
    const found = new Set<string>();
    try {
      for (let i = 0; i < keys.length; i += queries.IMPORT_KEY_CHUNK) {
        const chunk = keys.slice(i, i + queries.IMPORT_KEY_CHUNK);
        const params = heldElsewhereParams(chunk.map((key) => ({ user, importKey: key })));
        // Its parameters are numbered already ($1…$3; no `?` for query() to number).
        for (const row of this.query(HELD_ELSEWHERE_SQL, params as never)) found.add(chunk[Number(row.i)]!);
      }
      return found;
    } catch (err) {
      if (!(err instanceof FugusashiError && err.kind === 'StoreUnavailable')) throw err;
      this.log(`store: import keys not checked (${err.message}); PostgreSQL skips rows it has when they arrive`);
      return null;
    }
  }

  /**
   * How many ids of delivered outcomes the worker remembers so it delivers each once: about the
   * outcomes stored in its catch-up window (seqSlack), not every outcome ever delivered.
   */
  rememberedDeliveries(): number {
    const id = this.nextQueryId++;
    this.post({ type: 'remembered', id });
    return Number(this.waitFor(id, this.readTimeoutMs)[0]?.n);
  }

  /** Other daemons write here too: Store.shared. */
  readonly shared = true;

  /** Checks the rows and numbers them; the caller spools them. */
  private numberOutcomes(rows: Omit<Outcome, 'id'>[]): Outcome[] {
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
    const outcomes = rows.map((row) => ({
      id: this.nextOutcomeId(),
      prompt: row.prompt,
      model: row.model,
      score: row.score,
      weight: row.weight,
      source: row.source,
      request_id: row.request_id ?? null,
      created_at: row.created_at,
    }));
    return outcomes;
  }

  private nextOutcomeId(): number {
    if (this.nextInBlock >= BLOCK) {
      const id = this.nextQueryId++;
      this.post({ type: 'block', id });
      this.outcomeBlock = Number(this.waitFor(id, this.readTimeoutMs)[0]?.n);
      this.nextInBlock = 1;
    }
    return this.outcomeBlock * BLOCK + this.nextInBlock++;
  }

  private remember(record: RequestRecord): void {
    this.recent.delete(record.request_id);
    this.recent.set(record.request_id, { record, feedback: [], user: currentUser() });
    if (this.recent.size > RECENT_RECORDS) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }

  // ------------------------------------------------------------------ reads

  /** Runs one read on the worker and waits for it (see the top of this file). */
  private query(sql: string, params: BindParams = [], timeoutMs = this.readTimeoutMs): Row[] {
    if (this.closed) throw new Error('store is closed');
    const now = Date.now();
    if (!this.up && now - this.lastProbeAt < PROBE_MS) throw this.unavailable(this.lastError ?? 'unreachable');
    if (!this.up) this.lastProbeAt = now;
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    const id = this.nextQueryId++;
    this.post({ type: 'query', id, sql: text, params: params as unknown[] });
    return this.waitFor(id, this.up ? timeoutMs : 300) as Row[];
  }

  private waitFor(id: number, timeoutMs: number): Record<string, unknown>[] {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      for (let message = receiveMessageOnPort(this.syncPort); message; message = receiveMessageOnPort(this.syncPort)) {
        const answer = message.message as SyncReply;
        if (answer.id !== id) continue; // the late answer of a read that timed out
        if (answer.ok) return answer.rows;
        if (/unreachable|connect|terminat|timeout/i.test(answer.error)) {
          this.up = false;
          this.lastError = answer.error;
          this.lastProbeAt = Date.now();
          throw this.unavailable(answer.error);
        }
        throw new Error(`PostgreSQL store: ${answer.error}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.lastProbeAt = Date.now();
        throw this.unavailable(`no answer within ${timeoutMs} ms`);
      }
      Atomics.wait(this.signal, 0, seen, left);
    }
  }

  private unavailable(why: string): FugusashiError {
    return new FugusashiError(
      'StoreUnavailable',
      `The team database is unavailable (${why}); requests are still answered and recorded locally until it is back.`,
    );
  }

  listOutcomes(afterId?: number): Outcome[] {
    // Read at start (learner, orchestrator memory) and by exports: may be large, never on a request.
    return queries.listOutcomes(this.bulkReader, afterId);
  }
  countOutcomes(): number {
    return queries.countOutcomes(this.reader);
  }
  // A user's key sees its user's requests only (currentViewer): another user's request reads as if
  // it did not exist, so its id is not even confirmed. An admin key, server.token, or no key: all.
  getTrace(requestId: string): Trace | undefined {
    const viewer = currentViewer();
    const local = this.recent.get(requestId);
    const localTrace = (known: NonNullable<typeof local>): Trace | undefined =>
      viewer === null || known.user === viewer ? traceOf(known.record, known.feedback) : undefined;
    if (local && !this.up) return localTrace(local);
    try {
      if (viewer !== null && !this.ownedBy(requestId, viewer)) return undefined;
      return queries.getTrace(this.reader, requestId);
    } catch (err) {
      // Up but slow (a lock, a long query): a request this replica answered lately is still known
      // here, so rating it works as it does while the database is down (it failed with a 503).
      if (local) return localTrace(local);
      throw err;
    }
  }
  hasRequest(requestId: string): boolean {
    const viewer = currentViewer();
    const local = this.recent.get(requestId);
    if (local) return viewer === null || local.user === viewer;
    if (viewer !== null) return this.ownedBy(requestId, viewer);
    return queries.hasRequest(this.reader, requestId);
  }
  listDecisions(query: DecisionsQuery): DecisionRow[] {
    const viewer = currentViewer();
    return queries.listDecisions(
      this.reader,
      query,
      viewer === null ? undefined : { where: OWNED_BY_USER, params: [viewer] },
    );
  }

  /**
   * The request came with one of this user's keys: "own" follows the user (the key's name), so a
   * replaced key (revoke alice, create alice again) keeps its user's history.
   */
  private ownedBy(requestId: string, user: string): boolean {
    const local = this.recent.get(requestId);
    if (local) return local.user === user;
    return this.query(`SELECT 1 FROM requests WHERE request_id = ? AND ${OWNED_BY_USER}`, [requestId, user]).length > 0;
  }
  stats(pool: readonly ModelConfig[], since?: number): UsageStats {
    return queries.stats(this.reader, pool, since);
  }
  usageOverTime(bucketMs: number, since?: number): UsageBucket[] {
    return queries.usageOverTime(this.reader, bucketMs, since);
  }
  rankings(pool: readonly ModelConfig[]): ModelRanking[] {
    return queries.rankings(this.reader, pool);
  }
  feedbackCounts(): { ratings: number; by_source: Record<string, number> } {
    return queries.feedbackCounts(this.reader);
  }
  exportOutcomes(write: (line: string) => void): number {
    return queries.exportOutcomes(this.bulkReader, write);
  }

  /** Any read-only SQL (team features: per-key usage); `?` placeholders. */
  select(sql: string, params: BindParams = []): Row[] {
    return this.query(sql, params);
  }

  // ------------------------------------------------------------------ close

  /**
   * Writes what is pending (waiting at most `timeoutMs`), then stops the worker. Whatever PostgreSQL
   * did not take stays in the spool for the next start.
   */
  close(timeoutMs = 5000): void {
    if (this.closed) return;
    clearInterval(this.rotateTimer);
    const id = this.nextQueryId++;
    this.post({ type: 'flush', id });
    let flushed = false;
    try {
      this.waitFor(id, timeoutMs);
      flushed = true;
    } catch {
      this.log('store: PostgreSQL did not take every write before close; they stay in the spool');
    }
    this.closed = true;
    this.journal.close();
    if (flushed) {
      this.flushedSeq = this.seq;
      this.sealed.push({ file: this.journal.file, lastSeq: this.seq });
      this.deleteFlushed();
    }
    this.post({ type: 'close' });
    void this.closedByWorker.then(() => this.worker.terminate());
  }

  /** close(), then resolves once the worker has ended its connections. */
  async closeAsync(): Promise<void> {
    this.close();
    await this.closedByWorker;
  }
}

/** A trace from a request this daemon still holds in memory (PostgreSQL unreachable). */
function traceOf(record: RequestRecord, feedback: FeedbackRecord[]): Trace {
  const ratings = feedback.filter((f) => f.source === 'explicit' || f.source === 'thumbs');
  const trace: Trace = {
    request_id: record.request_id,
    created_at: record.created_at,
    source: record.source,
    requested_model: record.requested_model,
    prompt_preview: record.routing_text.slice(0, 200),
    decision: record.decision,
    status: record.status,
    answered_by: record.answered_by,
    usage: record.usage,
    cost_usd: record.cost_usd,
    latency_ms: record.latency_ms,
    rating: ratings[ratings.length - 1]?.rating ?? null,
    messages: [...record.messages],
    request_params: record.request_params,
    response_text: record.response_text,
    error: record.error,
    attempts: record.attempts,
    feedback,
  };
  if (record.steps) trace.steps = record.steps;
  return trace;
}

/**
 * An import key as this request's user stores it (op-keys.ts): in team mode each user's imports are
 * told apart, while one user's import run again, through any replica and with any of their keys, is
 * recognised. Without an API key (`store copy`, a daemon without keys) the key is as it is.
 */
function userKey(importKey: string): string {
  return userOpKey(importKey, currentUser());
}
