// The PostgreSQL store's worker thread: it owns the connections, batches the writes the event loop
// hands it (one transaction per batch, never one per request), answers the store's reads, and
// listens for outcomes other replicas commit. Everything PostgreSQL does happens here, so a slow or
// unreachable database never blocks the daemon's event loop; the store decides how long to wait.
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { IMPORT_KEY_CHUNK } from '../queries';
import { ATTEMPT_ERROR_SOURCE, type Outcome } from '../../core/ports';
import { PREVIEW_CHARS, cacheSplit, encodeCapabilities } from '../records';
import { DeliveredOutcomes } from './delivered';
import { HELD_ELSEWHERE_SQL, heldElsewhereParams, importKeyOfOpKey, keyIdOfOpKey, userOfOpKey } from './op-keys';
import type { FromWorker, SpooledOutcome, StoredWrite, SyncReply, ToWorker, WorkerInit } from './protocol';
import { migrate } from './schema';
import { storableJson, storableParams } from './storable';

const init = workerData as WorkerInit;
const signal = new Int32Array(init.signal);
const post = (message: FromWorker): void => parentPort?.postMessage(message);

// Long enough that a steady stream of requests is written a few dozen at a time (one transaction
// per request would put PostgreSQL's work next to every request), short enough for learning to spread fast.
const FLUSH_INTERVAL_MS = 50;
const MAX_BATCH = 500;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;
const OUTCOMES_CHANNEL = 'fugusashi_outcomes';

// Numbers come back as numbers (counts and sums of bigint columns fit in a double here).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

const pool = new pg.Pool({
  connectionString: init.url,
  max: 3,
  connectionTimeoutMillis: 2000,
  statement_timeout: init.statementTimeoutMs,
  idleTimeoutMillis: 30_000,
  keepAlive: true,
});
pool.on('error', () => undefined); // an idle client lost: the next query reconnects

/**
 * A pooled connection for a transaction. pg emits 'error' on a connection that ends unexpectedly (the
 * database stopped) even while one of its queries runs, and pg-pool listens only while a connection
 * is idle in the pool: unheard, that error is thrown in this thread and ends it, and the store never
 * learns of the outage (/health kept saying "up"). The running query rejects with the same error,
 * which is where it is handled; this listener only keeps it from being thrown.
 */
async function checkOut(): Promise<pg.PoolClient> {
  const client = await pool.connect();
  client.on('error', ignoreCheckedOutError);
  return client;
}
function ignoreCheckedOutError(): void {}

/** Back to the pool, or (`broken`) closed for good; a closed one keeps the listener for late errors. */
function checkIn(client: pg.PoolClient, broken = false): void {
  if (!broken) client.removeListener('error', ignoreCheckedOutError);
  client.release(broken);
}

let pending: StoredWrite[] = [];
let up = true;
let closing = false;
let retryMs = RETRY_MIN_MS;
let retryAt = 0;
/** Runs jobs one at a time, in the order they came: a read sees every write handed over before it. */
let chain: Promise<void> = Promise.resolve();
const enqueue = (job: () => Promise<void>): void => {
  chain = chain.then(job, job);
};

function reply(message: SyncReply): void {
  init.syncPort.postMessage(message);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

function setUp(next: boolean, error?: string): void {
  if (up === next) return;
  up = next;
  post(error ? { type: 'state', up, error } : { type: 'state', up });
}

function finite(value: number | null | undefined, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** INSERT of many rows as one statement: `VALUES ($1, …), ($n, …)`. */
function valuesList(rows: number, columns: number): string {
  const groups: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= columns; c++) cells.push(`$${r * columns + c}`);
    groups.push(`(${cells.join(', ')})`);
  }
  return groups.join(', ');
}

const REQUEST_COLUMNS = `request_id, created_at, source, requested_model, prompt_preview, decision_json, model, strategy,
  confidence, routing_latency_ms, status, answered_by, prompt_tokens, completion_tokens, total_tokens, cost_usd,
  latency_ms, record_json, capabilities, api_key_id, cached_tokens, cache_creation_tokens, cache_creation_1h_tokens,
  reserved_usd, reserved_at`;
