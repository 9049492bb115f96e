// Which API key the current request came with (and its budget reservation, near a budget). The
// team guard sets it for the request's whole async context, so the store can attribute the
// request's usage to the key without every service passing it along.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface KeyContext {
  keyId: string;
  /** Set by the limiter when the request's cost was reserved in the database (see limits.ts). */
  reservation?: unknown;
}

const context = new AsyncLocalStorage<KeyContext>();

export function runWithKey<T>(keyId: string, work: () => T, reservation?: unknown): T {
  return context.run(reservation === undefined ? { keyId } : { keyId, reservation }, work);
}

export function currentKeyId(): string | null {
  return context.getStore()?.keyId ?? null;
}

export function currentKeyContext(): KeyContext | undefined {
  return context.getStore();
}
