// Which API key the current request came with. The team guard sets it for the request's whole
// async context, so the store can attribute the request's usage to the key without every service
// passing it along.
import { AsyncLocalStorage } from 'node:async_hooks';

const context = new AsyncLocalStorage<{ keyId: string }>();

export function runWithKey<T>(keyId: string, work: () => T): T {
  return context.run({ keyId }, work);
}

/** Enters the key's context for the rest of this async call chain (a Fastify hook's continuation). */
export function enterKey(keyId: string): void {
  context.enterWith({ keyId });
}

export function currentKeyId(): string | null {
  return context.getStore()?.keyId ?? null;
}
