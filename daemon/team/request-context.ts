// Which API key the current request came with (and its budget reservation, near a budget). The
// team guard sets it for the request's whole async context, so the store can attribute the
// request's usage to the key, and an import to the key's user, without every service passing it along.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface KeyContext {
  keyId: string;
  /**
   * The user the key belongs to: its name (`fugusashi keys create --name`), which a replacement key
   * keeps (revoke alice, create alice again), while its id and secret are new.
   */
  user: string;
  /** An admin key (`keys create --admin`) sees every user's data. */
  admin: boolean;
  /** Set by the limiter when the request's cost was reserved in the database (see limits.ts). */
  reservation?: unknown;
}

const context = new AsyncLocalStorage<KeyContext>();

export function runWithKey<T>(
  key: { id: string; name: string; admin?: boolean },
  work: () => T,
  reservation?: unknown,
): T {
  const keyContext: KeyContext = { keyId: key.id, user: key.name, admin: key.admin === true };
  if (reservation !== undefined) keyContext.reservation = reservation;
  return context.run(keyContext, work);
}

export function currentKeyId(): string | null {
  return context.getStore()?.keyId ?? null;
}

/** The current request's user (its API key's name), or null without a key. */
export function currentUser(): string | null {
  return context.getStore()?.user ?? null;
}

export function currentKeyContext(): KeyContext | undefined {
  return context.getStore();
}

/**
 * Whose data the current request may see and change: its user's alone (a user's API key), or null
 * for everyone's (an admin key, server.token, or a daemon without keys: single-user mode).
 */
export function currentViewer(): string | null {
  const keyContext = context.getStore();
  return keyContext && !keyContext.admin ? keyContext.user : null;
}

/** True when the current request may act for the whole team (see currentViewer). */
export function actsForEveryone(): boolean {
  return currentViewer() === null;
}
