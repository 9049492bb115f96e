// Replicas that share learning. Every outcome a daemon stores reaches the others through PostgreSQL
// (the store's worker LISTENs and fetches them) and goes straight into their learner, so a rating
// accepted by one replica changes the next decision on every replica. Refits: one replica at a time
// holds a session advisory lock and is the leader; only the leader decides to refit, and it
// announces each refit on a channel so every follower refits on the same outcomes right away
// (a refit is deterministic given the outcomes, so the replicas keep deciding alike).
import pg from 'pg';
import type { Learner, Store } from '../core/ports';
import { PostgresStore } from '../store/postgres';

const LEADER_LOCK = 7_310_002;
const REFIT_CHANNEL = 'fugusashi_refit';
const RETRY_MS = 2000;

export interface SharedLearning {
  /** The learner the services should use (refits gated by leadership); undefined without a learner. */
  learner: Learner | undefined;
  isLeader(): boolean;
  /**
   * `listener` hears how many outcomes the learner took from the store (other replicas', and
   * imports learned once their write stored them): the feedback service counts those toward
   * routing.feedback.retrain_every as it counts its own. Returns the unsubscribe function.
   */
  onStoreOutcomes(listener: (count: number) => void): () => void;
  close(): Promise<void>;
}

export function shareLearning(
  store: Store,
  learner: Learner | undefined,
  options: { url?: string | undefined; log: (line: string) => void },
): SharedLearning {
  if (!(store instanceof PostgresStore) || !options.url) {
    return { learner, isLeader: () => true, onStoreOutcomes: () => () => {}, close: async () => {} };
  }
  const log = options.log;
  const counters = new Set<(count: number) => void>();
  // The store delivers each outcome once (worker.ts): each is counted once, on every replica, so
  // whichever replica leads when the count comes round refits (a follower's retrain is a no-op).
  const stopOutcomes = store.onRemoteOutcomes((outcomes) => {
    learner?.observe(outcomes);
    for (const count of counters) count(outcomes.length);
  });
  // A rating replaced on any replica: every learner stops counting the outcomes it replaced.
  const stopRetractions = store.onRemoteRetractions((retractions) => {
    for (const r of retractions) learner?.forget?.(r.request_id, r.outcome_ids);
  });
  let leader = false;
  /**
   * A refit came due while this replica did not lead. Every replica's count comes round at the same
   * outcome, so the leader makes it and announces it (which clears this); but when the leader had
   * just lost its connection, nobody led at that moment, and whichever replica takes the lock next
   * makes it. A flag set just after an announcement costs one extra refit at the next handover.
   */
  let refitOwed = false;
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 2000, keepAlive: true });
    c.on('error', () => undefined);
    c.on('end', () => {
      if (client !== c) return;
      client = undefined;
      if (leader) log('replication: lost the database connection, no longer the refit leader');
      leader = false;
      if (!closed) retry = setTimeout(() => void connect(), RETRY_MS);
    });
    c.on('notification', (message) => {
      if (message.channel !== REFIT_CHANNEL || leader) return;
      refitOwed = false;
      void learner?.retrain().catch(() => undefined);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${REFIT_CHANNEL}`);
      client = c;
      await campaign();
    } catch {
      await c.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void connect(), RETRY_MS);
    }
  };
  const campaign = async (): Promise<void> => {
    if (closed || !client || leader) return;
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LEADER_LOCK]);
      if (rows[0]?.ok) {
        leader = true;
        log('replication: this daemon is the refit leader');
        if (refitOwed) {
          refitOwed = false;
          log('replication: making the refit that came due while no replica led');
          void shared?.retrain().catch(() => undefined);
        }
      }
    } catch {
      // the 'end' handler reconnects
    }
  };
  const poll = setInterval(() => void campaign(), RETRY_MS);
  poll.unref();
  void connect();

  const shared: Learner | undefined = learner && {
    strategy: (name) => learner.strategy(name),
    prepare: (text, waitMs) => learner.prepare(text, waitMs),
    // The fast first view of a new prompt (daemon/embeddings/first-view.ts), when the learner has one.
    ...(learner.prepareView ? { prepareView: learner.prepareView.bind(learner) } : {}),
    ...(learner.embed ? { embed: learner.embed.bind(learner) } : {}),
    ...(learner.placement ? { placement: learner.placement.bind(learner) } : {}),
    ...(learner.forget ? { forget: learner.forget.bind(learner) } : {}),
    observe: (outcomes) => learner.observe(outcomes),
    status: () => learner.status(),
    retrain: async () => {
      // Followers refit when the leader announces it, not on their own count.
      if (!leader) {
        refitOwed = true;
        return;
      }
      await learner.retrain();
      await client?.query('SELECT pg_notify($1, $2)', [REFIT_CHANNEL, String(Date.now())]).catch(() => undefined);
    },
  };
  const inner = learner as { close?: () => unknown } | undefined;
  if (shared && typeof inner?.close === 'function') (shared as { close?: unknown }).close = inner.close.bind(inner);
  return {
    learner: shared,
    isLeader: () => leader,
    onStoreOutcomes: (listener) => {
      counters.add(listener);
      return () => counters.delete(listener);
    },
    close: async () => {
      closed = true;
      clearInterval(poll);
      if (retry) clearTimeout(retry);
      stopOutcomes();
      stopRetractions();
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