const REQUEST_COLUMN_COUNT = REQUEST_COLUMNS.split(',').length;
const REQUEST_UPDATE = REQUEST_COLUMNS.split(',')
  .map((c) => c.trim())
  .filter((c) => c !== 'request_id')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

/** What writeBatch queries with: every text it sends in a form PostgreSQL holds (storable.ts). */
interface StorableClient {
  query<R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params: unknown[],
  ): Promise<pg.QueryResult<R>>;
}
function storableClient(client: pg.PoolClient): StorableClient {
  return { query: (sql, params) => client.query(sql, storableParams(params)) };
}

/** An outcome this daemon's learner is waiting for, as stored (its seq: see DeliveredOutcomes). */
interface StoredOutcome {
  outcome: Outcome;
  seq: number;
}

/** Writes one batch; returns the outcomes it stored that this daemon's learner is waiting for. */
async function writeBatch(pooled: pg.PoolClient, batch: StoredWrite[]): Promise<StoredOutcome[]> {
  const client = storableClient(pooled);
  // Requests first (the last write of an id wins, as in the embedded store), then feedback in order,
  // then outcomes; one transaction, so a batch is stored whole or not at all and retried whole.
  const requests = new Map<string, Extract<StoredWrite, { op: 'request' }>>();
  const feedback: Extract<StoredWrite, { op: 'feedback' }>[] = [];
  const outcomes: SpooledOutcome[] = [];
  /** Imported outcomes whose keys the store could not check (StoredWrite.keysUnchecked). */
  const unchecked = new Set<SpooledOutcome>();
  /** Outcomes of a copied history (StoredWrite.copied): stored as they are. */
  const copied = new Set<SpooledOutcome>();
  /** Ids of imported outcomes this daemon's learner takes once stored (StoredWrite.learnWhenStored). */
  const toLearn = new Map<number, Outcome>();
  /** Requests whose judgements a new rating replaces (StoredWrite 'retract'). */
  const retracted = new Set<string>();
  for (const write of batch) {
    if (write.op === 'request') {
      requests.delete(write.data.request_id);
      requests.set(write.data.request_id, write);
    } else if (write.op === 'feedback') feedback.push(write);
    else if (write.op === 'retract') {
      // In spool order: what this batch brought for the request before the retract goes too (the
      // database's rows are deleted before this batch's feedback and outcomes are inserted).
      const id = write.data.request_id;
      retracted.add(id);
      removeWhere(feedback, (f) => f.data.request_id === id);
      removeWhere(outcomes, (o) => o.request_id === id && o.source !== ATTEMPT_ERROR_SOURCE);
    } else {
      outcomes.push(...write.data);
      if (write.keysUnchecked) for (const outcome of write.data) unchecked.add(outcome);
      if (write.copied) for (const outcome of write.data) copied.add(outcome);
      if (write.learnWhenStored)
        for (const { op_key: _key, ...outcome } of write.data) toLearn.set(outcome.id, outcome);
    }
  }
  const learn: StoredOutcome[] = [];
  const requestRows = [...requests.values()];
  for (let i = 0; i < requestRows.length; i += 200) {
    const chunk = requestRows.slice(i, i + 200);
    const params: unknown[] = [];
    for (const { data: r, apiKeyId, reserved } of chunk) {
      const d = r.decision;
      params.push(
        r.request_id,
        Math.round(finite(r.created_at)),
        r.source,
        r.requested_model,
        r.routing_text.slice(0, PREVIEW_CHARS),
        storableJson(JSON.stringify(d)),
        d.model,
        d.strategy,
        finite(d.confidence),
        finite(d.latency_ms),
        r.status,
        r.answered_by,
        r.usage ? finite(r.usage.prompt_tokens) : null,
        r.usage ? finite(r.usage.completion_tokens) : null,
        r.usage ? finite(r.usage.total_tokens) : null,
        finite(r.cost_usd),
        finite(r.latency_ms),
        storableJson(JSON.stringify(r)),
        encodeCapabilities(r.capabilities),
        apiKeyId ?? null,
        ...cacheSplit(r.usage),
        reserved ? finite(reserved.usd) : null,
        reserved ? Math.round(finite(reserved.at)) : null,
      );
    }
    await client.query(
      `INSERT INTO requests (${REQUEST_COLUMNS}) VALUES ${valuesList(chunk.length, REQUEST_COLUMN_COUNT)}
       ON CONFLICT (request_id) DO UPDATE SET ${REQUEST_UPDATE}`,
      params,
    );
  }
  const retractions: RetractionRow[] = [];
  for (const id of retracted) {
    await client.query('DELETE FROM feedback WHERE request_id = $1', [id]);
    const deleted = await client.query<{ id: string }>(
      'DELETE FROM outcomes WHERE request_id = $1 AND source <> $2 RETURNING id',
      [id, ATTEMPT_ERROR_SOURCE],
    );
    await client.query('UPDATE requests SET rating = NULL WHERE request_id = $1', [id]);
    if (deleted.rows.length === 0) continue;
    // Recorded for the other replicas, whose learners hold these outcomes (see catchUpOnce).
    const { rows } = await client.query<{ seq: string; outcome_id: string; request_id: string }>(
      `INSERT INTO outcome_retractions (outcome_id, request_id, created_at)
       SELECT unnest($1::bigint[]), $2, $3 RETURNING seq, outcome_id, request_id`,
      [deleted.rows.map((row) => row.id), id, Date.now()],
    );
    for (const row of rows) retractions.push(retractionOf(row));
  }
  // At commit: the replicas listening forget these outcomes now (the others at their catch-up).
  for (let k = 0; k < retractions.length; k += 100) {
    const retract = retractions.slice(k, k + 100).map((r) => [r.seq, r.outcomeId, r.requestId]);
    await client.query('SELECT pg_notify($1, $2)', [
      OUTCOMES_CHANNEL,
      JSON.stringify({ r: init.replicaId, ids: [], retract }),
    ]);
  }
  for (const { data: f, opKey } of feedback) {
    const inserted = await client.query(
      `INSERT INTO feedback (op_key, request_id, rating, source, weight, created_at, comment)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (op_key) DO NOTHING`,
      [opKey, f.request_id, f.rating, f.source, f.weight, Math.round(f.created_at), f.comment ?? null],
    );
    // The most recent user rating is the one the decisions table shows (as in the embedded store).
    if (inserted.rowCount && (f.source === 'explicit' || f.source === 'thumbs')) {
      await client.query('UPDATE requests SET rating = $1 WHERE request_id = $2', [f.rating, f.request_id]);
    }
  }
  const toInsert = await withoutHeldElsewhere(client, outcomes, unchecked, copied);
  for (let i = 0; i < toInsert.length; i += 500) {
    const chunk = toInsert.slice(i, i + 500);
    const params: unknown[] = [];
    for (const o of chunk) {
      params.push(
        o.id,
        o.prompt,
        o.model,
        o.score,
        o.weight,
        o.source,
        o.request_id,
        Math.round(o.created_at),
        o.op_key ?? null,
      );
    }
    // A replayed spool repeats an id, a second copy of a history an op_key: either is skipped.
    const { rows } = await client.query<{ id: number; seq: number }>(
      `INSERT INTO outcomes (id, prompt, model, score, weight, source, request_id, created_at, op_key)
       VALUES ${valuesList(chunk.length, 9)} ON CONFLICT DO NOTHING RETURNING id, seq`,
      params,
    );
    for (const row of rows) {
      const outcome = toLearn.get(Number(row.id));
      if (outcome) learn.push({ outcome, seq: Number(row.seq) });
    }
    // Delivered at commit to every replica listening: they fetch these rows and learn from them.
    for (let k = 0; k < rows.length; k += 400) {
      const ids = rows.slice(k, k + 400).map((row) => row.id);
      await client.query('SELECT pg_notify($1, $2)', [OUTCOMES_CHANNEL, JSON.stringify({ r: init.replicaId, ids })]);
    }
  }
  return learn;
}

