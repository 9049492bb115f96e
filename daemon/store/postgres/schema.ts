// The PostgreSQL schema of team mode, as versioned migrations recorded in schema_migrations.
// MIGRATIONS[i] is version i + 1. Never edit a shipped migration: append one. Every daemon runs
// `migrate` at start under an advisory lock, so replicas starting together migrate once.
import type { PoolClient } from 'pg';

/** Text columns compare bytewise (COLLATE "C"), like SQLite, so paging and ordering agree with the embedded store. */
const T = 'TEXT COLLATE "C"';

/** The usage rollup row a request adds to (sign 1) or takes out of (sign -1). */
function usageDelta(row: 'NEW' | 'OLD', sign: 1 | -1): string {
  const s = sign === 1 ? '' : '-';
  return `INSERT INTO usage_hourly AS u VALUES (
      (${row}.created_at / 3600000) * 3600000, COALESCE(${row}.answered_by, ${row}.model), ${row}.strategy,
      ${s}1, ${s}(CASE WHEN ${row}.status = 'error' THEN 1 ELSE 0 END),
      ${s}COALESCE(${row}.prompt_tokens, 0), ${s}COALESCE(${row}.completion_tokens, 0),
      ${s}${row}.cost_usd, ${s}${row}.latency_ms, ${s}${row}.routing_latency_ms)
    ON CONFLICT (hour, model, strategy) DO UPDATE SET
      requests = u.requests + excluded.requests, errors = u.errors + excluded.errors,
      prompt_tokens = u.prompt_tokens + excluded.prompt_tokens,
      completion_tokens = u.completion_tokens + excluded.completion_tokens,
      cost_usd = u.cost_usd + excluded.cost_usd, latency_sum = u.latency_sum + excluded.latency_sum,
      routing_latency_sum = u.routing_latency_sum + excluded.routing_latency_sum;`;
}

/** A request row as what it adds to its key's spend, or (taken out) takes back. */
const KEY_USAGE_ROW = `api_key_id AS key_id, created_at, 1 AS n, COALESCE(total_tokens, 0) AS tokens, cost_usd AS cost`;
const KEY_USAGE_ROW_TAKEN_OUT = `api_key_id, created_at, -1, -COALESCE(total_tokens, 0), -cost_usd`;

/**
 * Adds the rows of `source` (KEY_USAGE_ROW's columns) to their keys' day and month windows (as
 * windowStart in daemon/team/limits.ts: UTC), one upsert per (key, window), in key order.
 */
function keyUsageDelta(source: string): string {
  return `INSERT INTO key_usage AS k (key_id, window_kind, window_start, requests, tokens, cost_usd)
    SELECT d.key_id, w.kind, w.start, SUM(d.n), SUM(d.tokens), SUM(d.cost)
    FROM (${source}) d
    CROSS JOIN LATERAL (VALUES ('day', (d.created_at / 86400000) * 86400000),
                               ('month', key_usage_month(d.created_at))) AS w(kind, start)
    GROUP BY d.key_id, w.kind, w.start
    HAVING SUM(d.n) <> 0 OR SUM(d.tokens) <> 0 OR SUM(d.cost) <> 0
    ORDER BY d.key_id, w.kind, w.start
    ON CONFLICT (key_id, window_kind, window_start) DO UPDATE SET requests = k.requests + excluded.requests,
      tokens = k.tokens + excluded.tokens, cost_usd = k.cost_usd + excluded.cost_usd;`;
}

/** A request row's reservation as what storing it gives back (or, taken out, holds again). */
const RESERVATION_ROW = `api_key_id AS key_id, reserved_at AS at, reserved_usd AS amount`;
const RESERVATION_ROW_TAKEN_OUT = `api_key_id, reserved_at, -reserved_usd`;

/**
 * Gives back the reservations of `source` (RESERVATION_ROW's columns) in their day and month
 * windows. Those rows were locked by keyUsageDelta just before (the same windows but for a request
 * admitted just before midnight), so this adds no lock order of its own.
 */
