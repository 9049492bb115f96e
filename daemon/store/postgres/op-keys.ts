// An imported outcome's op_key in PostgreSQL (services/import-keys.ts names the row). In team mode a
// key is stored per user: `name:<the API key's name>:import:…` (the name `fugusashi keys create
// --name` gave the key, never its secret), so two users' identical files stay two users' judgements,
// and a user whose key is replaced (revoked, and created again under the same name) keeps their
// import history: the same file imported with the new key is recognised. A key stored with no user
// (a history `store copy` brought in, an import with the daemon's own token) is as it is, and
// everyone's.
//
// Earlier versions scoped a key by the API key's id (`user:<key id>:import:…`), so a replaced key
// started with no history and its user's re-imports were stored twice. Such keys stay as they are
// (nothing is rewritten): a key stored by any key of the same name counts as that user's
// (HELD_ELSEWHERE_SQL), for the check before an import and for the write of rows spooled while
// that check could not be made.

const KEY_ID_PREFIX = 'user:';
const USER_PREFIX = 'name:';

/** The op_key of `importKey` imported by `user` (an API key's name; null: no key). */
export function userOpKey(importKey: string, user: string | null): string {
  return user === null ? importKey : `${USER_PREFIX}${escapeUser(user)}:${importKey}`;
}

/**
 * The import key an op_key stores, without its user (userOpKey's inverse, and of the earlier
 * per-key-id form; `store copy` into a data dir, which has no users), or null when it is not an
 * import key (a copy's own "copy:…" keys).
 */
export function importKeyOfOpKey(opKey: string): string | null {
  if (opKey.startsWith('import:')) return opKey;
  const prefix = [USER_PREFIX, KEY_ID_PREFIX].find((p) => opKey.startsWith(p));
  if (prefix === undefined) return null;
  const rest = opKey.slice(opKey.indexOf(':', prefix.length) + 1);
  return rest.startsWith('import:') ? rest : null;
}

/** The user a per-user op_key names (userOpKey), or null (no user, or the earlier per-key-id form). */
export function userOfOpKey(opKey: string): string | null {
  if (!opKey.startsWith(USER_PREFIX)) return null;
  const end = opKey.indexOf(':', USER_PREFIX.length);
  return end < 0 ? null : unescapeUser(opKey.slice(USER_PREFIX.length, end));
}

/** The API key id an op_key of the earlier per-key-id form names (`user:<id>:import:…`), or null. */
export function keyIdOfOpKey(opKey: string): string | null {
  if (!opKey.startsWith(KEY_ID_PREFIX)) return null;
  const end = opKey.indexOf(':', KEY_ID_PREFIX.length);
  return end < 0 ? null : opKey.slice(KEY_ID_PREFIX.length, end);
}

/** A name may hold ':' (the separator) and '%' (the escape); nothing else needs escaping. */
function escapeUser(user: string): string {
  return user.replace(/%/g, '%25').replace(/:/g, '%3A');
}
function unescapeUser(escaped: string): string {
  return escaped.replace(/%3A/g, ':').replace(/%25/g, '%');
}

/**
 * One row of HELD_ELSEWHERE_SQL: candidate `index` is held if the database has op_key `form`, or,
 * with `user` set, `user:<id>:<form>` for any API key named `user` (the earlier per-key-id form).
 */
interface Probe {
  index: number;
  form: string;
  user: string | null;
}

/**
 * Which candidates (by index) the database already holds in some form: their import key unscoped
 * (everyone's), and, when `user` is set, as that user's (this version's form, or the earlier one by
 * any of the user's API keys, revoked ones too). Parameters: index[], form[], user[].
 */
export const HELD_ELSEWHERE_SQL = `SELECT p.i FROM unnest($1::int[], $2::text[], $3::text[]) AS p(i, form, user_name)
  CROSS JOIN LATERAL (
    (SELECT 1 FROM outcomes o WHERE o.op_key = p.form LIMIT 1)
    UNION ALL
    (SELECT 1 FROM api_keys k JOIN outcomes o ON o.op_key = 'user:' || k.id || ':' || p.form
     WHERE k.name = p.user_name LIMIT 1)
    LIMIT 1) AS held`;
// One lookup in the op_key index per form (the LIMITs keep them per row): written as a join or an
// EXISTS … OR EXISTS, PostgreSQL hashed the whole outcomes table for every 5,000 keys checked
// (0.75–1 s a check on a million outcomes, against 60 ms so).

/** HELD_ELSEWHERE_SQL's parameters for candidates, each an import key and its user (or null). */
export function heldElsewhereParams(
  candidates: readonly { user: string | null; importKey: string }[],
): [number[], string[], (string | null)[]] {
  const probes: Probe[] = [];
  candidates.forEach(({ user, importKey }, index) => {
    probes.push({ index, form: importKey, user });
    if (user !== null) probes.push({ index, form: userOpKey(importKey, user), user: null });
  });
  return [probes.map((p) => p.index), probes.map((p) => p.form), probes.map((p) => p.user)];
}
