// API keys and tokens never reach logs, /health or the dashboard: everything that shows the
// config shows this copy.
import type { ResolvedConfig } from './resolve';

export const REDACTED = '[redacted]';
const SECRET_HEADER = /authorization|api[-_]?key|token|secret|cookie/i;

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

/** "https://user:pass@host/v1" → "https://[redacted]@host/v1" */
export function redactUrlCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, `$1${REDACTED}@`);
}
