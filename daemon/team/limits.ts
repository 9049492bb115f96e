// Budgets and rate limits per API key, enforced by every replica against shared counters in
// PostgreSQL (key_usage: one row per key and minute/day/month window). Nothing waits for the
// database on the request path: each replica counts locally, and every SYNC_MS adds its counts to
// the shared rows (one statement) and reads back the totals of all replicas. A request is admitted
// when shared totals + this replica's unsynced counts + its requests in flight (at their expected
// cost) stay under every limit, so a replica overshoots a budget by at most the request in flight.
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

interface KeyState {
  shared: Record<Kind, Counts & { start: number }>;
  local: Record<Kind, Counts & { start: number }>;
  /** Counts sent to the database whose totals have not been read back yet. */
  transit: Record<Kind, Counts & { start: number }>;
  inFlight: number;
  /** Mean cost of this key's requests so far (expected cost of one in flight). */
  meanCost: number;
  costSamples: number;
}

const KINDS: Kind[] = ['minute', 'day', 'month'];
/** Within this many requests' cost of a budget, each admission reserves its cost in the database. */
const STRICT_MARGIN_REQUESTS = 20;

/** A request's expected cost held in key_usage.reserved_usd until its real cost replaces it. */
export interface Reservation {
  keyId: string;
  amount: number;
  windows: { kind: 'day' | 'month'; start: number }[];
  settled: boolean;
}

export class KeyLimiter {
  private readonly states = new Map<string, KeyState>();
  private timer: NodeJS.Timeout | undefined;
  private syncing = false;

