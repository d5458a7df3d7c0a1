/**
 * The SQLite side of export/import, over the same SqliteDb the store uses. Statements are built from
 * catalog names (quoted), so any table a migration adds is read and written without code here.
 */
import type { SqliteDb } from '../sqlite/sqlite-db.js';
import { SqliteNearby } from '../sqlite/sqlite-nearby.js';
import type { DbRow, PageReader, PortableDb, TableWriter } from './portable-db.js';
import { SKIPPED_TABLES, SQLITE_BOOLEAN_COLUMNS, isDerived, type TableInfo } from './portable-tables.js';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const list = (names: string[]) => names.map(quote).join(', ');

/** Posts re-indexed per statement when the R*Tree is rebuilt after an import. */
const REINDEX_PAGE = 1000;

export class SqlitePortable implements PortableDb {
  readonly kind = 'sqlite';

  constructor(private readonly db: SqliteDb) {}

  migrate(): Promise<void> {
    return this.db.migrate();
  }

  /** SQLite has no bind-parameter cap worth batching for: each row is one cached statement run. */
  batchRows(): number {
    return 500;
  }

  tables(): Promise<TableInfo[]> {
    // table_list types: 'table', 'view', 'virtual' (geo_index) and 'shadow' (its storage): only real tables travel.
    const names = this.db.prepare(`SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'`).all() as Array<{
      name: string;
    }>;
    const tables = names
      .map((row) => row.name)
      .filter((name) => !name.startsWith('sqlite_') && !SKIPPED_TABLES.has(name))
      .map((name) => this.describe(name));
    return Promise.resolve(tables);
  }

  private describe(name: string): TableInfo {
    const columns = this.db.prepare('SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid').all(name) as Array<{
      name: string;
      type: string;
      pk: number;
    }>;
    const flags = SQLITE_BOOLEAN_COLUMNS.get(name) ?? [];
    const references = this.db.prepare('SELECT DISTINCT "table" AS ref FROM pragma_foreign_key_list(?)').all(name) as Array<{
      ref: string;
    }>;
    const primaryKey = columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    if (primaryKey.length === 0) throw new Error(`table ${name} has no primary key: it cannot be exported page by page`);
    return {
      name,
      columns: columns
        .filter((c) => !isDerived(name, c.name))
        .map((c) => ({ name: c.name, kind: flags.includes(c.name) ? 'boolean' : c.type.toUpperCase() === 'BLOB' ? 'binary' : 'plain' })),
      primaryKey,
      references: references.map((r) => r.ref).filter((ref) => ref !== name),
    };
  }

  /**
   * One deferred read transaction: its snapshot is taken at the first page and kept to the last, while
   * a running server goes on writing through its own connection (WAL lets readers and a writer overlap).
   */
  async snapshot<T>(fn: (reader: PageReader) => Promise<T>): Promise<T> {
    this.db.raw.exec('BEGIN');
    try {
      return await fn({ page: (table, after, limit) => Promise.resolve(this.page(table, after, limit)) });
    } finally {
      this.db.raw.exec('COMMIT');
    }
  }

  private page(table: TableInfo, after: unknown[] | null, limit: number): DbRow[] {
    const key = table.primaryKey;
    const columns = [...new Set([...table.columns.map((c) => c.name), ...key])];
    const where = after === null ? '' : `WHERE (${list(key)}) > (${key.map(() => '?').join(', ')})`;
    const text = `SELECT ${list(columns)} FROM ${quote(table.name)} ${where} ORDER BY ${list(key)} LIMIT ?`;
    return this.db.prepare(text).all(...(after ?? []), limit) as DbRow[];
  }

  /**
   * BEGIN IMMEDIATE takes the write lock up front, so the emptiness check and the inserts see one state.
   * The transaction spans awaits (the file is read as rows are inserted); nothing else uses this
   * connection meanwhile.
   */
  async transaction<T>(fn: (writer: TableWriter) => Promise<T>): Promise<T> {
    this.db.raw.exec('BEGIN IMMEDIATE');
    let result: T;
    try {
      result = await fn(this.writer());
    } catch (error) {
      this.db.raw.exec('ROLLBACK');
      throw error;
    }
    this.db.raw.exec('COMMIT');
    return result;
  }

  private writer(): TableWriter {
    return {
      nonEmptyTables: (tables) =>
        Promise.resolve(
          tables.filter((t) => this.db.prepare(`SELECT 1 FROM ${quote(t.name)} LIMIT 1`).get() !== undefined).map((t) => t.name),
        ),
      clear: (table) => Promise.resolve(void this.db.prepare(`DELETE FROM ${quote(table.name)}`).run()),
      insert: (table, columns, rows) => {
        const statement = this.db.prepare(
          `INSERT INTO ${quote(table.name)} (${list(columns)}) VALUES (${columns.map(() => '?').join(', ')})`,
        );
        // SQLite binds no booleans: flags are stored as 0/1.
        for (const row of rows) statement.run(...row.map((v) => (typeof v === 'boolean' ? Number(v) : v)));
        return Promise.resolve();
      },
      recomputeDerived: (now) => Promise.resolve(this.reindexPosts(now)),
    };
  }

  /**
   * Rebuilds geo_index for the imported posts (their seq was assigned by the inserts): live posts only,
   * as the store leaves it after deletes and expiry purges. Paged, because better-sqlite3 cannot write
   * while iterating a read on the same connection.
   */
  private reindexPosts(now: number): void {
    const nearby = new SqliteNearby(this.db);
    const select = this.db.prepare(`SELECT seq, public_lat, public_lng, created_at FROM messages
      WHERE seq > ? AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > ?) ORDER BY seq LIMIT ?`);
    let after = 0;
    for (;;) {
      const posts = select.all(after, now, REINDEX_PAGE) as Array<{
        seq: number;
        public_lat: number;
        public_lng: number;
        created_at: number;
      }>;
      for (const post of posts) nearby.index(post.seq, post.public_lat, post.public_lng, post.created_at);
      const last = posts.at(-1);
      if (last === undefined || posts.length < REINDEX_PAGE) return;
      after = last.seq;
    }
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
