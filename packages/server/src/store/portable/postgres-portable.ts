/**
 * The PostgreSQL side of export/import, over the same PostgresDb the store uses. The catalog is read
 * from pg_catalog for Lo's schema only, and statements are built from its names (quoted by sql.id).
 */
import { sql, type Transaction } from 'kysely';
import type { PostgresDb } from '../postgres/postgres-db.js';
import type { Database } from '../postgres/schema.js';
import type { DbRow, PageReader, PortableDb, TableWriter } from './portable-db.js';
import { SKIPPED_TABLES, isDerived, type TableInfo } from './portable-tables.js';

/** PostgreSQL accepts at most 65,535 bind parameters per statement; stay well below. */
const MAX_PARAMETERS = 30_000;
const MAX_BATCH_ROWS = 500;

interface CatalogColumn {
  table: string;
  column: string;
  type: string;
}

const ids = (names: string[]) =>
  sql.join(
    names.map((n) => sql.id(n)),
    sql`, `,
  );

export class PostgresPortable implements PortableDb {
  readonly kind = 'postgres';

  constructor(private readonly db: PostgresDb) {}

  migrate(): Promise<void> {
    return this.db.migrate();
  }

  batchRows(columns: number): number {
    return Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMETERS / Math.max(1, columns))));
  }

  async tables(): Promise<TableInfo[]> {
    const k = this.db.kysely;
    const schema = this.db.schema;
    const columns = await sql<CatalogColumn>`
      SELECT c.relname AS "table", a.attname AS "column", t.typname AS type
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        JOIN pg_type t ON t.oid = a.atttypid
      WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p')
      ORDER BY c.relname, a.attnum`.execute(k);
    const keys = await sql<{ table: string; column: string }>`
      SELECT c.relname AS "table", a.attname AS "column"
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE i.indisprimary AND n.nspname = ${schema}
      ORDER BY c.relname, k.ord`.execute(k);
    const references = await sql<{ table: string; ref: string }>`
      SELECT DISTINCT c.relname AS "table", r.relname AS ref
      FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid JOIN pg_class r ON r.oid = f.confrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE f.contype = 'f' AND n.nspname = ${schema}`.execute(k);

    const tables = new Map<string, TableInfo>();
    for (const { table, column, type } of columns.rows) {
      if (SKIPPED_TABLES.has(table)) continue;
      let info = tables.get(table);
      if (info === undefined) tables.set(table, (info = { name: table, columns: [], primaryKey: [], references: [] }));
      if (!isDerived(table, column))
        info.columns.push({ name: column, kind: type === 'bool' ? 'boolean' : type === 'bytea' ? 'binary' : 'plain' });
    }
    for (const { table, column } of keys.rows) tables.get(table)?.primaryKey.push(column);
    for (const { table, ref } of references.rows) if (ref !== table) tables.get(table)?.references.push(ref);
    for (const info of tables.values()) {
      if (info.primaryKey.length === 0) throw new Error(`table ${info.name} has no primary key: it cannot be exported page by page`);
    }
    return [...tables.values()];
  }

  /** A repeatable-read, read-only transaction: every page comes from the snapshot of its first query. */
  snapshot<T>(fn: (reader: PageReader) => Promise<T>): Promise<T> {
    return this.db.kysely
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute((trx) => fn({ page: (table, after, limit) => page(trx, table, after, limit) }));
  }

  transaction<T>(fn: (writer: TableWriter) => Promise<T>): Promise<T> {
    return this.db.tx((trx) => fn(writer(trx)));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

async function page(trx: Transaction<Database>, table: TableInfo, after: unknown[] | null, limit: number): Promise<DbRow[]> {
  const key = table.primaryKey;
  const columns = [...new Set([...table.columns.map((c) => c.name), ...key])];
  const where =
    after === null
      ? sql``
      : sql`WHERE (${ids(key)}) > (${sql.join(
          after.map((v) => sql`${v}`),
          sql`, `,
        )})`;
  const result = await sql<DbRow>`SELECT ${ids(columns)} FROM ${sql.id(table.name)} ${where} ORDER BY ${ids(key)} LIMIT ${limit}`.execute(
    trx,
  );
  return result.rows;
}

function writer(trx: Transaction<Database>): TableWriter {
  return {
    async nonEmptyTables(tables) {
      const found: string[] = [];
      for (const t of tables) {
        const { rows } = await sql`SELECT 1 FROM ${sql.id(t.name)} LIMIT 1`.execute(trx);
        if (rows.length > 0) found.push(t.name);
      }
      return found;
    },
    async clear(table) {
      await sql`DELETE FROM ${sql.id(table.name)}`.execute(trx);
    },
    async insert(table, columns, rows) {
      const flags = new Set(table.columns.filter((c) => c.kind === 'boolean').map((c) => c.name));
      // A flag exported from SQLite without its portable true/false (see SQLITE_BOOLEAN_COLUMNS) arrives as 0/1.
      const value = (v: unknown, column: string) => (flags.has(column) && (v === 0 || v === 1) ? v === 1 : v);
      const tuples = rows.map(
        (row) =>
          sql`(${sql.join(
            row.map((v, i) => sql`${value(v, columns[i]!)}`),
            sql`, `,
          )})`,
      );
      await sql`INSERT INTO ${sql.id(table.name)} (${ids(columns)}) VALUES ${sql.join(tuples, sql`, `)}`.execute(trx);
    },
    async recomputeDerived(now) {
      // The geography of the public point, set for live posts only, as softDelete and purgeExpired leave them.
      await trx
        .updateTable('messages')
        .set({ public_geog: sql<string>`ST_SetSRID(ST_MakePoint(public_lng, public_lat), 4326)::geography` })
        .where('deleted_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .execute();
    },
  };
}
