// Loads sql.js (SQLite compiled to WASM) without native modules, so the daemon runs the same under
// plain Node and inside VS Code's Electron. Typed here rather than through @types/sql.js: we use a
// small part of the API and this keeps the daemon's dependencies to the runtime package.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type SqlValue = number | string | Uint8Array | null;
export type BindParams = SqlValue[] | Record<string, SqlValue>;

export interface Statement {
  bind(values?: BindParams): boolean;
  step(): boolean;
  get(params?: BindParams): SqlValue[];
  getAsObject(params?: BindParams): Record<string, SqlValue>;
  run(values?: BindParams): void;
  reset(): boolean;
  free(): boolean;
}

export interface Database {
  run(sql: string, params?: BindParams): Database;
  exec(sql: string, params?: BindParams): { columns: string[]; values: SqlValue[][] }[];
  prepare(sql: string, params?: BindParams): Statement;
  /** A copy of the database file. In sql.js ≥ 1.14 it keeps prepared statements and pragmas. */
  export(): Uint8Array;
  close(): void;
  getRowsModified(): number;
}

export interface SqlJs {
  Database: new (data?: Uint8Array | null) => Database;
}

type InitSqlJs = (config: { wasmBinary: Uint8Array }) => Promise<SqlJs>;

/**
 * Where the WASM file is: next to the bundle (esbuild.mjs copies it into dist/), else the package's
 * own copy (dev and tests run from the sources, where __dirname is daemon/store).
 */
export function defaultWasmPath(): string {
  const bundled = path.join(__dirname, 'sql-wasm.wasm');
  if (existsSync(bundled)) return bundled;
  return require.resolve('sql.js/dist/sql-wasm.wasm');
}

const modules = new Map<string, Promise<SqlJs>>();

/** One sql.js module per WASM file and process (instantiating it costs ~20 ms). */
export function loadSqlJs(wasmPath = defaultWasmPath()): Promise<SqlJs> {
  let module = modules.get(wasmPath);
  if (!module) {
    // A plain require so esbuild bundles sql.js's CommonJS loader as is.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const init = require('sql.js') as InitSqlJs;
    module = init({ wasmBinary: readFileSync(wasmPath) });
    module.catch(() => modules.delete(wasmPath));
    modules.set(wasmPath, module);
  }
  return module;
}