/** Removes the items `drop` picks, in place. */
function removeWhere<T>(items: T[], drop: (item: T) => boolean): void {
  let kept = 0;
  for (const item of items) if (!drop(item)) items[kept++] = item;
  items.length = kept;
}

/**
 * `outcomes` without the imported rows already held in another form than their own op_key
 * (op-keys.ts), which the insert's unique op_key does not catch: with no user (a history `store
 * copy` brought in is everyone's) or as their user's by any of the user's API keys (this version's
 * per-name form, the earlier per-key-id form). The store checks that before an import; asked here
 * are only the rows it could not check (`unchecked`: spooled while PostgreSQL was down or slow) and
 * rows an earlier version spooled (per-key-id op_keys: never checked as their user's). A row an
 * earlier one of this batch stores in another form is left out too: it is not in the database yet.
 * A copied history's rows (`copied`) are none of these: they are stored as they are.
 */
async function withoutHeldElsewhere(
  client: StorableClient,
  outcomes: SpooledOutcome[],
  unchecked: ReadonlySet<SpooledOutcome>,
  copied: ReadonlySet<SpooledOutcome>,
): Promise<SpooledOutcome[]> {
  const imported: { outcome: SpooledOutcome; user: string | null; importKey: string; keyId: string | null }[] = [];
  for (const outcome of outcomes) {
    // A copy is a copy: a history copied back from a data dir holds the first user's row of an
    // import key with no user and the others' as theirs, and each is stored (only its own op_key
    // again is skipped, by the insert).
    if (copied.has(outcome)) continue;
    const opKey = outcome.op_key;
    const importKey = opKey === undefined ? null : importKeyOfOpKey(opKey);
    if (opKey === undefined || importKey === null) continue;
    const keyId = keyIdOfOpKey(opKey);
    imported.push({ outcome, user: keyId === null ? userOfOpKey(opKey) : null, importKey, keyId });
  }
  // Only checked rows: each check's read wrote every write handed over before it (runQuery), so
  // none of this batch's earlier rows holds them in another form either.
  const toCheck = imported.filter(({ outcome, keyId }) => unchecked.has(outcome) || keyId !== null);
  if (toCheck.length === 0) return outcomes;
  // A spool an earlier version wrote keys its rows by API key id: their user is the key's name.
  const keyIds = new Set(toCheck.flatMap(({ keyId }) => (keyId === null ? [] : [keyId])));
  if (keyIds.size > 0) {
    const { rows } = await client.query<{ id: string; name: string }>(
      'SELECT id, name FROM api_keys WHERE id = ANY($1::text[])',
      [[...keyIds]],
    );
    const nameOf = new Map(rows.map((row) => [row.id, row.name]));
    for (const row of toCheck) if (row.keyId !== null) row.user = nameOf.get(row.keyId) ?? null;
  }
  const held = new Set<SpooledOutcome>();
  // In chunks, each statement far inside statement_timeout however large the import.
  for (let i = 0; i < toCheck.length; i += IMPORT_KEY_CHUNK) {
    const chunk = toCheck.slice(i, i + IMPORT_KEY_CHUNK);
    const { rows } = await client.query<{ i: number }>(HELD_ELSEWHERE_SQL, heldElsewhereParams(chunk));
    for (const row of rows) held.add(chunk[Number(row.i)]!.outcome);
  }
  // This batch's own rows (an earlier version's spool replayed next to this version's import).
  const stored = new Set<string>();
  const identity = (user: string | null, key: string): string => JSON.stringify([user, key]);
  for (const { outcome, user, importKey } of imported) {
    if (held.has(outcome)) continue;
    if (stored.has(identity(null, importKey)) || (user !== null && stored.has(identity(user, importKey))))
      held.add(outcome);
    else stored.add(identity(user, importKey));
  }
  return held.size === 0 ? outcomes : outcomes.filter((o) => !held.has(o));
}

