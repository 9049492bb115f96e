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
  // v9: admin keys. A user's key sees only that user's requests, ratings, traces and usage; an admin
  // key (`keys create --admin`) sees and changes everyone's, as server.token does. Keys made before
  // are users' keys, whatever their name (a key named "admin" included): nobody gains access by upgrading.
  `ALTER TABLE api_keys ADD COLUMN admin BOOLEAN NOT NULL DEFAULT false;`,
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
