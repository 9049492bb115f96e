// Which store a daemon opens: the embedded one in its data directory (the default, unchanged), or
// PostgreSQL when `store.url` is set in config.yaml or FUGUSASHI_DATABASE_URL in the environment.
import type { Store } from '../core/ports';
import { openStore, type DataDirLock } from '../store';
import { openPostgresStore, PostgresStore, redactUrl, type StoreState } from '../store/postgres';
import type { ResolvedConfig } from '../config';

export interface ConfiguredStoreOptions {
  config: Pick<ResolvedConfig, 'store'>;
  dataDir: string;
  /** The data-directory lock main.ts took; released when the store closes. */
  lock: DataDirLock;
  log: (line: string) => void;
  env?: Record<string, string | undefined>;
}

export const DATABASE_URL_ENV = 'FUGUSASHI_DATABASE_URL';

/** The team database URL, if any: the environment wins over the file (secrets stay out of files). */
export function databaseUrl(
  config: Pick<ResolvedConfig, 'store'>,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const url = env[DATABASE_URL_ENV] || config.store?.url || undefined;
  if (url && !/^postgres(ql)?:\/\//.test(url)) {
    throw new Error(`store.url must be a postgres:// URL, got "${redactUrl(url)}"`);
  }
  return url;
}

export async function openConfiguredStore(options: ConfiguredStoreOptions): Promise<Store> {
  const url = databaseUrl(options.config, options.env);
  if (!url) return openStore({ dataDir: options.dataDir, lock: options.lock, log: options.log });
  const store = await openPostgresStore({
    url,
    dataDir: options.dataDir,
    log: options.log,
    ...(options.config.store?.read_timeout_ms ? { readTimeoutMs: options.config.store.read_timeout_ms } : {}),
  });
  options.log(`store: PostgreSQL at ${redactUrl(url)} (team mode; local spool in ${options.dataDir}/pg-spool)`);
  // The data directory still holds this daemon's spool: keep it locked until the store is closed.
  const close = store.close.bind(store);
  store.close = (timeoutMs?: number) => {
    try {
      close(timeoutMs);
    } finally {
      options.lock.release();
    }
  };
  return store;
}

/** For GET /health: which store, and whether it is reachable. */
export function storeState(store: Store): StoreState | { kind: 'embedded'; up: true } {
  return store instanceof PostgresStore ? store.state() : { kind: 'embedded', up: true };
}