/** Writes everything pending, batch by batch; false when the database is unreachable (all kept). */
async function flushPending(): Promise<boolean> {
  while (pending.length > 0) {
    if (!up && Date.now() < retryAt) return false;
    const batch = pending.slice(0, MAX_BATCH);
    let learn: StoredOutcome[];
    try {
      try {
        learn = await inTransaction(batch);
      } catch (err) {
        // A row PostgreSQL refuses would fail this batch at every retry, and every write after it
        // would wait behind it: the database is not down, so the others are stored without it.
        if (!isRefusedData(err)) throw err;
        learn = await withoutRefused(batch);
      }
    } catch (err) {
      retryAt = Date.now() + retryMs;
      retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
      setUp(false, (err as Error).message);
      return false;
    }
    // Imported rows this write stored (not those PostgreSQL already had): this daemon's learner
    // takes them as it takes other replicas' outcomes. An id of this daemon's blocks is never
    // delivered as another replica's (deliver skips them), so only the others, rows an earlier
    // run spooled, are remembered: the catch-up could find those too.
    const fresh = learn.filter(({ outcome: o }) => isOwn(o.id) || !delivered.has(o.id));
    for (const { outcome: o, seq } of fresh) if (!isOwn(o.id)) delivered.remember(o.id, seq);
    if (fresh.length > 0) post({ type: 'remote-outcomes', outcomes: fresh.map(({ outcome }) => outcome) });
    pending = pending.slice(batch.length);
    retryMs = RETRY_MIN_MS;
    setUp(true);
    const last = batch[batch.length - 1];
    if (last) post({ type: 'flushed', seq: last.seq });
  }
  return true;
}

