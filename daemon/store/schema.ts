// The store's schema and its migrations. MIGRATIONS[i] moves a database from schema version i to
// i + 1; the version lives in meta.schema_version. Never edit a shipped migration: append one.
import type { Database } from './sqljs';

export type Migration = (db: Database) => void;

const HOUR_OF = (column: string) => `CAST(${column} / 3600000 AS INTEGER) * 3600000`;

/** Trigger body adding request `row` (NEW or OLD) to its usage_hourly bucket. */
function addUsage(row: 'NEW' | 'OLD'): string {
  return `INSERT INTO usage_hourly VALUES (
      ${HOUR_OF(`${row}.created_at`)}, COALESCE(${row}.answered_by, ${row}.model), ${row}.strategy, 1,
      ${row}.status = 'error', COALESCE(${row}.prompt_tokens, 0), COALESCE(${row}.completion_tokens, 0),
      ${row}.cost_usd, ${row}.latency_ms, ${row}.routing_latency_ms)
    ON CONFLICT (hour, model, strategy) DO UPDATE SET
      requests = requests + 1, errors = errors + excluded.errors,
      prompt_tokens = prompt_tokens + excluded.prompt_tokens,
      completion_tokens = completion_tokens + excluded.completion_tokens,
      cost_usd = cost_usd + excluded.cost_usd, latency_sum = latency_sum + excluded.latency_sum,
      routing_latency_sum = routing_latency_sum + excluded.routing_latency_sum;`;
}

/** Trigger body taking request `row` back out of its bucket (an update or a delete). */
function removeUsage(row: 'NEW' | 'OLD'): string {
  return `UPDATE usage_hourly SET
      requests = requests - 1, errors = errors - (${row}.status = 'error'),
      prompt_tokens = prompt_tokens - COALESCE(${row}.prompt_tokens, 0),
      completion_tokens = completion_tokens - COALESCE(${row}.completion_tokens, 0),
      cost_usd = cost_usd - ${row}.cost_usd, latency_sum = latency_sum - ${row}.latency_ms,
      routing_latency_sum = routing_latency_sum - ${row}.routing_latency_ms
    WHERE hour = ${HOUR_OF(`${row}.created_at`)} AND model = COALESCE(${row}.answered_by, ${row}.model)
      AND strategy = ${row}.strategy;
    DELETE FROM usage_hourly WHERE requests <= 0 AND hour = ${HOUR_OF(`${row}.created_at`)};`;
}

