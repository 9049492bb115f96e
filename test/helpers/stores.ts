// The store implementations the interface tests run against: the embedded sql.js store and the
// PostgreSQL store (on a throw-away cluster started once per test file, when PostgreSQL is installed).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import type { Store } from '../../daemon/core/ports';
import { openStore } from '../../daemon/store';
import { openPostgresStore } from '../../daemon/store/postgres';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from './postgres';

export interface OpenedStore {
  store: Store;
  close(): Promise<void>;
}

export interface StoreImplementation {
  name: 'embedded' | 'postgres';
  /** Why this implementation cannot run here (the tests are skipped then). */
  skip: string | undefined;
  open(): Promise<OpenedStore>;
}

let cluster: Promise<TestPostgres> | undefined;
let databases = 0;

// Registered when a test file imports this module (top level), so it runs after all of the file's tests.
after(async () => (await cluster)?.destroy());

/** The shared cluster of this test file, started on first use and stopped after the file's tests. */
export function testPostgres(): Promise<TestPostgres> {
  cluster ??= startPostgres();
  return cluster;
}

export const STORE_IMPLEMENTATIONS: StoreImplementation[] = [
  {
    name: 'embedded',
    skip: undefined,
    async open() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-store-'));
      const store = await openStore({ dataDir: dir });
      return {
        store,
        close: async () => {
          store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    skip: postgresMissing(),
    async open() {
      const pg = await testPostgres();
      const url = await createDatabase(pg, `store_${process.pid}_${++databases}`);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-pgstore-'));
      const store = await openPostgresStore({ url, dataDir: dir });
      return {
        store,
        close: async () => {
          await store.closeAsync();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];