/** One transaction: the writes are stored whole or not at all. */
async function inTransaction(writes: StoredWrite[]): Promise<StoredOutcome[]> {
  const client = await checkOut();
  try {
    await client.query('BEGIN');
    const learn = await writeBatch(client, writes);
    await client.query('COMMIT');
    checkIn(client);
    return learn;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    checkIn(client, !isRefusedData(err));
    throw err;
  }
}

/**
 * The batch's writes one at a time, and a refused outcomes write row by row: what PostgreSQL
 * refuses is handed to the store (kept in a file, logged) and left out, the rest stored. Throws
 * when PostgreSQL is unreachable (the batch is retried whole: every write is idempotent).
 */
async function withoutRefused(batch: StoredWrite[]): Promise<StoredOutcome[]> {
  const learn: StoredOutcome[] = [];
  const attempt = async (write: StoredWrite): Promise<boolean> => {
    try {
      learn.push(...(await inTransaction([write])));
      return true;
    } catch (err) {
      if (!isRefusedData(err)) throw err;
      if (write.op !== 'outcomes' || write.data.length === 1)
        post({ type: 'refused', write: JSON.stringify(write), error: (err as Error).message });
      return false;
    }
  };
  for (const write of batch) {
    if ((await attempt(write)) || write.op !== 'outcomes' || write.data.length === 1) continue;
    for (const row of write.data) await attempt({ ...write, data: [row] });
  }
  return learn;
}

/**
 * PostgreSQL refused the data itself, not for being unreachable: SQLSTATE class 22 (data exception:
 * an invalid byte sequence, a value out of range), 23 (integrity constraint; the conflicts this
 * store expects are handled by ON CONFLICT) or 54 (program limit: an index row too large). The same
 * write would be refused at every retry.
 */
function isRefusedData(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|54)...$/.test(code);
}

let flushQueued = false;
function scheduleFlush(): void {
  if (flushQueued || pending.length === 0) return;
  flushQueued = true;
  enqueue(async () => {
    flushQueued = false;
    await flushPending();
  });
}
const flushTimer = setInterval(scheduleFlush, FLUSH_INTERVAL_MS);

