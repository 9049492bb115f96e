// The durable store (sql.js + journal + snapshots) and the one-daemon-per-data-dir lock.
export { openStore, SqlJsStore, type OpenStoreOptions, type StoreRecovery } from './store';
export { acquireDataDirLock, DataDirLockedError, LOCK_FILE, type DataDirLock } from './lock';
export { SNAPSHOT_FILE } from './snapshot';
export { SCHEMA_VERSION } from './schema';
