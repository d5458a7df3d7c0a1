/**
 * The port `lo export` and `lo import` work through: a database seen as tables of plain rows, read
 * page by page from one snapshot, written in one transaction. One implementation per dialect
 * (sqlite-portable.ts, postgres-portable.ts); the format code (export-writer.ts, import-reader.ts)
 * knows no SQL dialect.
 */
import fs from 'node:fs';
import { parsePostgresUrl, type Config } from '../../config/config.js';
import { OperatorError } from '../../errors/operator-error.js';
import { isPostgresUrl } from '../open-store.js';
import { PostgresDb } from '../postgres/postgres-db.js';
import { SqliteDb } from '../sqlite/sqlite-db.js';
import type { SourceKind } from './portable-format.js';
import type { TableInfo } from './portable-tables.js';
import { PostgresPortable } from './postgres-portable.js';
import { SqlitePortable } from './sqlite-portable.js';

/** A row as the driver reads or writes it. */
export type DbRow = Record<string, unknown>;

export interface PageReader {
  /**
   * Up to `limit` rows of `table` whose primary key is after `after` (null: from the first), in key
   * order. Rows carry the exported columns plus the primary-key columns.
   */
  page(table: TableInfo, after: unknown[] | null, limit: number): Promise<DbRow[]>;
}

export interface TableWriter {
  /** Names of tables that hold rows (meta excepted: see import-reader.ts); empty means the database is new. */
  nonEmptyTables(tables: TableInfo[]): Promise<string[]>;
  /** Removes the rows of `table` (meta of a database no one has used yet). */
  clear(table: TableInfo): Promise<void>;
  /** Inserts rows that all have the same columns. Values are decoded portable values (bytes as Buffers). */
  insert(table: TableInfo, columns: string[], rows: unknown[][]): Promise<void>;
  /** Computes the derived columns (portable-tables.ts) of every imported row; `now` decides which posts are live. */
  recomputeDerived(now: number): Promise<void>;
}

export interface PortableDb {
  readonly kind: SourceKind;
  /** Rows a single INSERT may carry for a table with this many columns (PostgreSQL caps bind parameters). */
  batchRows(columns: number): number;
  /** The exportable tables (skipped tables and derived columns removed), in no particular order. */
  tables(): Promise<TableInfo[]>;
  /** Runs `fn` on one consistent snapshot: writers may go on meanwhile, the reads do not see them. */
  snapshot<T>(fn: (reader: PageReader) => Promise<T>): Promise<T>;
  /** Runs `fn` in one transaction: committed if it resolves, rolled back (nothing written) if it throws. */
  transaction<T>(fn: (writer: TableWriter) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Opens the database LO_DATABASE_URL names and brings its schema up to date (as `lo migrate`), so
 * source and target have the tables this version of Lo knows. `mustExist` refuses a SQLite file that is
 * not there instead of creating an empty one (exporting nothing is never what was meant).
 */
export async function openPortableDb(config: Pick<Config, 'databaseUrl' | 'sqliteSynchronous'>, mustExist: boolean): Promise<PortableDb> {
  let db: PortableDb & { migrate(): Promise<void> };
  if (config.databaseUrl.startsWith('sqlite:')) {
    const file = config.databaseUrl.slice('sqlite:'.length);
    if (mustExist && !fs.existsSync(file)) throw new OperatorError(`no database at ${file} (check LO_DATA_DIR / LO_DATABASE_URL)`);
    db = new SqlitePortable(new SqliteDb({ file, synchronous: config.sqliteSynchronous }));
  } else if (isPostgresUrl(config.databaseUrl)) {
    db = new PostgresPortable(new PostgresDb({ ...parsePostgresUrl(config.databaseUrl), poolSize: 2 }));
  } else {
    throw new Error('LO_DATABASE_URL must be sqlite:<file> or postgres://…');
  }
  try {
    await db.migrate();
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