async function runQuery(id: number, sql: string, params: unknown[]): Promise<void> {
  try {
    // Read your writes: everything handed over before this read is stored first.
    if (!(await flushPending())) throw new Error('PostgreSQL is unreachable; writes are spooled locally');
    // A NUL in a key is looked up as it was stored (storable.ts).
    const result = await pool.query(sql, storableParams(params));
    setUp(true);
    reply({ id, ok: true, rows: result.rows as Record<string, unknown>[] });
  } catch (err) {
    if (isConnectionError(err)) setUp(false, (err as Error).message);
    reply({ id, ok: false, error: (err as Error).message });
  }
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  const message = (err as Error).message ?? '';
  return (
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|57P0[1-3]|08...)$/.test(code) ||
    /timeout|terminat|Connection|connect/i.test(message)
  );
}

// ---------------------------------------------------------------- outcomes from other replicas

let listener: pg.Client | undefined;
let lastSeq = 0;
/** Each outcome is delivered once; an id is remembered only while a catch-up or a notification could bring it again. */
const delivered = new DeliveredOutcomes();
/** Outcome rows are fetched by the seq window too, because seq order is not commit order. */
const SEQ_SLACK = init.seqSlack ?? 10_000;

function outcomeOf(row: Record<string, unknown>): Outcome {
  return {
    id: Number(row.id),
    prompt: String(row.prompt),
    model: String(row.model),
    score: Number(row.score),
    weight: Number(row.weight),
    source: String(row.source),
    request_id: typeof row.request_id === 'string' ? row.request_id : null,
    created_at: Number(row.created_at),
  };
}

const OUTCOME_COLUMNS = 'id, prompt, model, score, weight, source, request_id, created_at, seq';

function deliver(rows: Record<string, unknown>[], ownIds: (id: number) => boolean): void {
  const fresh: Outcome[] = [];
  for (const row of rows) {
    lastSeq = Math.max(lastSeq, Number(row.seq));
    const outcome = outcomeOf(row);
    // A catch-up may have read a row just before a re-rating deleted it, and deliver it after the
    // retraction was heard: it must not be learned after it was forgotten.
    if (delivered.has(outcome.id) || ownIds(outcome.id) || retractedIds.has(outcome.id)) continue;
    delivered.remember(outcome.id, Number(row.seq));
    fresh.push(outcome);
  }
  if (fresh.length > 0) post({ type: 'remote-outcomes', outcomes: fresh.sort((a, b) => a.created_at - b.created_at) });
}

/** An outcome_retractions row: an outcome a re-rating took back, on whichever replica. */
interface RetractionRow {
  seq: number;
  outcomeId: number;
  requestId: string;
}

function retractionOf(row: { seq: string | number; outcome_id: string | number; request_id: string }): RetractionRow {
  return { seq: Number(row.seq), outcomeId: Number(row.outcome_id), requestId: row.request_id };
}

let lastRetractSeq = 0;
/** Retractions handed to the learner (by seq), until a catch-up's floor passes them. */
const appliedRetractions = new Set<number>();
/** Outcome ids retracted lately, never delivered after; the oldest go past RETRACTED_IDS_KEPT. */
const retractedIds = new Set<number>();
const RETRACTED_IDS_KEPT = 100_000;

/**
 * Retractions from a notification or a catch-up: each is handed once to the learner, which forgets
 * those outcomes. This replica's own are handed too: its learner forgot them already (a no-op).
 */
function applyRetractions(rows: readonly RetractionRow[]): void {
  const byRequest = new Map<string, number[]>();
  for (const row of rows) {
    lastRetractSeq = Math.max(lastRetractSeq, row.seq);
    if (appliedRetractions.has(row.seq)) continue;
    appliedRetractions.add(row.seq);
    retractedIds.add(row.outcomeId);
    const ids = byRequest.get(row.requestId);
    if (ids) ids.push(row.outcomeId);
    else byRequest.set(row.requestId, [row.outcomeId]);
  }
  for (const id of retractedIds) {
    if (retractedIds.size <= RETRACTED_IDS_KEPT) break;
    retractedIds.delete(id);
  }
  if (byRequest.size === 0) return;
  const retractions = [...byRequest].map(([request_id, outcome_ids]) => ({ request_id, outcome_ids }));
  post({ type: 'remote-retractions', retractions });
}

