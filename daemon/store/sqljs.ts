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

/**
 * Free space after the database in the file sql.js keeps in memory. sql.js stores the file in its
 * emulated file system, whose buffer grows past 1 MiB by copying it into one 1.125 times as big:
 * a COMMIT that extends a 40 MB database spent most of its time in those copies (110 µs per
 * request row with its commit, against 20 µs with room to grow: 16k rows into a 3k-row store).
 * sql.js copies the image it is given, so the room is resident memory (twice, until the copy we
 * hand it is collected): 16 MiB, the records of ~7k requests, after which growth copies resume
 * until the next start. 32 MiB cost an idle daemon 62 MB of RSS (300 vs 239 MB) and measured the
 * same in `npm run bench:store` (30–31 µs per save on the request path, 200–230 µs in all).
 */
const GROWTH_ROOM_BYTES = 16 * 1024 * 1024;

/**
 * Opens a database file image (a snapshot, or null for a new database) with `room` zeroed bytes
 * after it to grow into (see GROWTH_ROOM_BYTES). SQLite reads the database's size from its header,
 * so the zeroed tail is free space it never reads, and export() writes only the database's pages.
 * An image whose header size cannot be trusted is opened as it is.
 */
export function openDatabase(SQL: SqlJs, image: Uint8Array | null, room = GROWTH_ROOM_BYTES): Database {
  let bytes = image;
  if (!bytes) {
    const empty = new SQL.Database();
    try {
      bytes = empty.export();
    } finally {
      empty.close();
    }
  }
  if (room <= 0 || !headerSizeMatches(bytes)) return new SQL.Database(bytes);
  const file = new Uint8Array(bytes.length + room);
  file.set(bytes);
  return new SQL.Database(file);
}

/**
 * True when the header's page count is valid (its version-valid-for number equals the change
 * counter, as every SQLite since 3.7.0 writes it) and covers exactly the image: only then does
 * SQLite ignore what follows the pages.
 */
function headerSizeMatches(bytes: Uint8Array): boolean {
  if (bytes.length < 100) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rawPageSize = view.getUint16(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pages = view.getUint32(28);
  return view.getUint32(24) === view.getUint32(92) && pages > 0 && pages * pageSize === bytes.length;
}
