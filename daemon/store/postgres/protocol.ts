// Messages between the PostgreSQL store (event loop) and its worker thread (the only code that talks
// to PostgreSQL for the store). Kept in one file so both sides agree.
import type { MessagePort } from 'node:worker_threads';
import type { FeedbackRecord } from '../../../shared/api';
import type { Outcome, RequestRecord } from '../../core/ports';

export interface WorkerInit {
  url: string;
  replicaId: string;
  /** Int32Array over it: bumped and notified after every reply on `syncPort`. */
  signal: SharedArrayBuffer;
  syncPort: MessagePort;
  statementTimeoutMs: number;
  /** How often the worker reads the outcomes stored since (a missed notification). Default 5000 ms. */
  catchUpMs?: number;
  /** How far below the highest seq seen that read looks (seq order is not commit order). Default 10,000. */
  seqSlack?: number;
}

export type ToWorker =
  /** StoredWrites as JSON: the spool line's text, so the event loop serialises each write once. */
  | { type: 'write'; entries: string[] }
  | { type: 'query'; id: number; sql: string; params: unknown[] }
  | { type: 'flush'; id: number }
  /** How many outcome ids the worker remembers to deliver each once (DeliveredOutcomes): rows [{ n }]. */
  | { type: 'remembered'; id: number }
  /** A fresh block of outcome ids (the current one ran out): replies rows [{ n }]. */
  | { type: 'block'; id: number }
  | { type: 'close' };

/** One spooled write as the worker stores it (requests carry their API key id for per-key usage). */
export type StoredWrite =
  | {
      seq: number;
      op: 'request';
      data: RequestRecord;
      apiKeyId?: string | null;
      /** The budget reservation the request was admitted with (daemon/team/limits.ts): given back when stored. */
      reserved?: { usd: number; at: number };
    }
  | { seq: number; op: 'feedback'; data: FeedbackRecord & { id: number }; opKey: string }
  /** Store.retractJudgements: the request's feedback and judgement outcomes, replaced by a new rating. */
  | { seq: number; op: 'retract'; data: { request_id: string } }
  /**
   * `op_key`: set on outcomes copied from another store or imported (a second copy of the same one
   * is skipped). `learnWhenStored`: the rows stored are delivered to this daemon's learner like
   * other replicas' outcomes (imports: another replica may store the same rows first).
   * `keysUnchecked`: imported while the store could not check their keys (PostgreSQL down or slow):
   * the worker checks them, as the store checks an import's keys first, when it writes them.
   * `copied`: a history `store copy` brings in, stored as it is (only a row with the same op_key
   * skips one): its users' rows of one import key are each theirs, not held by one another.
   */
  | {
      seq: number;
      op: 'outcomes';
      data: SpooledOutcome[];
      learnWhenStored?: true;
      keysUnchecked?: true;
      copied?: true;
    };

export type SpooledOutcome = Outcome & { op_key?: string };

/** A request's outcomes a new rating replaced (the outcome_retractions rows of one request). */
export interface OutcomeRetraction {
  request_id: string;
  outcome_ids: number[];
}

export type SyncReply =
  { id: number; ok: true; rows: Record<string, unknown>[] } | { id: number; ok: false; error: string };

export type FromWorker =
  | { type: 'ready'; schemaVersionFound: number; outcomeBlock: number }
  | { type: 'failed'; error: string }
  | { type: 'flushed'; seq: number }
  | { type: 'state'; up: boolean; error?: string }
  | { type: 'remote-outcomes'; outcomes: Outcome[] }
  /** Outcomes another replica's re-rating took back (OutcomeRetraction), for the learner to forget. */
  | { type: 'remote-retractions'; retractions: OutcomeRetraction[] }
  /** A write PostgreSQL refused for its data (not an outage): left out of the database. `write`: its JSON. */
  | { type: 'refused'; write: string; error: string }
  | { type: 'closed'; pending: number };
