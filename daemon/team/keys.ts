// Per-user API keys of team mode, kept in PostgreSQL. Only a SHA-256 of each secret is stored: the
// secret is shown once, by `fugusashi keys create`. Daemons keep the live keys in memory (reloaded
// every second and when the CLI announces a change), so checking a key costs a hash and a lookup.
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

export interface KeyLimits {
  budget_usd_day: number | null;
  budget_usd_month: number | null;
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
}

export interface ApiKey extends KeyLimits {
  id: string;
  name: string;
  /** The first characters of the secret, to tell keys apart in lists. */
  prefix: string;
  created_at: number;
  revoked_at: number | null;
  /** Sees and changes every user's data, as server.token does; a user's key sees only its user's. */
  admin: boolean;
}

export const KEYS_CHANNEL = 'fugusashi_keys';
const KEY_PREFIX = 'fgs-';

export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function keyOf(row: Record<string, unknown>): ApiKey {
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(row.id),
    name: String(row.name),
    prefix: String(row.prefix),
    created_at: Number(row.created_at),
    revoked_at: num(row.revoked_at),
    admin: row.admin === true,
    budget_usd_day: num(row.budget_usd_day),
    budget_usd_month: num(row.budget_usd_month),
    requests_per_minute: num(row.requests_per_minute),
    tokens_per_minute: num(row.tokens_per_minute),
  };
}

const KEY_COLUMNS =
  'id, name, prefix, created_at, revoked_at, admin, budget_usd_day, budget_usd_month, requests_per_minute, tokens_per_minute';

/** Creates a key; returns it with its secret (never stored, shown once). */
export async function createKey(
  db: pg.ClientBase | pg.Pool,
  name: string,
  limits: Partial<KeyLimits> = {},
  options: { admin?: boolean } = {},
): Promise<{ key: ApiKey; secret: string }> {
  if (!name.trim()) throw new Error('a key needs a name (--name)');
  // Names are how people are told apart (`keys revoke alice`, budgets in `keys list`): a second
  // live "alice" would have her own budget, and revoking by name would revoke both. This check
  // gives the clear message; the unique index api_keys_live_name decides between concurrent creates.
  const refuseLiveName = async (): Promise<never> => {
    const { rows: live } = await db.query<{ id: string }>(
      'SELECT id FROM api_keys WHERE name = $1 AND revoked_at IS NULL ORDER BY created_at, id LIMIT 1',
      [name.trim()],
    );
    const id = live[0]?.id ?? '?';
    throw new Error(
      `a live key named "${name.trim()}" exists (id ${id}): choose another name, or revoke it first ` +
        `(fugusashi keys revoke ${id})`,
    );
  };
  const { rows: live } = await db.query('SELECT 1 FROM api_keys WHERE name = $1 AND revoked_at IS NULL', [name.trim()]);
  if (live.length > 0) await refuseLiveName();
  const id = randomBytes(6).toString('hex');
  const secret = `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
  const { rows } = await db
    .query(
      `INSERT INTO api_keys (id, name, hash, prefix, created_at, budget_usd_day, budget_usd_month, requests_per_minute,
       tokens_per_minute, admin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${KEY_COLUMNS}`,
      [
        id,
        name.trim(),
        hashKey(secret),
        secret.slice(0, KEY_PREFIX.length + 4),
        Date.now(),
        limits.budget_usd_day ?? null,
        limits.budget_usd_month ?? null,
        limits.requests_per_minute ?? null,
        limits.tokens_per_minute ?? null,
        options.admin === true,
      ],
    )
    .catch(async (err: unknown) => {
      // Another create of this name committed between the check and this insert.
      const { code, constraint } = err as { code?: string; constraint?: string };
      if (code === '23505' && constraint === 'api_keys_live_name') return refuseLiveName();
      throw err;
    });
  await db.query('SELECT pg_notify($1, $2)', [KEYS_CHANNEL, id]);
  return { key: keyOf(rows[0] as Record<string, unknown>), secret };
}

export async function listKeys(db: pg.ClientBase | pg.Pool): Promise<ApiKey[]> {
  const { rows } = await db.query(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`);
  return rows.map((row) => keyOf(row as Record<string, unknown>));
}

/**
 * Revokes the live key with this id, else the live key(s) of this name; true when one was revoked.
 * The id comes first: a name that is also another key's id used to revoke both keys at once.
 */
export async function revokeKey(db: pg.ClientBase | pg.Pool, idOrName: string): Promise<boolean> {
  const now = Date.now();
  const byId = await db.query('UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [
    idOrName,
    now,
  ]);
  const { rowCount } =
    (byId.rowCount ?? 0) > 0
      ? byId
      : await db.query('UPDATE api_keys SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL', [idOrName, now]);
  await db.query('SELECT pg_notify($1, $2)', [KEYS_CHANNEL, idOrName]);
  return (rowCount ?? 0) > 0;
}

/** The live keys by hash, kept fresh from the database. */
export class KeyCache {
  private byHash = new Map<string, ApiKey>();
  private all: ApiKey[] = [];
  private loaded = false;

  constructor(private readonly db: pg.Pool) {}

  async refresh(): Promise<void> {
    const { rows } = await this.db.query(`SELECT ${KEY_COLUMNS}, hash FROM api_keys`);
    const byHash = new Map<string, ApiKey>();
    const all: ApiKey[] = [];
    for (const row of rows as Record<string, unknown>[]) {
      const key = keyOf(row);
      all.push(key);
      if (key.revoked_at === null) byHash.set(String(row.hash), key);
    }
    this.byHash = byHash;
    this.all = all;
    this.loaded = true;
  }

  /** Team access is on once any key exists (revoked ones included: revoking the last key must not open the door). */
  get active(): boolean {
    return this.loaded && this.all.length > 0;
  }

  lookup(secret: string): ApiKey | undefined {
    return this.byHash.get(hashKey(secret));
  }

  keys(): readonly ApiKey[] {
    return this.all;
  }
}
