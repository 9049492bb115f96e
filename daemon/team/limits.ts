// Budgets and rate limits per API key, enforced by every replica against shared counters in
// PostgreSQL (key_usage: one row per key and minute/day/month window). Nothing waits for the
// database on the request path: each replica counts locally and every SYNC_MS reads back the
// totals of all replicas. A request is admitted when shared totals + this replica's counts not in
// them yet + its requests in flight (at their expected cost) stay under every limit, so a replica
// overshoots a budget by at most the request in flight.
//
// Two sources fill key_usage. Spend (day and month windows: budgets, usage reports) comes from the
// request rows themselves, by a trigger (PostgreSQL schema v9): a request's row goes through the
// store's durable spool, survives kill -9 and outages, and is upserted idempotently, so its spend
// is counted once whenever it arrives. Counting it here as well would count it twice; the replica
// only holds its recorded requests whose rows have not been stored yet (`unstored`, by spool seq)
// and drops each once the store reports its row written. Before, the replicas sent their counts
// from memory, and what was counted while the database was down was lost at a restart. The minute
// window (rate limits) is sent by the sync as before: it counts admissions at once, and losing the
// last 100 ms of a minute's counts in a crash limits nothing a minute later.
//
// Near a budget a request first reserves its expected cost (key_usage.reserved_usd). Its row carries
// that reservation, and the row's write gives it back in the transaction that adds the real cost,
// so the database never holds both or neither, even when the replica dies before the row is stored.
import type pg from 'pg';
import type { ApiKey } from './keys';

export const SYNC_MS = 100;
const MINUTE = 60_000;
const DAY = 86_400_000;

type Kind = 'minute' | 'day' | 'month';
interface Counts {
  requests: number;
  tokens: number;
  cost: number;
}
const zero = (): Counts => ({ requests: 0, tokens: 0, cost: 0 });

