// Prepared statements cached by their SQL text: the store runs the same few statements on every
// request, and preparing one in sql.js costs more than running it.
import type { BindParams, Database, SqlValue, Statement } from './sqljs';

export type Row = Record<string, SqlValue>;

/** What the read queries need: the embedded store's Statements, or the PostgreSQL store's reader. */
export interface QueryRunner {
  each(sql: string, params: BindParams, visit: (row: Row) => void): void;
  all(sql: string, params?: BindParams): Row[];
  first(sql: string, params?: BindParams): Row | undefined;
}

export class Statements implements QueryRunner {
  private readonly cache = new Map<string, Statement>();

  constructor(readonly db: Database) {}

  private statement(sql: string): Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }

  run(sql: string, params: BindParams = []): void {
    this.statement(sql).run(params);
  }

  each(sql: string, params: BindParams, visit: (row: Row) => void): void {
    const statement = this.statement(sql);
    try {
      statement.bind(params);
      while (statement.step()) visit(statement.getAsObject());
    } finally {
      statement.reset();
    }
  }

  all(sql: string, params: BindParams = []): Row[] {
    const rows: Row[] = [];
    this.each(sql, params, (row) => rows.push(row));
    return rows;
  }

  first(sql: string, params: BindParams = []): Row | undefined {
    const statement = this.statement(sql);
    try {
      statement.bind(params);
      return statement.step() ? statement.getAsObject() : undefined;
    } finally {
      statement.reset();
    }
  }

  /**
   * Runs `work` all or nothing. A savepoint rather than BEGIN, because the store keeps one
   * transaction open between snapshots (see store.ts).
   */
  atomically<T>(work: () => T): T {
    this.db.exec('SAVEPOINT atomically');
    try {
      const result = work();
      this.db.exec('RELEASE atomically');
      return result;
    } catch (err) {
      this.db.exec('ROLLBACK TO atomically; RELEASE atomically');
      throw err;
    }
  }

  freeAll(): void {
    for (const statement of this.cache.values()) statement.free();
    this.cache.clear();
  }
}

export function num(value: SqlValue | undefined): number {
  return typeof value === 'number' ? value : Number(value ?? 0);
}

export function numOrNull(value: SqlValue | undefined): number | null {
  return value === null || value === undefined ? null : num(value);
}

export function strOrNull(value: SqlValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** Text stored as a UTF-8 BLOB (see schema v1), or plain TEXT. */
export function text(value: SqlValue | undefined): string {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  return value === null || value === undefined ? '' : String(value);
}