function reservationsReleased(source: string): string {
  return `UPDATE key_usage k SET reserved_usd = GREATEST(0, k.reserved_usd - r.amount)
    FROM (SELECT d.key_id, w.kind, w.start, SUM(d.amount) AS amount
          FROM (${source}) d
          CROSS JOIN LATERAL (VALUES ('day', (d.at / 86400000) * 86400000),
                                     ('month', key_usage_month(d.at))) AS w(kind, start)
          WHERE d.key_id IS NOT NULL AND d.at IS NOT NULL
          GROUP BY d.key_id, w.kind, w.start HAVING SUM(d.amount) <> 0) r
    WHERE k.key_id = r.key_id AND k.window_kind = r.kind AND k.window_start = r.start;`;
}

export const MIGRATIONS: readonly string[] = [
  // v1: the embedded store's tables (schema v2 of daemon/store/schema.ts), the hourly usage rollup
  // kept by a trigger (so /v1/stats sums a few hundred rows, not millions of requests), keyset
  // indexes for the decisions pages, and idempotency keys so a replayed spool never doubles a row.
  `
  CREATE TABLE requests (
    request_id ${T} PRIMARY KEY,
    created_at BIGINT NOT NULL,
    source ${T} NOT NULL,
    requested_model ${T} NOT NULL,
    prompt_preview TEXT NOT NULL,
    decision_json TEXT NOT NULL,
    model ${T} NOT NULL,
    strategy ${T} NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    routing_latency_ms DOUBLE PRECISION NOT NULL,
    status ${T} NOT NULL,
    answered_by ${T},
    prompt_tokens BIGINT,
    completion_tokens BIGINT,
    total_tokens BIGINT,
    cost_usd DOUBLE PRECISION NOT NULL,
    latency_ms DOUBLE PRECISION NOT NULL,
    record_json TEXT NOT NULL,
    rating DOUBLE PRECISION,
    capabilities ${T},
    api_key_id ${T}
  );
  CREATE INDEX requests_page ON requests (created_at DESC, request_id DESC);
  CREATE INDEX requests_answered ON requests (answered_by) INCLUDE (cost_usd, rating, capabilities);
  CREATE TABLE feedback (
    id BIGSERIAL PRIMARY KEY,
    op_key ${T} NOT NULL UNIQUE,
    request_id ${T} NOT NULL,
    rating DOUBLE PRECISION NOT NULL,
    source ${T} NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    created_at BIGINT NOT NULL,
    comment TEXT
  );
  CREATE INDEX feedback_request ON feedback (request_id, created_at);
  CREATE TABLE outcomes (
    id BIGINT PRIMARY KEY,
    prompt TEXT NOT NULL,
    model ${T} NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    source ${T} NOT NULL,
    request_id ${T},
    created_at BIGINT NOT NULL,
    seq BIGSERIAL NOT NULL
  );
  CREATE INDEX outcomes_seq ON outcomes (seq);
  -- Outcome ids are handed out in blocks of 1,000,000 per daemon (id = block * 1e6 + n), so a
  -- replica numbers its outcomes without a round trip on the request path.
  CREATE SEQUENCE outcome_id_blocks START 1;
  CREATE TABLE usage_hourly (
    hour BIGINT NOT NULL,
    model ${T} NOT NULL,
    strategy ${T} NOT NULL,
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    prompt_tokens BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL,
    latency_sum DOUBLE PRECISION NOT NULL,
    routing_latency_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (hour, model, strategy)
  );
  CREATE FUNCTION requests_usage() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      ${usageDelta('OLD', -1)}
      DELETE FROM usage_hourly WHERE requests <= 0 AND hour = (OLD.created_at / 3600000) * 3600000;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      ${usageDelta('NEW', 1)}
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER requests_usage AFTER INSERT OR DELETE OR UPDATE OF
    created_at, answered_by, model, strategy, status, prompt_tokens, completion_tokens, cost_usd, latency_ms,
    routing_latency_ms ON requests FOR EACH ROW EXECUTE FUNCTION requests_usage();
  `,
  // v2: team access. API keys (only a SHA-256 of the secret is stored), their limits, and the
  // shared counters every replica enforces limits with (one row per key and window).
  `
  CREATE TABLE api_keys (
    id ${T} PRIMARY KEY,
    name ${T} NOT NULL,
    hash ${T} NOT NULL UNIQUE,
    prefix ${T} NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    budget_usd_day DOUBLE PRECISION,
    budget_usd_month DOUBLE PRECISION,
    requests_per_minute INTEGER,
    tokens_per_minute INTEGER
  );
  CREATE TABLE key_usage (
    key_id ${T} NOT NULL,
    window_kind ${T} NOT NULL,
    window_start BIGINT NOT NULL,
    requests BIGINT NOT NULL DEFAULT 0,
    tokens BIGINT NOT NULL DEFAULT 0,
    cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, window_kind, window_start)
  );
  CREATE INDEX requests_key ON requests (api_key_id, created_at) WHERE api_key_id IS NOT NULL;
  `,
  // v3: budget reservations. Near a key's budget, each replica reserves a request's expected cost
  // here before admitting it, so replicas cannot all spend the last dollar at once.
  `ALTER TABLE key_usage ADD COLUMN reserved_usd DOUBLE PRECISION NOT NULL DEFAULT 0;`,
  // v4: outcomes copied from another store (`fugusashi store copy`) carry a key made from their
  // content, so copying the same history twice does not make the learners count it twice.
  `ALTER TABLE outcomes ADD COLUMN op_key ${T};
  CREATE UNIQUE INDEX outcomes_op_key ON outcomes (op_key);`,
  // v5: one live key per name, kept by the database (a check then an insert let two concurrent
  // \`keys create --name alice\` both pass). A database may already hold several live keys of one
  // name: none is revoked or renamed (people use them), the oldest keeps the name in the index and
  // the newer ones are marked name_shared, left out of it; \`keys list\` reports them.
  `ALTER TABLE api_keys ADD COLUMN name_shared BOOLEAN NOT NULL DEFAULT false;
  UPDATE api_keys k SET name_shared = true WHERE k.revoked_at IS NULL AND EXISTS (
    SELECT 1 FROM api_keys o WHERE o.name = k.name AND o.revoked_at IS NULL AND (o.created_at, o.id) < (k.created_at, k.id));
  CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL AND NOT name_shared;`,
  // v6: the prompt-cache split of a request's prompt tokens (as the embedded store's v3): read from
  // the upstream's cache, written to it, of those written with the 1-hour lifetime. NULL: not
  // reported. Records that already held it in their JSON (priced with it) get it back. A record's
  // JSON text may hold what jsonb refuses ("\u0000" from a NUL in a prompt, half a surrogate pair):
  // read without those escapes (they are in strings, never in the counts), else left unknown,
  // rather than failing the migration and with it the daemon's start.
  `ALTER TABLE requests ADD COLUMN cached_tokens BIGINT, ADD COLUMN cache_creation_tokens BIGINT,
    ADD COLUMN cache_creation_1h_tokens BIGINT;
  CREATE FUNCTION pg_temp.fugusashi_cache_split(doc TEXT) RETURNS JSONB LANGUAGE plpgsql AS $$
  BEGIN
    BEGIN
      RETURN doc::jsonb #> '{usage,prompt_tokens_details}';
    EXCEPTION WHEN others THEN
      RETURN regexp_replace(doc, '\\\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})', '', 'g')::jsonb #> '{usage,prompt_tokens_details}';
    END;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END $$;
  UPDATE requests r SET
    cached_tokens = (s.split ->> 'cached_tokens')::bigint,
    cache_creation_tokens = (s.split ->> 'cache_creation_tokens')::bigint,
    cache_creation_1h_tokens = (s.split ->> 'cache_creation_1h_tokens')::bigint
  FROM (SELECT request_id, pg_temp.fugusashi_cache_split(record_json) AS split FROM requests
        WHERE record_json LIKE '%"prompt_tokens_details"%') s
  WHERE r.request_id = s.request_id AND jsonb_typeof(s.split) = 'object';
  DROP FUNCTION pg_temp.fugusashi_cache_split(TEXT);`,
  // v7: outcomes by request. A new rating replaces the request's earlier judgements (the worker
  // deletes its outcomes by request_id), which was a sequential scan of the team's whole outcome
  // table per re-rating. Partial: imported and copied outcomes have no request.
  `CREATE INDEX outcomes_request ON outcomes (request_id) WHERE request_id IS NOT NULL;`,
  // v8: outcomes a re-rating took back, so the other replicas' learners forget them too (they
  // kept learning from a replaced rating until their next start). Read like outcomes: by seq.
  `CREATE TABLE outcome_retractions (
    seq BIGSERIAL PRIMARY KEY,
    outcome_id BIGINT NOT NULL,
    request_id ${T} NOT NULL,
    created_at BIGINT NOT NULL
  );`,
  // v9: a key's day and month spend is kept from its request rows, by a trigger, as usage_hourly
  // is. The rows reach PostgreSQL through the store's durable spool (kill -9 and outages included)
  // and are upserted idempotently, so a spend is counted exactly once: a replayed row's update
  // takes its old values out and puts the same back. Before, each replica sent its counts from
  // memory, and those made while the database was down were lost when the replica restarted.
  // Minute windows (rate limits) stay with the replicas' live counts (daemon/team/limits.ts).
  // Statement-level, so one batch adds to each (key, window) once, in key order: replicas writing
  // batches of several keys at once take the rows' locks in the same order. A deleted request row
  // takes nothing back (its spend happened). And the index the replicas' 100 ms read of the
  // current windows (and the pruning of past ones) use: the primary key starts with key_id.
  // A request admitted near a budget reserved its expected cost in key_usage.reserved_usd (v3); its
  // row carries that reservation (reserved_usd, reserved_at: the admission, whose windows hold it),
  // so storing the row gives the reservation back in the same transaction that adds its cost,
  // once (a replay takes out and puts back the same), also when the row arrives from a spool after
  // a crash. Before, the replica gave it back itself, and one that died first left it held all day.
  `ALTER TABLE requests ADD COLUMN reserved_usd DOUBLE PRECISION, ADD COLUMN reserved_at BIGINT;
  CREATE FUNCTION key_usage_month(created_at BIGINT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
    SELECT (extract(epoch FROM date_trunc('month', to_timestamp(created_at / 1000.0) AT TIME ZONE 'UTC')) * 1000)::bigint
  $$;
  CREATE FUNCTION key_usage_from_new_requests() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    ${keyUsageDelta(`SELECT ${KEY_USAGE_ROW} FROM new_rows WHERE api_key_id IS NOT NULL`)}
    ${reservationsReleased(`SELECT ${RESERVATION_ROW} FROM new_rows WHERE reserved_usd > 0`)}
    RETURN NULL;
  END $$;
  CREATE FUNCTION key_usage_from_updated_requests() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    ${keyUsageDelta(`SELECT ${KEY_USAGE_ROW} FROM new_rows WHERE api_key_id IS NOT NULL
      UNION ALL SELECT ${KEY_USAGE_ROW_TAKEN_OUT} FROM old_rows WHERE api_key_id IS NOT NULL`)}
    ${reservationsReleased(`SELECT ${RESERVATION_ROW} FROM new_rows WHERE reserved_usd > 0
      UNION ALL SELECT ${RESERVATION_ROW_TAKEN_OUT} FROM old_rows WHERE reserved_usd > 0`)}
    RETURN NULL;
  END $$;
  CREATE TRIGGER key_usage_insert AFTER INSERT ON requests REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION key_usage_from_new_requests();
  CREATE TRIGGER key_usage_update AFTER UPDATE ON requests REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION key_usage_from_updated_requests();
  CREATE INDEX key_usage_window ON key_usage (window_kind, window_start);`,
  // v10: admin keys. A user's key sees only that user's requests, ratings, traces and usage; an admin
  // key (`keys create --admin`) sees and changes everyone's, as server.token does. Keys made before
  // are users' keys, whatever their name (a key named "admin" included): nobody gains access by upgrading.
  `ALTER TABLE api_keys ADD COLUMN admin BOOLEAN NOT NULL DEFAULT false;`,
  // v11: outcomes by source, covering what rankings() reads of imported 0.3.0 ratings on every
  // dashboard refresh (a scan of every outcome without it; the embedded store's v6).
  `CREATE INDEX outcomes_source ON outcomes (source, model, score);`,
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Any number to identify the migration lock among advisory locks. */
const MIGRATION_LOCK = 7_310_001;

/** Applies the missing migrations in one transaction under an advisory lock; returns the version found. */
export async function migrate(client: PoolClient): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    const found = rows[0]?.v ?? 0;
    if (found > MIGRATIONS.length) {
      throw new Error(
        `the database has schema version ${found}, newer than this Fugusashi understands (${MIGRATIONS.length}); upgrade Fugusashi`,
      );
    }
    for (let version = found + 1; version <= MIGRATIONS.length; version++) {
      await client.query(MIGRATIONS[version - 1]!);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
    }
    await client.query('COMMIT');
    return found;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