export function windowStart(kind: Kind, now: number): number {
  if (kind === 'minute') return Math.floor(now / MINUTE) * MINUTE;
  if (kind === 'day') return Math.floor(now / DAY) * DAY;
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function windowEnd(kind: Kind, now: number): number {
  if (kind === 'minute') return windowStart('minute', now) + MINUTE;
  if (kind === 'day') return windowStart('day', now) + DAY;
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export interface LimitRefusal {
  /** OpenAI's codes: rate_limit_exceeded for rates, insufficient_quota for budgets. */
  code: 'rate_limit_exceeded' | 'insufficient_quota';
  message: string;
  retryAfterSeconds: number;
}

type Window = Counts & { start: number };

/** A request this replica recorded whose row (spool write `seq`) has not reached PostgreSQL yet. */
interface Unstored {
  seq: number;
  day: number;
  month: number;
  tokens: number;
  cost: number;
  /** The reservation the request was admitted with, held until its row is stored. */
  reservation: Reservation | undefined;
}

interface KeyState {
  keyId: string;
  shared: Record<Kind, Window>;
  /** This replica's minute counts not sent yet. */
  minute: Window;
  /** Minute counts sent to the database whose totals have not been read back yet. */
  transit: Window;
  /** Recorded requests not in the database's day and month totals yet, in spool order. */
  unstored: Unstored[];
  inFlight: number;
  /** Mean cost of this key's requests so far (expected cost of one in flight). */
  meanCost: number;
  costSamples: number;
}

const KINDS: Kind[] = ['minute', 'day', 'month'];
/** How often a replica deletes the windows no limit reads any more. */
const PRUNE_MS = 60_000;

/**
 * Every key's current minute, day and month: what each replica reads every SYNC_MS. Served by the
 * index key_usage_window (schema v9); the primary key starts with key_id, so before it each read
 * scanned the whole table, a month of minute rows included.
 */
export const CURRENT_WINDOWS_SQL = `SELECT key_id, window_kind, window_start, requests, tokens, cost_usd FROM key_usage
  WHERE (window_kind = 'minute' AND window_start = $1) OR (window_kind = 'day' AND window_start = $2)
    OR (window_kind = 'month' AND window_start = $3)`;

/** A request the store recorded: its spool write, its created_at (its windows), tokens and cost. */
export interface RecordedRequest {
  seq: number;
  createdAt: number;
  tokens: number;
  cost: number;
}
/** Within this many requests' cost of a budget, each admission reserves its cost in the database. */
const STRICT_MARGIN_REQUESTS = 20;

/**
 * A request's expected cost held in key_usage.reserved_usd until its real cost replaces it (its
 * row's write gives it back) or it ends without a record (release).
 */
export interface Reservation {
  keyId: string;
  amount: number;
  /** The admission's time: the reservation is held in its day and month (both, or none). */
  at: number;
  windows: { kind: 'day' | 'month'; start: number }[];
  settled: boolean;
}

/**
 * The reservation a request about to be recorded still holds in the database, for its row to give
 * back when stored (PostgreSQL schema v9), or undefined.
 */
export function heldReservation(reservation: unknown): { usd: number; at: number } | undefined {
  const held = reservation as Reservation | undefined;
  if (!held || held.settled || held.windows.length === 0) return undefined;
  return { usd: held.amount, at: held.at };
}

export class KeyLimiter {
  private readonly states = new Map<string, KeyState>();
  /**
   * Reservations of requests that ended without a record, to give back in order; one the database
   * did not take (it was down) is retried by sync.
   */
  private releases: Reservation[] = [];
  private sendingReleases = false;
  private timer: NodeJS.Timeout | undefined;
  private syncing = false;
  private prunedAt = 0;

  /**
   * `storedThrough`: the spool seq through which the store has written every row to PostgreSQL
   * (PostgresStore.storedThrough).
   */
  constructor(
    private readonly db: pg.Pool,
    private readonly storedThrough: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sync(), SYNC_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private state(keyId: string): KeyState {
    let state = this.states.get(keyId);
    const now = this.now();
    if (!state) {
      const shared = Object.fromEntries(
        KINDS.map((k) => [k, { ...zero(), start: windowStart(k, now) }]),
      ) as KeyState['shared'];
      const minute = (): Window => ({ ...zero(), start: windowStart('minute', now) });
      state = {
        keyId,
        shared,
        minute: minute(),
        transit: minute(),
        unstored: [],
        inFlight: 0,
        meanCost: 0,
        costSamples: 0,
      };
      this.states.set(keyId, state);
    }
    for (const kind of KINDS) {
      const start = windowStart(kind, now);
      if (state.shared[kind].start !== start) state.shared[kind] = { ...zero(), start };
    }
    // Unsent counts of a past minute are still sent (to their own window) by the next sync.
    return state;
  }

  /** Shared totals and what this replica counted that they do not hold yet. */
  private used(state: KeyState, kind: Kind): Counts {
    const shared = state.shared[kind];
    const used = { requests: shared.requests, tokens: shared.tokens, cost: shared.cost };
    if (kind === 'minute') {
      for (const local of [state.minute, state.transit]) {
        if (local.start !== shared.start) continue;
        used.requests += local.requests;
        used.tokens += local.tokens;
        used.cost += local.cost;
      }
      return used;
    }
    for (const request of state.unstored) {
      if (request[kind] !== shared.start) continue;
      used.requests++;
      used.tokens += request.tokens;
      used.cost += request.cost;
    }
    return used;
  }

  /**
   * Admits a request (counting it) or says which limit it is over. Far from every budget this is a
   * lookup in memory; near one, a reservation in the database (a Promise, with the reservation the
   * caller hands back through settle/release).
   */
  admit(key: ApiKey): LimitRefusal | undefined | Promise<LimitRefusal | Reservation> {
    const state = this.state(key.id);
    const now = this.now();
    const retry = (kind: Kind) => Math.max(1, Math.ceil((windowEnd(kind, now) - now) / 1000));
    const minute = this.used(state, 'minute');
    if (key.requests_per_minute !== null && minute.requests >= key.requests_per_minute) {
      return {
        code: 'rate_limit_exceeded',
        message: `Rate limit reached for key '${key.name}': ${key.requests_per_minute} requests per minute (used ${minute.requests}). Try again in ${retry('minute')} s.`,
        retryAfterSeconds: retry('minute'),
      };
    }
    if (key.tokens_per_minute !== null && minute.tokens >= key.tokens_per_minute) {
      return {
        code: 'rate_limit_exceeded',
        message: `Rate limit reached for key '${key.name}': ${key.tokens_per_minute} tokens per minute (used ${minute.tokens}). Try again in ${retry('minute')} s.`,
        retryAfterSeconds: retry('minute'),
      };
    }
    const pending = state.inFlight * state.meanCost;
    let strict = false;
    for (const [kind, budget] of [
      ['day', key.budget_usd_day],
      ['month', key.budget_usd_month],
    ] as const) {
      if (budget === null) continue;
      const spent = this.used(state, kind).cost;
      if (spent + pending >= budget) return this.overBudget(key, kind, spent);
      if (state.costSamples === 0 || budget - spent < STRICT_MARGIN_REQUESTS * state.meanCost) strict = true;
    }
    this.minute(state).requests++;
    state.inFlight++;
    if (!strict) return undefined;
    return this.reserve(key, state, Math.max(state.meanCost, 1e-9)).then((result) => {
      if ('code' in result) {
        this.minute(state).requests--;
        state.inFlight--;
      }
      return result;
    });
  }

  private overBudget(key: ApiKey, kind: 'day' | 'month', spent: number): LimitRefusal {
    const now = this.now();
    const retry = Math.max(1, Math.ceil((windowEnd(kind, now) - now) / 1000));
    const budget = kind === 'day' ? key.budget_usd_day : key.budget_usd_month;
    return {
      code: 'insufficient_quota',
      message: `Budget reached for key '${key.name}': $${budget} per ${kind} (spent $${spent.toFixed(6)}). Try again in ${retry} s.`,
      retryAfterSeconds: retry,
    };
  }

  /**
   * Reserves `amount` in every budget window of the key, all or nothing, in one transaction: a
   * window whose spent + reserved + amount would pass its budget refuses. The database's spent
   * figure lags by up to SYNC_MS of other replicas' far-from-budget traffic, which is why strict
   * mode starts STRICT_MARGIN_REQUESTS requests before the budget.
   */
  private async reserve(key: ApiKey, state: KeyState, amount: number): Promise<LimitRefusal | Reservation> {
    const now = this.now();
    // Held in both windows, budget or not, as the request row that gives it back names only its
    // time (a window without a budget is not checked).
    const windows: Reservation['windows'] = [
      { kind: 'day', start: windowStart('day', now) },
      { kind: 'month', start: windowStart('month', now) },
    ];
    // Database unreachable: admit on this replica's own counts (the budget check in admit passed).
    // Nothing is reserved, but the request still settles: its cost must count locally, or a key
    // would spend without limit for as long as the database is down.
    const unreserved = (): Reservation => ({ keyId: key.id, amount: 0, at: now, windows: [], settled: false });
    let client: pg.PoolClient;
    try {
      client = await this.db.connect();
    } catch {
      return unreserved(); // refused or timed out: the request must not become a 500
    }
    // pg emits 'error' on a connection that ends unexpectedly even while its query runs, and the
    // pool listens only while a connection is idle: unheard, a database going down during this
    // transaction would end the daemon. The failing query below is where the error is handled.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    let broken = false;
    try {
      await client.query('BEGIN');
      for (const window of windows) {
        const budget = window.kind === 'day' ? key.budget_usd_day : key.budget_usd_month;
        await client.query(
          `INSERT INTO key_usage (key_id, window_kind, window_start) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
          [key.id, window.kind, window.start],
        );
        const unstored = this.unstoredCost(state, window.kind, window.start);
        const { rows } = await client.query<{ cost_usd: number }>(
          `UPDATE key_usage SET reserved_usd = reserved_usd + $4
           WHERE key_id = $1 AND window_kind = $2 AND window_start = $3
             AND ($6::double precision IS NULL OR cost_usd + reserved_usd + $4 + $5 <= $6)
           RETURNING cost_usd`,
          [key.id, window.kind, window.start, amount, unstored, budget],
        );
        if (rows.length === 0) {
          await client.query('ROLLBACK');
          return this.overBudget(key, window.kind, this.used(state, window.kind).cost);
        }
      }
      await client.query('COMMIT');
      return { keyId: key.id, amount, at: now, windows, settled: false };
    } catch {
      broken = true;
      await client.query('ROLLBACK').catch(() => undefined);
      return unreserved();
    } finally {
      // A broken connection is closed for good (and keeps the listener for late errors).
      if (!broken) client.removeListener('error', ignore);
      client.release(broken);
    }
  }

  /**
   * What this replica's recorded requests add to the database's spent + reserved figure of a window:
   * the cost of those whose rows are not stored yet, less the reservations the database holds for
   * them (in reserved_usd until the row's write gives them back). Without that, a reserved request
   * counted twice until its row was stored, and a key near its budget was refused a request early.
   * A reservation given back without a record (release) counts until the database took it: one
   * committed while this reservation runs is subtracted once more, so the key may pass its budget
   * by that one reservation, as by a request in flight.
   */
  private unstoredCost(state: KeyState, kind: 'day' | 'month', start: number): number {
    const stored = this.storedThrough();
    const holds = (reservation: Reservation): boolean =>
      reservation.windows.some((w) => w.kind === kind && w.start === start);
    let cost = 0;
    for (const request of state.unstored) {
      if (request.seq <= stored) continue; // its row has its cost, and gave its reservation back
      if (request[kind] === start) cost += request.cost;
      if (request.reservation && holds(request.reservation)) cost -= request.reservation.amount;
    }
    for (const reservation of this.releases) {
      if (reservation.keyId === state.keyId && holds(reservation)) cost -= reservation.amount;
    }
    return cost;
  }

  /**
   * The reserved request was recorded (spool write `seq`): it counts as any recorded request. The
   * store wrote its reservation into the spooled row (heldReservation), whose write gives it back
   * in the transaction that adds its cost: never twice, never neither, whenever the row arrives.
   */
  settle(reservation: Reservation, record: RecordedRequest): void {
    if (reservation.settled) return;
    reservation.settled = true;
    this.count(reservation.keyId, record, reservation.windows.length > 0 ? reservation : undefined);
  }

  /** The reserved request ended without a record (refused upstream, cancelled): give the reservation back. */
  release(reservation: Reservation): void {
    if (reservation.settled) return;
    reservation.settled = true;
    if (reservation.windows.length === 0) return;
    this.releases.push(reservation);
    void this.sendReleases();
  }

  /** A request of this key was recorded (spool write `seq`) with these tokens and cost. */
  recorded(keyId: string, record: RecordedRequest): void {
    this.count(keyId, record, undefined);
  }

  private count(keyId: string, record: RecordedRequest, reservation: Reservation | undefined): void {
    const state = this.state(keyId);
    this.minute(state).tokens += record.tokens;
    state.unstored.push({
      seq: record.seq,
      // The windows the trigger adds the row to: those of its created_at.
      day: windowStart('day', record.createdAt),
      month: windowStart('month', record.createdAt),
      tokens: record.tokens,
      cost: record.cost,
      reservation,
    });
    state.costSamples++;
    state.meanCost += (record.cost - state.meanCost) / state.costSamples;
  }

  private minute(state: KeyState): Window {
    const start = windowStart('minute', this.now());
    if (state.minute.start !== start && state.minute.requests + state.minute.tokens === 0) {
      state.minute = { ...zero(), start };
    }
    return state.minute;
  }

  /** This daemon's requests of the key that have been admitted and whose response is still open. */
  inFlight(keyId: string): number {
    return this.states.get(keyId)?.inFlight ?? 0;
  }

  /** The response went out or was abandoned (recorded or not): no longer in flight. */
  finished(keyId: string): void {
    const state = this.states.get(keyId);
    if (state && state.inFlight > 0) state.inFlight--;
  }

  /**
   * Sends the minute counts, reads back every replica's totals, forgets the recorded requests the
   * totals now hold (their rows are stored), and gives back their reservations.
   */
  async sync(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    const sent: { state: KeyState; counts: Window }[] = [];
    try {
      const rows: unknown[] = [];
      for (const [keyId, state] of this.states) {
        const counts = state.minute;
        if (counts.requests === 0 && counts.tokens === 0) continue;
        rows.push(keyId, 'minute', counts.start, counts.requests, counts.tokens);
        sent.push({ state, counts: { ...counts } });
        state.transit = { ...counts };
        state.minute = { ...zero(), start: windowStart('minute', this.now()) };
      }
      if (rows.length > 0) {
        const values = sent.map(
          (_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`,
        );
        await this.db.query(
          `INSERT INTO key_usage AS k (key_id, window_kind, window_start, requests, tokens) VALUES ${values.join(', ')}
           ON CONFLICT (key_id, window_kind, window_start) DO UPDATE SET requests = k.requests + excluded.requests,
             tokens = k.tokens + excluded.tokens`,
          rows,
        );
      }
      // Asked before the read: every row through this seq was committed before it began.
      const stored = this.storedThrough();
      const now = this.now();
      const { rows: totals } = await this.db.query<{
        key_id: string;
        window_kind: Kind;
        window_start: string;
        requests: string;
        tokens: string;
        cost_usd: number;
      }>(CURRENT_WINDOWS_SQL, [windowStart('minute', now), windowStart('day', now), windowStart('month', now)]);
      for (const row of totals) {
        const state = this.state(row.key_id);
        const start = Number(row.window_start);
        if (state.shared[row.window_kind].start !== start) continue;
        state.shared[row.window_kind] = {
          start,
          requests: Number(row.requests),
          tokens: Number(row.tokens),
          cost: Number(row.cost_usd),
        };
      }
      // The totals read back include what was sent, and the rows stored through `stored`.
      for (const { state } of sent) state.transit = { ...zero(), start: state.transit.start };
      for (const state of this.states.values()) {
        let n = 0;
        while (n < state.unstored.length && state.unstored[n]!.seq <= stored) n++;
        if (n > 0) state.unstored = state.unstored.slice(n);
      }
      await this.sendReleases();
      if (now - this.prunedAt >= PRUNE_MS) {
        this.prunedAt = now;
        // Its failure must not put back the minute counts sent above.
        await this.prune(now).catch(() => undefined);
      }
    } catch {
      // Database unreachable: put the unsent minute counts back (those of a past minute limit
      // nothing any more); limits hold on this replica's own counts.
      for (const { state, counts } of sent) {
        state.transit = { ...zero(), start: counts.start };
        const local = state.minute;
        if (local.start !== counts.start) continue;
        local.requests += counts.requests;
        local.tokens += counts.tokens;
      }
    } finally {
      this.syncing = false;
    }
  }

  /** Gives back the reservations waiting for it, each in one statement; those the database did not take wait on. */
  private async sendReleases(): Promise<void> {
    // One sender at a time: two would give the same reservation back twice.
    if (this.sendingReleases) return;
    this.sendingReleases = true;
    try {
      await this.sendEachRelease();
    } finally {
      this.sendingReleases = false;
    }
  }

  private async sendEachRelease(): Promise<void> {
    while (this.releases.length > 0) {
      const reservation = this.releases[0]!;
      try {
        await this.db.query(
          `UPDATE key_usage SET reserved_usd = GREATEST(0, reserved_usd - $2)
           WHERE key_id = $1 AND (window_kind, window_start) IN (SELECT * FROM unnest($3::text[], $4::bigint[]))`,
          [
            reservation.keyId,
            reservation.amount,
            reservation.windows.map((w) => w.kind),
            reservation.windows.map((w) => w.start),
          ],
        );
      } catch {
        return;
      }
      this.releases.shift();
    }
  }

  /**
   * Deletes the windows no limit and no usage report reads any more: minutes before the last one,
   * days before yesterday, months before the last one (a window past by a moment is kept for a
   * replica whose clock is a little behind). Every replica prunes now and then; with the index of
   * schema v9 a prune that finds nothing costs next to nothing.
   */
  private async prune(now: number): Promise<void> {
    const lastMonth = new Date(windowStart('month', now));
    lastMonth.setUTCMonth(lastMonth.getUTCMonth() - 1);
    await this.db.query(
      `DELETE FROM key_usage WHERE (window_kind = 'minute' AND window_start < $1)
         OR (window_kind = 'day' AND window_start < $2) OR (window_kind = 'month' AND window_start < $3)`,
      [windowStart('minute', now) - MINUTE, windowStart('day', now) - DAY, lastMonth.getTime()],
    );
  }
}