const ownBlocks = new Set<number>();
const isOwn = (id: number): boolean => ownBlocks.has(Math.floor(id / 1_000_000));

/** One at a time (DeliveredOutcomes: a later catch-up never reads below an earlier one's floor). */
let catchingUp: Promise<void> = Promise.resolve();
/** Catch-ups running or waiting their turn. */
let catchUpsPending = 0;
function catchUp(): Promise<void> {
  catchUpsPending++;
  const run = catchingUp.then(catchUpOnce).finally(() => catchUpsPending--);
  catchingUp = run.catch(() => undefined);
  return run;
}

async function catchUpOnce(): Promise<void> {
  // Retractions first: an outcome this read finds retracted is then skipped by deliver().
  const retractFloor = Math.max(0, lastRetractSeq - SEQ_SLACK);
  const retracted = await pool.query<{ seq: string; outcome_id: string; request_id: string }>(
    'SELECT seq, outcome_id, request_id FROM outcome_retractions WHERE seq > $1 ORDER BY seq LIMIT 50000',
    [retractFloor],
  );
  applyRetractions(retracted.rows.map(retractionOf));
  // No later catch-up reads at or below this floor (it never goes down): those seqs may go.
  for (const seq of appliedRetractions) if (seq <= retractFloor) appliedRetractions.delete(seq);
  const floor = Math.max(0, lastSeq - SEQ_SLACK);
  const { rows } = await pool.query(`SELECT ${OUTCOME_COLUMNS} FROM outcomes WHERE seq > $1 ORDER BY seq LIMIT 50000`, [
    floor,
  ]);
  deliver(rows as Record<string, unknown>[], isOwn);
  // Committed after this read: once the listener hears it, the ids remembered so far at or below
  // `floor` can come neither from a catch-up nor from a notification again (DeliveredOutcomes).
  // Without a listener nobody would hear it: the ids wait for the next one.
  if (!listener) return;
  const mark: OutcomesPayload = { r: init.replicaId, ids: [], mark: delivered.nextMark(), floor };
  await pool.query('SELECT pg_notify($1, $2)', [OUTCOMES_CHANNEL, JSON.stringify(mark)]);
}

/**
 * A notification on OUTCOMES_CHANNEL: the ids a replica `r` stored, or (`mark`, no ids) a marker a
 * replica sends itself after a catch-up. The others skip a marker as a notification of no ids.
 */
interface OutcomesPayload {
  r: string;
  ids: number[];
  mark?: number;
  floor?: number;
  /** Outcomes a re-rating took back: [retraction seq, outcome id, request id]. */
  retract?: [number, number, string][];
}

async function listen(): Promise<void> {
  if (closing) return;
  const client = new pg.Client({ connectionString: init.url, connectionTimeoutMillis: 2000, keepAlive: true });
  client.on('error', () => undefined);
  client.on('end', () => {
    if (listener === client) listener = undefined;
    if (!closing) setTimeout(() => void listen().catch(() => undefined), 500);
  });
  client.on('notification', (message) => {
    if (message.channel !== OUTCOMES_CHANNEL || !message.payload) return;
    let payload: OutcomesPayload;
    try {
      payload = JSON.parse(message.payload) as OutcomesPayload;
    } catch {
      return;
    }
    if (payload.r === init.replicaId) {
      if (payload.mark !== undefined && payload.floor !== undefined) delivered.markHeard(payload.mark, payload.floor);
      return;
    }
    if (payload.retract) {
      applyRetractions(payload.retract.map(([seq, outcomeId, requestId]) => ({ seq, outcomeId, requestId })));
    }
    const ids = payload.ids.filter((id) => !delivered.has(id));
    if (ids.length === 0) return;
    delivered.fetchStarted(ids);
    pool
      .query(`SELECT ${OUTCOME_COLUMNS} FROM outcomes WHERE id = ANY($1::bigint[])`, [ids])
      .then(({ rows }) => deliver(rows as Record<string, unknown>[], isOwn))
      .catch(() => undefined) // the periodic catch-up gets them
      .finally(() => delivered.fetchSettled(ids));
  });
  try {
    await client.connect();
    await client.query(`LISTEN ${OUTCOMES_CHANNEL}`);
    listener = client;
    // Whatever was committed while this replica was not listening.
    await catchUp();
  } catch {
    await client.end().catch(() => undefined);
  }
}
// The periodic one is skipped while another runs or waits: with PostgreSQL slower than the period
// (a locked table, up to the statement timeout) one would queue per tick, to run back to back later.
const catchUpTimer = setInterval(() => {
  if (catchUpsPending === 0) void catchUp().catch(() => undefined);
}, init.catchUpMs ?? 5000);
catchUpTimer.unref();

