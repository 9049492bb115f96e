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

/**
 * hostAllowed with the last Host header's verdict kept (per allowed list): a client sends the same
 * Host on every request, and the guard runs before each.
 */
export function hostCheck(): (header: string | undefined, allowed: readonly string[] | undefined) => boolean {
  let lastHeader: string | undefined;
  let lastAllowed: readonly string[] | undefined;
  let lastVerdict = false;
  return (header, allowed) => {
    if (header === undefined) return false;
    if (header !== lastHeader || allowed !== lastAllowed) {
      lastVerdict = hostAllowed(header, allowed);
      lastHeader = header;
      lastAllowed = allowed;
    }
    return lastVerdict;
  };
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

/** Methods that change state: the ones a cross-site page must not be able to send. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF protection that needs no token: a browser marks every request a page makes with Origin (on
 * any cross-origin POST, `no-cors` included) and Sec-Fetch-Site. A state-changing request is refused
 * when Sec-Fetch-Site says cross-site, or when its Origin is neither this server's own origin (the
 * dashboard) nor a host listed in server.allowed_hosts. Requests without either header (curl, the
 * SDKs, the extension) are not from a browser page and pass. Returns why a request is refused, or null.
 */
export function crossSiteRefusal(
  method: string,
  headers: { host?: string | undefined; origin?: string | undefined; 'sec-fetch-site'?: string | string[] | undefined },
  allowed: readonly string[] | undefined,
): string | null {
  if (!STATE_CHANGING.has(method)) return null;
  const origin = headers.origin;
  const site = headers['sec-fetch-site'];
  if (origin === undefined && (site === undefined || site === 'none' || site === 'same-origin')) return null;
  if (origin !== undefined && originAllowed(origin, headers.host, allowed)) return null;
  if (origin === undefined) return `a ${String(site)} request from a web page`;
  return `a request from the web page origin '${origin}'`;
}

function originAllowed(origin: string, host: string | undefined, allowed: readonly string[] | undefined): boolean {
  let url: URL;
  try {
    url = new URL(origin); // 'null' (sandboxed frames, file:) does not parse: refused
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (host !== undefined && url.host.toLowerCase() === host.trim().toLowerCase()) return true;
  const name = hostName(url.host);
  return allowed?.some((a) => a !== '*' && a.toLowerCase() === name) ?? false;
}

/**
 * A warning to print when the HTTP API is reachable from other machines with no access control:
 * neither a token nor (team mode) API keys, which every request then needs.
 */
export function exposureWarning(host: string, accessControlled: boolean): string | null {
  if (accessControlled) return null;
  const name = host.startsWith('[') ? host : hostName(host.includes(':') && !host.includes('.') ? `[${host}]` : host);
  if (LOOPBACK_NAMES.has(name) || /^127\.\d+\.\d+\.\d+$/.test(name) || name === 'localhost') return null;
  return (
    `WARNING: listening on ${host} without a token: anyone who can reach this machine can use your ` +
    'models and read your prompts. Set server.token (or --token) or listen on 127.0.0.1.'
  );
}