  constructor(
    private readonly db: pg.Pool,
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
      const fresh = () =>
        Object.fromEntries(KINDS.map((k) => [k, { ...zero(), start: windowStart(k, now) }])) as KeyState['shared'];
      state = { shared: fresh(), local: fresh(), transit: fresh(), inFlight: 0, meanCost: 0, costSamples: 0 };
      this.states.set(keyId, state);
    }
    for (const kind of KINDS) {
      const start = windowStart(kind, now);
      if (state.shared[kind].start !== start) state.shared[kind] = { ...zero(), start };
      // Unsynced counts of a past window are still sent (to their own window) by the next sync.
    }
    return state;
  }

  private used(state: KeyState, kind: Kind): Counts {
    const shared = state.shared[kind];
    const local = state.local[kind].start === shared.start ? state.local[kind] : zero();
    const transit = state.transit[kind].start === shared.start ? state.transit[kind] : zero();
    return {
      requests: shared.requests + local.requests + transit.requests,
      tokens: shared.tokens + local.tokens + transit.tokens,
      cost: shared.cost + local.cost + transit.cost,
    };
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
    for (const kind of KINDS) this.local(state, kind).requests++;
    state.inFlight++;
    if (!strict) return undefined;
    return this.reserve(key, state, Math.max(state.meanCost, 1e-9)).then((result) => {
      if ('code' in result) {
        for (const kind of KINDS) this.local(state, kind).requests--;
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
    const windows: Reservation['windows'] = [];
    if (key.budget_usd_day !== null) windows.push({ kind: 'day', start: windowStart('day', now) });
    if (key.budget_usd_month !== null) windows.push({ kind: 'month', start: windowStart('month', now) });
    // Database unreachable: admit on this replica's own counts (the budget check in admit passed).
    // Nothing is reserved, but the request still settles: its cost must count locally, or a key
    // would spend without limit for as long as the database is down.
    const unreserved = (): Reservation => ({ keyId: key.id, amount: 0, windows: [], settled: false });
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
        const budget = window.kind === 'day' ? key.budget_usd_day! : key.budget_usd_month!;
        await client.query(
          `INSERT INTO key_usage (key_id, window_kind, window_start) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
          [key.id, window.kind, window.start],
        );
        // This replica's unsynced spend counts too.
        const unsynced = state.local[window.kind].cost + state.transit[window.kind].cost;
        const { rows } = await client.query<{ cost_usd: number }>(
          `UPDATE key_usage SET reserved_usd = reserved_usd + $4
           WHERE key_id = $1 AND window_kind = $2 AND window_start = $3 AND cost_usd + reserved_usd + $4 + $5 <= $6
           RETURNING cost_usd`,
          [key.id, window.kind, window.start, amount, unsynced, budget],
        );
        if (rows.length === 0) {
          await client.query('ROLLBACK');
          return this.overBudget(key, window.kind, this.used(state, window.kind).cost);
        }
      }
      await client.query('COMMIT');
      return { keyId: key.id, amount, windows, settled: false };
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

  /** The reserved request was recorded: its real cost replaces the reservation, in one statement. */
  settle(reservation: Reservation, tokens: number, cost: number): void {
    if (reservation.settled) return;
    reservation.settled = true;
    const state = this.state(reservation.keyId);
    this.local(state, 'minute').tokens += tokens;
    state.costSamples++;
    state.meanCost += (cost - state.meanCost) / state.costSamples;
    // Only the windows with a budget hold a reservation; the others (a key with a day budget and no
    // month budget still has a month's spend) are counted locally like any unreserved request.
    const countLocally = (kinds: readonly ('day' | 'month')[]): void => {
      for (const kind of kinds) {
        this.local(state, kind).tokens += tokens;
        this.local(state, kind).cost += cost;
      }
    };
    const reserved = reservation.windows.map((w) => w.kind);
    countLocally((['day', 'month'] as const).filter((kind) => !reserved.includes(kind)));
    // The windows the database did not take (it went down between two of them) count locally, so
    // the next sync adds them; a window already written must not be counted again.
    void this.adjust(reservation, tokens, cost).then(countLocally);
  }

  /** The reserved request ended without a record (refused upstream, cancelled): give the reservation back. */
  release(reservation: Reservation): void {
    if (reservation.settled) return;
    reservation.settled = true;
    void this.adjust(reservation, 0, 0);
  }

  /**
   * Replaces the reservation by the real cost in each reserved window, one statement per window;
   * never rejects. Returns the windows not written (from the first that failed on), which the
   * caller counts locally.
   */
  private async adjust(reservation: Reservation, tokens: number, cost: number): Promise<('day' | 'month')[]> {
    const unwritten = reservation.windows.map((w) => w.kind);
    for (const window of reservation.windows) {
      try {
        await this.db.query(
          `UPDATE key_usage SET reserved_usd = GREATEST(0, reserved_usd - $4), cost_usd = cost_usd + $5, tokens = tokens + $6
           WHERE key_id = $1 AND window_kind = $2 AND window_start = $3`,
          [reservation.keyId, window.kind, window.start, reservation.amount, cost, tokens],
        );
      } catch {
        return unwritten;
      }
      unwritten.shift();
    }
    return unwritten;
  }

  private local(state: KeyState, kind: Kind): Counts & { start: number } {
    const start = windowStart(kind, this.now());
    if (state.local[kind].start !== start && state.local[kind].requests + state.local[kind].cost === 0) {
      state.local[kind] = { ...zero(), start };
    }
    return state.local[kind];
  }

  /** A request of this key finished and was recorded with these tokens and cost. */
  recorded(keyId: string, tokens: number, cost: number): void {
    const state = this.state(keyId);
    for (const kind of KINDS) {
      const local = this.local(state, kind);
      local.tokens += tokens;
      local.cost += cost;
    }
    state.costSamples++;
    state.meanCost += (cost - state.meanCost) / state.costSamples;
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

  /** Adds local counts to the shared rows and reads back every replica's totals. */
  async sync(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    const sent: { state: KeyState; kind: Kind; counts: Counts & { start: number } }[] = [];
    try {
      const rows: unknown[] = [];
      for (const [keyId, state] of this.states) {
        for (const kind of KINDS) {
          const counts = state.local[kind];
          if (counts.requests === 0 && counts.tokens === 0 && counts.cost === 0) continue;
          rows.push(keyId, kind, counts.start, counts.requests, counts.tokens, counts.cost);
          sent.push({ state, kind, counts: { ...counts } });
          state.transit[kind] = { ...counts };
          state.local[kind] = { ...zero(), start: windowStart(kind, this.now()) };
        }
      }
      if (rows.length > 0) {
        const values = sent.map(
          (_, i) => `($${i * 6 + 1}, $${i * 6 + 2}, $${i * 6 + 3}, $${i * 6 + 4}, $${i * 6 + 5}, $${i * 6 + 6})`,
        );
        await this.db.query(
          `INSERT INTO key_usage AS k (key_id, window_kind, window_start, requests, tokens, cost_usd) VALUES ${values.join(', ')}
           ON CONFLICT (key_id, window_kind, window_start) DO UPDATE SET requests = k.requests + excluded.requests,
             tokens = k.tokens + excluded.tokens, cost_usd = k.cost_usd + excluded.cost_usd`,
          rows,
        );
      }
      const now = this.now();
      const { rows: totals } = await this.db.query<{
        key_id: string;
        window_kind: Kind;
        window_start: string;
        requests: string;
        tokens: string;
        cost_usd: number;
      }>(
        `SELECT key_id, window_kind, window_start, requests, tokens, cost_usd FROM key_usage
         WHERE (window_kind = 'minute' AND window_start = $1) OR (window_kind = 'day' AND window_start = $2)
           OR (window_kind = 'month' AND window_start = $3)`,
        [windowStart('minute', now), windowStart('day', now), windowStart('month', now)],
      );
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
      // The totals read back include what was sent.
      for (const { state, kind } of sent) state.transit[kind] = { ...zero(), start: state.transit[kind].start };
    } catch {
      // Database unreachable: put the unsent counts back; limits hold on this replica's own counts.
      for (const { state, kind, counts } of sent) {
        state.transit[kind] = { ...zero(), start: counts.start };
        const local = state.local[kind];
        local.requests += counts.requests;
        local.tokens += counts.tokens;
        local.cost += counts.cost;
      }
    } finally {
      this.syncing = false;
    }
  }
}
