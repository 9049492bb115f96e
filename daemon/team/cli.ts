// `fugusashi keys create|list|revoke` and `fugusashi store copy`: team mode's command line.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import pg from 'pg';
import type { FeedbackRecord } from '../../shared/api';
import type { NewOutcome, Outcome, RequestRecord } from '../core/ports';
import { openStore } from '../store';
import { importKeyOfOpKey, openPostgresStore, redactUrl } from '../store/postgres';
import { migrate } from '../store/postgres/schema';
import { storableText } from '../store/postgres/storable';
import { createKey, listKeys, revokeKey, type KeyLimits } from './keys';
import { DATABASE_URL_ENV } from './store';
import { windowStart } from './limits';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const HELP = {
  keys: `Usage: fugusashi keys create --name NAME [--admin] [--budget-day USD] [--budget-month USD] [--rpm N] [--tpm N]
       fugusashi keys list
       fugusashi keys revoke ID|NAME
Options: --database URL (else $${DATABASE_URL_ENV}, else store.url of --config FILE)

Per-user API keys of team mode, stored hashed in PostgreSQL: the secret is printed once by
"create". Once a key exists, every request to every daemon on the database needs a live key (or
server.token). Budgets are US dollars per UTC day/month; --rpm/--tpm are requests/tokens per minute.
A key sees its user's (its name's) requests, ratings, traces and usage only; --admin makes a key that
sees and changes everyone's (the whole export, retrain, every key's usage), as server.token does.`,
  store: `Usage: fugusashi store copy --from DIR|URL --to URL|DIR

Copies every request, rating and outcome from an embedded store (a data directory; its daemon must
be stopped) into PostgreSQL, or back into an empty data directory. Copying into PostgreSQL twice
stores nothing twice (requests, ratings and outcomes are each kept once).`,
};

class UsageError extends Error {}

/** `switches`: options without a value (`--admin`), given as "true". */
function flags(
  argv: readonly string[],
  valued: readonly string[],
  switches: readonly string[] = [],
): { values: Record<string, string>; rest: string[] } {
  const values: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (switches.includes(name) && eq === -1) {
      values[name] = 'true';
      continue;
    }
    if (!valued.includes(name)) throw new UsageError(`unknown option ${arg}`);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    values[name] = value;
  }
  return { values, rest };
}