// ---------------------------------------------------------------- messages

parentPort?.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'write':
      for (const json of message.entries) pending.push(JSON.parse(json) as StoredWrite);
      if (pending.length >= MAX_BATCH) scheduleFlush();
      return;
    case 'query':
      enqueue(() => runQuery(message.id, message.sql, message.params));
      return;
    case 'flush':
      enqueue(async () => {
        const done = await flushPending();
        reply(done ? { id: message.id, ok: true, rows: [] } : { id: message.id, ok: false, error: 'unreachable' });
      });
      return;
    case 'remembered':
      reply({ id: message.id, ok: true, rows: [{ n: delivered.size }] });
      return;
    case 'block':
      enqueue(async () => {
        try {
          const { rows } = await pool.query<{ n: number }>("SELECT nextval('outcome_id_blocks') AS n");
          ownBlocks.add(Number(rows[0]?.n));
          reply({ id: message.id, ok: true, rows });
        } catch (err) {
          reply({ id: message.id, ok: false, error: (err as Error).message });
        }
      });
      return;
    case 'close':
      closing = true;
      clearInterval(flushTimer);
      clearInterval(catchUpTimer);
      enqueue(async () => {
        retryAt = 0;
        up = true;
        await flushPending();
        await listener?.end().catch(() => undefined);
        await pool.end().catch(() => undefined);
        post({ type: 'closed', pending: pending.length });
      });
      return;
  }
});

async function start(): Promise<void> {
  const client = await checkOut();
  let broken = true;
  try {
    const schemaVersionFound = await migrate(client);
    const block = await client.query<{ n: number }>("SELECT nextval('outcome_id_blocks') AS n");
    const outcomeBlock = Number(block.rows[0]?.n);
    ownBlocks.add(outcomeBlock);
    const seq = await client.query<{ n: number | null }>('SELECT MAX(seq) AS n FROM outcomes');
    lastSeq = Number(seq.rows[0]?.n ?? 0);
    // The learner reads the outcomes as stored now, without those retracted so far.
    const retractSeq = await client.query<{ n: number | null }>('SELECT MAX(seq) AS n FROM outcome_retractions');
    lastRetractSeq = Number(retractSeq.rows[0]?.n ?? 0);
    // The outcomes stored by now are the learner's already (it reads them all when it loads, after
    // 'ready'): the first catch-up must not hand them over as new (each would count toward
    // routing.feedback.retrain_every again at every start).
    const stored = await client.query<{ id: number; seq: number }>('SELECT id, seq FROM outcomes WHERE seq > $1', [
      Math.max(0, lastSeq - SEQ_SLACK),
    ]);
    for (const row of stored.rows) delivered.remember(Number(row.id), Number(row.seq));
    post({ type: 'ready', schemaVersionFound, outcomeBlock });
    broken = false;
  } finally {
    checkIn(client, broken);
  }
  await listen();
}

start().catch((err: unknown) => post({ type: 'failed', error: (err as Error).message }));