export const MIGRATIONS: readonly Migration[] = [
  // v1: one row per request: plain columns for what lists and aggregates read, and the whole
  // RequestRecord (messages, params, response, attempts, steps) as UTF-8 JSON in record_json.
  // JSON goes in BLOBs because sql.js encodes TEXT parameters to UTF-8 in a JavaScript loop
  // (~10 µs per KB) while a Uint8Array is one memory copy. Plus feedback, outcomes (the learner's
  // training rows) and meta.
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE requests (
        request_id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        source TEXT NOT NULL,
        requested_model TEXT NOT NULL,
        prompt_preview TEXT NOT NULL,
        decision_json BLOB NOT NULL,
        model TEXT NOT NULL,
        strategy TEXT NOT NULL,
        confidence REAL NOT NULL,
        routing_latency_ms REAL NOT NULL,
        status TEXT NOT NULL,
        answered_by TEXT,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        total_tokens INTEGER,
        cost_usd REAL NOT NULL,
        latency_ms REAL NOT NULL,
        record_json BLOB NOT NULL
      );
      CREATE INDEX requests_created_at ON requests(created_at);
      CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        request_id TEXT NOT NULL REFERENCES requests(request_id),
        rating REAL NOT NULL,
        source TEXT NOT NULL,
        weight REAL NOT NULL,
        created_at INTEGER NOT NULL,
        comment TEXT
      );
      CREATE TABLE outcomes (
        id INTEGER PRIMARY KEY,
        prompt TEXT NOT NULL,
        model TEXT NOT NULL,
        score REAL NOT NULL,
        weight REAL NOT NULL,
        source TEXT NOT NULL,
        request_id TEXT,
        created_at INTEGER NOT NULL
      );
    `);
  },
  // v2: what the dashboard reads on every refresh. The latest user rating is kept on the request
  // row (the decisions table and rankings read it without a join), the request's capabilities
  // feed per-capability rankings, feedback is indexed by request, and a covering index holds every
  // column the aggregates read, so stats() scans ~70 bytes per request instead of whole rows.
  (db) => {
    db.exec(`
      ALTER TABLE requests ADD COLUMN rating REAL;
      ALTER TABLE requests ADD COLUMN capabilities TEXT;
      CREATE INDEX feedback_request ON feedback(request_id, created_at);
      DROP INDEX requests_created_at;
      CREATE INDEX requests_aggregates ON requests(
        created_at, status, model, answered_by, strategy, prompt_tokens, completion_tokens, cost_usd,
        routing_latency_ms, latency_ms, rating, capabilities
      );
      -- Usage per (hour, model, strategy), kept by triggers, so stats() and hourly charts sum a
      -- few hundred rows instead of every request. The model is the one that answered, else the
      -- routed one (the same key stats() reports).
      CREATE TABLE usage_hourly (
        hour INTEGER NOT NULL,
        model TEXT NOT NULL,
        strategy TEXT NOT NULL,
        requests INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        latency_sum REAL NOT NULL,
        routing_latency_sum REAL NOT NULL,
        PRIMARY KEY (hour, model, strategy)
      ) WITHOUT ROWID;
      CREATE TRIGGER requests_usage_insert AFTER INSERT ON requests BEGIN
        ${addUsage('NEW')}
      END;
      CREATE TRIGGER requests_usage_delete AFTER DELETE ON requests BEGIN
        ${removeUsage('OLD')}
      END;
      CREATE TRIGGER requests_usage_update AFTER UPDATE OF
        created_at, answered_by, model, strategy, status, prompt_tokens, completion_tokens, cost_usd, latency_ms,
        routing_latency_ms ON requests BEGIN
        ${removeUsage('OLD')}
        ${addUsage('NEW')}
      END;
      INSERT INTO usage_hourly
        SELECT ${HOUR_OF('created_at')}, COALESCE(answered_by, model), strategy, COUNT(*), SUM(status = 'error'),
          COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), SUM(cost_usd), SUM(latency_ms),
          SUM(routing_latency_ms)
        FROM requests GROUP BY 1, 2, 3;
      UPDATE requests SET rating = (
        SELECT f.rating FROM feedback f
        WHERE f.request_id = requests.request_id AND f.source IN ('explicit', 'thumbs')
        ORDER BY f.created_at DESC, f.id DESC LIMIT 1
      );
    `);
  },
  // v3: the prompt-cache split of a request's prompt tokens (read from the upstream's cache, written
  // to it, of those written with the 1-hour lifetime), as Usage.prompt_tokens_details has it. NULL:
  // not reported. Records that already held it in their JSON (priced with it) get it back.
  addCacheSplit,
  // v4: an outcome imported from a file (`fugusashi import`, POST /v1/routing/training) keeps the
  // key of its source row, so importing the same file again skips it instead of counting it twice.
  // NULL for outcomes from ratings and for every outcome stored before. It checks for its own
  // column: a development build of this step once ran as v3, so such a store never ran the v3
  // above, whose columns are added here when missing (else every request record would fail).
  (db) => {
    if (!columnsOf(db, 'outcomes').includes('import_key')) db.exec('ALTER TABLE outcomes ADD COLUMN import_key TEXT');
    db.exec('CREATE UNIQUE INDEX IF NOT EXISTS outcomes_import_key ON outcomes(import_key)');
    if (!columnsOf(db, 'requests').includes('cached_tokens')) addCacheSplit(db);
  },
  // v5: outcomes by request. A new rating replaces the request's earlier judgements
  // (records.applyRetract deletes its outcomes by request_id), which scanned every outcome: at
  // 100k outcomes each re-rating cost a full table scan on the event loop. Partial: imported and
  // copied outcomes have no request.
  (db) => {
    db.exec('CREATE INDEX IF NOT EXISTS outcomes_request ON outcomes(request_id) WHERE request_id IS NOT NULL');
  },
  // v6: outcomes by source, covering what rankings() reads of imported 0.3.0 ratings on every
  // dashboard refresh (a scan of every outcome without it).
  (db) => {
    db.exec('CREATE INDEX IF NOT EXISTS outcomes_source ON outcomes(source, model, score)');
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

function columnsOf(db: Database, table: string): unknown[] {
  return db.exec(`PRAGMA table_info(${table})`)[0]?.values.map((row) => row[1]) ?? [];
}

/** Schema v3's step (see MIGRATIONS). */
function addCacheSplit(db: Database): void {
  const detail = (name: string) => `json_extract(CAST(record_json AS TEXT), '$.usage.prompt_tokens_details.${name}')`;
  db.exec(`
    ALTER TABLE requests ADD COLUMN cached_tokens INTEGER;
    ALTER TABLE requests ADD COLUMN cache_creation_tokens INTEGER;
    ALTER TABLE requests ADD COLUMN cache_creation_1h_tokens INTEGER;
    UPDATE requests SET cached_tokens = ${detail('cached_tokens')},
      cache_creation_tokens = ${detail('cache_creation_tokens')},
      cache_creation_1h_tokens = ${detail('cache_creation_1h_tokens')}
    WHERE CAST(record_json AS TEXT) LIKE '%"prompt_tokens_details"%';
  `);
}

export const HOUR_MS = 3_600_000;

/** Feedback sources that are a user's own rating (shown in the decisions table and rankings). */
export const USER_RATING_SOURCES = ['explicit', 'thumbs'] as const;

export function readMeta(db: Database, key: string): string | undefined {
  const hasMeta = db.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
  if (hasMeta.length === 0) return undefined;
  const result = db.exec('SELECT value FROM meta WHERE key = ?', [key]);
  const value = result[0]?.values[0]?.[0];
  return value === undefined || value === null ? undefined : String(value);
}

export function writeMeta(db: Database, key: string, value: string): void {
  db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [
    key,
    value,
  ]);
}

/**
 * Brings `db` to `target` (default: the latest version), one transaction per step so a failure
 * leaves the last completed version. Returns the version found before migrating.
 */
export function migrate(db: Database, target = SCHEMA_VERSION, migrations = MIGRATIONS): number {
  const found = Number(readMeta(db, 'schema_version') ?? 0);
  if (found > migrations.length) {
    throw new Error(
      `store.db has schema version ${found}, newer than this Fugusashi understands (${migrations.length}); ` +
        'upgrade Fugusashi or use another data directory',
    );
  }
  for (let version = found; version < target; version++) {
    const step = migrations[version];
    if (!step) break;
    db.exec('BEGIN');
    try {
      step(db);
      writeMeta(db, 'schema_version', String(version + 1));
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw new Error(`store migration to schema version ${version + 1} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  return found;
}
