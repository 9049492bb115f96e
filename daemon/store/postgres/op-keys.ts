// An imported outcome's op_key in PostgreSQL (services/import-keys.ts names the row). In team mode a
// key is stored per API key (`user:<key id>:import:…`; the id, never the secret), so two users'
// identical files stay two users' judgements; a key stored with no user (a history `store copy`
// brought in, an import with the daemon's own token) is as it is, and everyone's.

const USER_PREFIX = 'user:';

/** The op_key of `importKey` imported with API key `keyId` (null: no key). */
export function userOpKey(importKey: string, keyId: string | null): string {
  return keyId === null ? importKey : `${USER_PREFIX}${keyId}:${importKey}`;
}

/**
 * The import key an op_key stores, without its user (userOpKey's inverse; `store copy` into a data
 * dir, which has no users), or null when it is not an import key (a copy's own "copy:…" keys).
 */
export function importKeyOfOpKey(opKey: string): string | null {
  if (opKey.startsWith('import:')) return opKey;
  if (!opKey.startsWith(USER_PREFIX)) return null;
  const rest = opKey.slice(opKey.indexOf(':', USER_PREFIX.length) + 1);
  return rest.startsWith('import:') ? rest : null;
}