function positiveNumber(values: Record<string, string>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a number > 0, got "${raw}"`);
  return n;
}

function databaseFrom(values: Record<string, string>): string {
  if (values['database']) return values['database'];
  const env = process.env[DATABASE_URL_ENV];
  if (env) return env;
  if (values['config']) {
    const doc = parse(readFileSync(values['config'], 'utf8')) as { store?: { url?: string } } | null;
    if (doc?.store?.url) return doc.store.url;
  }
  throw new UsageError(`no team database: give --database URL, set ${DATABASE_URL_ENV}, or --config with store.url`);
}

async function withDatabase<T>(url: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5000 });
  try {
    const client = await pool.connect();
    try {
      await migrate(client);
      return await work(client);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}

const usd = (n: number | null) => (n === null ? '-' : `$${n}`);

export async function teamCommand(command: 'keys' | 'store', argv: readonly string[], io: Io): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
    io.out(`${HELP[command]}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  try {
    return command === 'keys' ? await keys(argv, io) : await store(argv, io);
  } catch (err) {
    io.err(`fugusashi ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

async function keys(argv: readonly string[], io: Io): Promise<number> {
  const { values, rest } = flags(
    argv,
    ['database', 'config', 'name', 'budget-day', 'budget-month', 'rpm', 'tpm'],
    ['admin'],
  );
  const [action, target] = rest;
  const url = databaseFrom(values);
  switch (action) {
    case 'create': {
      if (!values['name']) throw new UsageError('keys create needs --name NAME');
      const limits: Partial<KeyLimits> = {};
      const day = positiveNumber(values, 'budget-day');
      const month = positiveNumber(values, 'budget-month');
      const rpm = positiveNumber(values, 'rpm');
      const tpm = positiveNumber(values, 'tpm');
      if (day !== undefined) limits.budget_usd_day = day;
      if (month !== undefined) limits.budget_usd_month = month;
      if (rpm !== undefined) limits.requests_per_minute = Math.round(rpm);
      if (tpm !== undefined) limits.tokens_per_minute = Math.round(tpm);
      const admin = values['admin'] === 'true';
      const { key, secret } = await withDatabase(url, (db) => createKey(db, values['name']!, limits, { admin }));
      io.out(`${secret}\n`);
      io.err(
        `created ${admin ? 'admin ' : ''}key ${key.id} "${key.name}": the secret above is shown only once` +
          (admin ? " (it sees and changes every user's data)" : '') +
          '\n',
      );
      return 0;
    }
    case 'list': {
      const now = Date.now();
      const { list, spend } = await withDatabase(url, async (db) => {
        const list = await listKeys(db);
        const { rows } = await db.query<{ key_id: string; window_kind: string; requests: string; cost_usd: number }>(
          `SELECT key_id, window_kind, requests, cost_usd FROM key_usage
           WHERE (window_kind = 'day' AND window_start = $1) OR (window_kind = 'month' AND window_start = $2)`,
          [windowStart('day', now), windowStart('month', now)],
        );
        return { list, spend: rows };
      });
      const cost = (id: string, kind: string) =>
        spend.find((r) => r.key_id === id && r.window_kind === kind)?.cost_usd ?? 0;
      io.out(
        'id            name                 prefix    status   today      month      budget/day budget/month rpm    tpm\n',
      );
      for (const k of list) {
        io.out(
          `${k.id.padEnd(13)} ${k.name.padEnd(20)} ${k.prefix.padEnd(9)} ${(k.revoked_at ? 'revoked' : k.admin ? 'admin' : 'live').padEnd(8)} ` +
            `${`$${cost(k.id, 'day').toFixed(4)}`.padEnd(10)} ${`$${cost(k.id, 'month').toFixed(4)}`.padEnd(10)} ` +
            `${usd(k.budget_usd_day).padEnd(10)} ${usd(k.budget_usd_month).padEnd(12)} ` +
            `${String(k.requests_per_minute ?? '-').padEnd(6)} ${String(k.tokens_per_minute ?? '-')}\n`,
        );
      }
      // Databases from before one-live-key-per-name was enforced may hold several (none was revoked
      // by the upgrade): say so, since revoking by name revokes them all.
      const firstLive = new Map<string, string>();
      for (const k of list) {
        if (k.revoked_at !== null) continue;
        const first = firstLive.get(k.name);
        if (first === undefined) firstLive.set(k.name, k.id);
        else
          io.err(
            `warning: key ${k.id} shares the name "${k.name}" with the older live key ${first}; ` +
              `revoke one of them by id (fugusashi keys revoke ID)\n`,
          );
      }
      return 0;
    }
    case 'revoke': {
      if (!target) throw new UsageError('keys revoke needs a key id or name');
      const revoked = await withDatabase(url, (db) => revokeKey(db, target));
      if (!revoked) {
        io.err(`no live key with id or name "${target}"\n`);
        return 1;
      }
      io.err(`revoked ${target}: every daemon refuses it within a second\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown keys action "${action ?? ''}" (create, list, revoke)`);
  }
}

const isUrl = (s: string) => /^postgres(ql)?:\/\//.test(s);

async function store(argv: readonly string[], io: Io): Promise<number> {
  const { values, rest } = flags(argv, ['from', 'to']);
  if (rest[0] !== 'copy' || !values['from'] || !values['to']) throw new UsageError(HELP.store);
  const from = values['from'];
  const to = values['to'];
  if (isUrl(from) === isUrl(to)) throw new UsageError('copy goes from a data directory to a postgres:// URL, or back');
  const counts = isUrl(to)
    ? await copyToPostgres(path.resolve(from), to)
    : await copyFromPostgres(from, path.resolve(to));
  // A copy run again (interrupted, or to be sure) stores nothing twice: say how much was already
  // there, rather than "copied 3 requests" for rows that were not written.
  const there = counts.already;
  const already =
    there && there.requests + there.feedback + there.outcomes > 0
      ? ` (already there, not copied again: ${there.requests} requests, ${there.feedback} feedback, ${there.outcomes} outcomes)`
      : '';
  const refused = counts.refusedOutcomes
    ? `; ${counts.refusedOutcomes} outcomes refused by PostgreSQL, not copied`
    : '';
  io.err(
    `copied ${counts.requests} requests, ${counts.feedback} feedback, ${counts.outcomes} outcomes ` +
      `from ${isUrl(from) ? redactUrl(from) : from} to ${isUrl(to) ? redactUrl(to) : to}${already}${refused}\n`,
  );
  return counts.refusedOutcomes ? 1 : 0;
}

interface CopyCounts {
  requests: number;
  feedback: number;
  outcomes: number;
  /** Rows the target held already (a copy run again), left as they are and not counted above. */
  already?: { requests: number; feedback: number; outcomes: number };
  /** Outcomes handed to PostgreSQL that it did not store (refused for their data). */
  refusedOutcomes?: number;
}

/** Rows are checked against the target and written in chunks of this many. */
const COPY_CHUNK = 500;

/**
 * Keys that name copied rows by their content: the same history copied twice gets the same keys
 * (so PostgreSQL stores each row once), and identical rows within one history stay apart by their
 * occurrence (the 2nd identical training row is `…:1`).
 */
function contentKeys(kind: string): (content: unknown) => string {
  const seen = new Map<string, number>();
  return (content) => {
    const digest = createHash('sha256').update(JSON.stringify(content)).digest('hex');
    const n = seen.get(digest) ?? 0;
    seen.set(digest, n + 1);
    return `copy:${kind}:${digest}:${n}`;
  };
}

export async function copyToPostgres(dataDir: string, url: string): Promise<CopyCounts> {
  const source = await openStore({ dataDir, snapshotWorker: false });
  const spool = mkdtempSync(path.join(os.tmpdir(), 'fugu-copy-'));
  const already = { requests: 0, feedback: 0, outcomes: 0 };
  const counts: CopyCounts = { requests: 0, feedback: 0, outcomes: 0, already };
  try {
    const target = await openPostgresStore({ url, dataDir: spool, readTimeoutMs: 60_000 });
    try {
      // Copying twice (an interrupted copy run again, a second laptop's history) must not double
      // the ratings and outcomes the learners count: each carries a key of its content, and every
      // chunk is checked against what the database holds, so the counts say what was copied.
      // A key is held as PostgreSQL holds text (a NUL as U+FFFD: storable.ts), and looked up so.
      const present = (sql: string, keys: string[]): { has(key: string): boolean } => {
        const held = new Set(target.select(sql, [keys as never]).map((row) => String(row.k)));
        return { has: (key) => held.has(storableText(key)) };
      };
      const requests = chunked<RequestRecord>((chunk) => {
        const there = present(
          'SELECT request_id AS k FROM requests WHERE request_id = ANY(?::text[])',
          chunk.map((r) => r.request_id),
        );
        for (const record of chunk) {
          if (there.has(record.request_id)) already.requests++;
          else {
            target.saveRequest(record);
            counts.requests++;
          }
        }
      });
      // Rows a daemon wrote in team mode have no content key (a random one, or none): a history
      // copied out of the database and back was recognised only for its imports, and every rating
      // and its outcome were stored twice. So a row is also there when the database holds one like
      // it for the same request (each such row answers for one copied row).
      const sameRows = (
        sql: string,
        requestIds: (string | null)[],
        identity: (row: Record<string, unknown>) => string,
      ): Map<string, number> => {
        const ids = [...new Set(requestIds.filter((id): id is string => id !== null))];
        const counts = new Map<string, number>();
        if (ids.length === 0) return counts;
        for (const row of target.select(sql, [ids as never])) {
          const key = identity(row);
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        return counts;
      };
      const takeSame = (counts: Map<string, number>, key: string): boolean => {
        const n = counts.get(key) ?? 0;
        if (n === 0) return false;
        counts.set(key, n - 1);
        return true;
      };
      const feedbackIdentity = (f: Pick<FeedbackRecord, 'request_id' | 'rating' | 'source' | 'created_at'>) =>
        JSON.stringify([
          storableText(String(f.request_id)),
          Number(f.rating),
          f.source,
          Math.round(Number(f.created_at)),
        ]);
      const feedback = chunked<{ feedback: FeedbackRecord; key: string }>((chunk) => {
        const there = present(
          'SELECT op_key AS k FROM feedback WHERE op_key = ANY(?::text[])',
          chunk.map((f) => f.key),
        );
        const same = sameRows(
          'SELECT request_id, rating, source, created_at FROM feedback WHERE request_id = ANY(?::text[])',
          chunk.map((f) => f.feedback.request_id),
          (row) => feedbackIdentity(row as unknown as FeedbackRecord),
        );
        for (const { feedback: f, key } of chunk) {
          if (there.has(key) || takeSame(same, feedbackIdentity(f))) already.feedback++;
          else {
            target.importFeedback(f, key);
            counts.feedback++;
          }
        }
      });
      const feedbackKey = contentKeys('feedback');
      source.dump((item) => {
        if ('request' in item) requests.add(item.request);
        else {
          requests.flush(); // a rating goes in after its request
          const f = item.feedback;
          const content = [f.request_id, f.rating, f.source, f.weight, f.created_at, f.comment ?? null];
          feedback.add({ feedback: f, key: feedbackKey(content) });
        }
      });
      requests.flush();
      feedback.flush();
      const outcomeKey = contentKeys('outcome');
      // An imported outcome keeps its import key as its op_key, so the file it came from, imported
      // again into team mode, is recognised there too.
      const importKeys = source.importKeysById();
      const outcomes = source.listOutcomes().map(({ id, ...outcome }) => ({
        outcome,
        opKey:
          importKeys.get(id) ??
          outcomeKey([
            outcome.prompt,
            outcome.model,
            outcome.score,
            outcome.weight,
            outcome.source,
            outcome.request_id,
            outcome.created_at,
          ]),
      }));
      for (let i = 0; i < outcomes.length; i += COPY_CHUNK) {
        const chunk = outcomes.slice(i, i + COPY_CHUNK);
        const there = present(
          'SELECT op_key AS k FROM outcomes WHERE op_key = ANY(?::text[])',
          chunk.map((o) => o.opKey),
        );
        const same = sameRows(
          'SELECT request_id, model, source, score, created_at FROM outcomes WHERE request_id = ANY(?::text[])',
          chunk.map((o) => o.outcome.request_id),
          (row) => outcomeIdentity(row as unknown as CopiedOutcome),
        );
        const fresh = chunk.filter(
          (o) => !there.has(o.opKey) && !(o.outcome.request_id !== null && takeSame(same, outcomeIdentity(o.outcome))),
        );
        already.outcomes += chunk.length - fresh.length;
        if (fresh.length === 0) continue;
        target.importOutcomes(fresh);
        // Counted as stored once PostgreSQL holds them (this read writes them first), not as
        // handed over: a row the database refused is not "copied".
        const stored = present(
          'SELECT op_key AS k FROM outcomes WHERE op_key = ANY(?::text[])',
          fresh.map((o) => o.opKey),
        );
        const storedCount = fresh.filter((o) => stored.has(o.opKey)).length;
        counts.outcomes += storedCount;
        counts.refusedOutcomes = (counts.refusedOutcomes ?? 0) + fresh.length - storedCount;
      }
    } finally {
      target.close(120_000);
      await target.closeAsync();
    }
  } finally {
    source.close();
    rmSync(spool, { recursive: true, force: true });
  }
  return counts;
}

type CopiedOutcome = Pick<Outcome, 'request_id' | 'model' | 'source' | 'score' | 'created_at'>;

/** What makes two outcomes of one request the same row, as copyToPostgres compares them. */
function outcomeIdentity(o: CopiedOutcome): string {
  return JSON.stringify([
    storableText(String(o.request_id)),
    o.model,
    o.source,
    Number(o.score),
    Math.round(Number(o.created_at)),
  ]);
}

/** Collects items and hands them to `write` COPY_CHUNK at a time (and the rest on flush). */
function chunked<T>(write: (chunk: T[]) => void): { add(item: T): void; flush(): void } {
  let items: T[] = [];
  const flush = (): void => {
    if (items.length === 0) return;
    const chunk = items;
    items = [];
    write(chunk);
  };
  return {
    add(item) {
      items.push(item);
      if (items.length >= COPY_CHUNK) flush();
    },
    flush,
  };
}

export async function copyFromPostgres(url: string, dataDir: string): Promise<CopyCounts> {
  const target = await openStore({ dataDir, snapshotWorker: false });
  // The embedded store has no keys to tell a copied rating from one already there: into a store
  // with data, a second copy would count every rating and outcome twice.
  if (target.listDecisions({ limit: 1 }).length > 0 || target.countOutcomes() > 0) {
    target.close();
    throw new Error(`${dataDir} already holds a store with data: copy into an empty (or new) data directory`);
  }
  const counts = { requests: 0, feedback: 0, outcomes: 0 };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Pages by keyset, so a large database streams through in bounded memory.
    let after: [number, string] = [Number.MIN_SAFE_INTEGER, ''];
    for (;;) {
      const { rows } = await client.query<{ created_at: string; request_id: string; record_json: string }>(
        `SELECT created_at, request_id, record_json FROM requests WHERE (created_at, request_id) > ($1, $2)
         ORDER BY created_at, request_id LIMIT 1000`,
        after,
      );
      for (const row of rows) target.saveRequest(JSON.parse(row.record_json) as RequestRecord);
      counts.requests += rows.length;
      const last = rows[rows.length - 1];
      if (!last || rows.length < 1000) break;
      after = [Number(last.created_at), last.request_id];
    }
    const feedback = await client.query<Record<string, unknown>>(
      'SELECT request_id, rating, source, weight, created_at, comment FROM feedback ORDER BY id',
    );
    for (const row of feedback.rows) {
      const f: FeedbackRecord = {
        request_id: String(row.request_id),
        rating: Number(row.rating),
        source: String(row.source) as FeedbackRecord['source'],
        weight: Number(row.weight),
        created_at: Number(row.created_at),
      };
      if (typeof row.comment === 'string') f.comment = row.comment;
      target.addFeedback(f);
      counts.feedback++;
    }
    const outcomes = await client.query<Record<string, unknown>>(
      'SELECT prompt, model, score, weight, source, request_id, created_at, op_key FROM outcomes ORDER BY created_at, id',
    );
    // An imported outcome's key (services/import-keys.ts: "import:…", in team mode per user)
    // comes back as its import key, so the file imported again here is recognised; a copy's own
    // keys ("copy:…") stay behind. Two users who imported the same file keep both outcomes: the
    // second keeps its key with the user (a data dir holds one outcome per import key).
    // A key imported with no user is its own already (unique in PostgreSQL): the users' copies of it
    // give way to it.
    const taken = new Set<string>();
    for (const row of outcomes.rows)
      if (typeof row.op_key === 'string' && importKeyOfOpKey(row.op_key) === row.op_key) taken.add(row.op_key);
    const importKeyOf = (opKey: unknown): { import_key: string } | Record<string, never> => {
      if (typeof opKey !== 'string') return {};
      const key = importKeyOfOpKey(opKey);
      if (key === null) return {};
      if (key === opKey) return { import_key: key };
      const kept = taken.has(key) ? opKey : key;
      taken.add(kept);
      return { import_key: kept };
    };
    const rows: NewOutcome[] = outcomes.rows.map((row) => ({
      ...importKeyOf(row.op_key),
      prompt: String(row.prompt as string),
      model: String(row.model as string),
      score: Number(row.score),
      weight: Number(row.weight),
      source: String(row.source as string),
      request_id: typeof row.request_id === 'string' ? row.request_id : null,
      created_at: Number(row.created_at),
    }));
    for (let i = 0; i < rows.length; i += 1000) target.addOutcomes(rows.slice(i, i + 1000));
    counts.outcomes = rows.length;
  } finally {
    await client.end();
    target.close();
  }
  return counts;
}
