// API keys and tokens never reach logs, /health or the dashboard: everything that shows the
// config shows this copy.
import type { ResolvedConfig } from './resolve';

export const REDACTED = '[redacted]';
// Broad on purpose: vendors name credentials freely (Azure APIM's Ocp-Apim-Subscription-Key,
// Cloudflare's X-Auth-Key, X-Amz-Security-Token, a proxy's X-Password).
const SECRET_HEADER = /auth|key|token|secret|cookie|signature|password|credential|subscription/i;

export function redactConfig(config: ResolvedConfig): ResolvedConfig {
  return {
    ...config,
    models: config.models.map((m) => {
      const copy = { ...m };
      if (copy.api_key !== undefined) copy.api_key = REDACTED;
      if (copy.api_base !== undefined) copy.api_base = redactUrlCredentials(copy.api_base);
      if (copy.headers) {
        copy.headers = Object.fromEntries(
          Object.entries(copy.headers).map(([k, v]) => [k, SECRET_HEADER.test(k) ? REDACTED : v]),
        );
      }
      return copy;
    }),
    server: { ...config.server, token: config.server.token === undefined ? undefined : REDACTED },
  };
}

/**
 * "https://user:pass@host/v1?key=…" → "https://[redacted]@host/v1?key=[redacted]": the user-info,
 * and query parameters that carry credentials (libpq's ?password=, an API's ?key= or ?token=).
 */
export function redactUrlCredentials(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, `$1${REDACTED}@`)
    .replace(SECRET_QUERY_PARAM, `$1${REDACTED}`);
}

/** Query parameter names that carry credentials (libpq's password, an API's key or token). */
const CREDENTIAL_PARAM = 'pass|secret|token|key|auth|signature|credential';
const SECRET_QUERY_PARAM = new RegExp(`([?&][^=&#]*(?:${CREDENTIAL_PARAM})[^=&#]*=)[^&#]*`, 'gi');
const CREDENTIAL_PARAM_NAME = new RegExp(CREDENTIAL_PARAM, 'i');

/** Whether a URL query parameter of this name carries a credential (redactUrlCredentials masks it). */
export function isCredentialParam(name: string): boolean {
  return CREDENTIAL_PARAM_NAME.test(name);
}

/** Header names whose values are credentials (Authorization, x-api-key, *-subscription-key, *-token…). */
export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
}

/** Secrets shorter than this are not searched for (a 2-letter "key" would redact half the text). */
const MIN_SECRET_CHARS = 6;

// Credentials that look like credentials, whoever sent them: `Bearer <token>`, `x-api-key: <key>`
// (also `api_key=…`, JSON `"x-api-key":"…"`), and the sk-… / sk-ant-… keys of OpenAI-style APIs.
const BEARER = /\b(bearer)(\s+)[A-Za-z0-9._~+/=-]{6,}/gi;
const KEY_FIELD =
  /\b(x-api-key|api[-_]?key|authorization|access[-_]?token|token)(["']?\s*[:=]\s*["']?)(?!\[redacted\])(?:bearer\s+)?[^\s"',;}&]{6,}/gi;
const KEY_LIKE = /\bsk-[A-Za-z0-9_-]{12,}/g;

/**
 * The text with every given secret and every bearer / api-key value replaced by [redacted]. Used on
 * everything an upstream sends back (error bodies echo request headers) before it reaches a client,
 * a trace, the journal or a log.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_CHARS && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out.replace(BEARER, `$1$2${REDACTED}`).replace(KEY_FIELD, `$1$2${REDACTED}`).replace(KEY_LIKE, REDACTED);
}

/** The credential values among request headers (the Bearer token without its scheme too). */
export function headerSecrets(headers: Readonly<Record<string, string | number | undefined>>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string' || !SECRET_HEADER.test(name)) continue;
    out.push(value);
    const bearer = /^bearer\s+(.+)$/i.exec(value);
    if (bearer?.[1]) out.push(bearer[1].trim());
  }
  return out;
}
