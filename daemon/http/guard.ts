// Safe by default: a page in the user's browser must not be able to talk to the daemon through
// DNS rebinding (evil.example resolving to 127.0.0.1), so the Host header must be a loopback name
// or one the config allows; and when a token is configured every request must carry it.
import { timingSafeEqual } from 'node:crypto';

export interface GuardSettings {
  token?: string | undefined;
  /** Extra Host names (without port) accepted besides loopback names. */
  allowedHosts?: readonly string[] | undefined;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** The host name of a Host header, lower-cased, without the port. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export function hostAllowed(header: string | undefined, allowed: readonly string[] | undefined): boolean {
  // HTTP/1.1 requires Host; a request without one is not from a browser we need to fear, but refuse
  // it anyway: nothing legitimate omits it.
  if (!header) return false;
  const name = hostName(header);
  if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(name)) return true;
  if (!allowed) return false;
  for (const a of allowed) {
    const candidate = a.toLowerCase();
    if (candidate === '*' || candidate === name) return true;
  }
  return false;
}

/** Accepts `Authorization: Bearer T`, and `?token=T` for EventSource/browser pages that cannot set headers. */
export function tokenMatches(
  expected: string,
  authorization: string | undefined,
  queryToken: string | undefined,
): boolean {
  let given: string | undefined;
  if (authorization && authorization.slice(0, 7).toLowerCase() === 'bearer ') given = authorization.slice(7).trim();
  else given = queryToken;
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
