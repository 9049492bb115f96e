// Team mode: PostgreSQL store selection, replicas sharing learning, API keys with budgets and rate
// limits, and operations (metrics, store health). main.ts wires these in a few lines.
export { databaseUrl, DATABASE_URL_ENV, openConfiguredStore, storeState } from './store';
export { shareLearning, type SharedLearning } from './replication';
export { registerTeam, isLoopbackHost, type TeamHttp } from './http';
export { createKey, listKeys, revokeKey, hashKey, type ApiKey } from './keys';
