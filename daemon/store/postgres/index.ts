// Team mode's store: PostgreSQL behind the same Store interface as the embedded store.
export { openPostgresStore, PostgresStore, redactUrl, type OpenPostgresStoreOptions, type StoreState } from './store';
export { PG_SCHEMA_VERSION } from './schema';
export { importKeyOfOpKey } from './op-keys';
