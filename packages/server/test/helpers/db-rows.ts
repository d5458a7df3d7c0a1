/**
 * Every row of a SQLite file or a PostgreSQL schema, read directly (not through the code under test)
 * and normalised so the two dialects compare equal: bytes as base64, flags as 0/1, rows sorted.
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';

export type Rows = Record<string, unknown>[];
/** table → its rows, normalised and sorted. */
export type Dump = Record<string, Rows>;

/** Columns that are not portable data: computed by one dialect from the rest of the row. */
const DERIVED = new Set(['messages.seq', 'messages.public_geog', 'messages.cell']);

function normalise(table: string, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (DERIVED.has(`${table}.${column}`)) continue;
    out[column] = value instanceof Uint8Array ? Buffer.from(value).toString('base64') : typeof value === 'boolean' ? Number(value) : value;
  }
  return out;
}

function sorted(table: string, rows: Record<string, unknown>[]): Rows {
  return rows
    .map((row) => normalise(table, row))
    .map((row) => ({ key: JSON.stringify(row), row }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((entry) => entry.row);
}

/** The ordinary tables of a SQLite file (no internal, virtual or shadow tables). */
export function sqliteTables(file: string): string[] {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(`SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'`)
      .all();
    return (rows as Array<{ name: string }>).map((r) => r.name).sort();
  } finally {
    db.close();
  }
}

export function sqliteDump(file: string, tables: string[]): Dump {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return Object.fromEntries(tables.map((t) => [t, sorted(t, db.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[])]));
  } finally {
    db.close();
  }
}

/** A query on the SQLite file, for derived state (geo_index) the dumps leave out. */
export function sqliteQuery<R>(file: string, text: string): R[] {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(text).all() as R[];
  } finally {
    db.close();
  }
}

/** Runs `fn` with a client whose search_path is `schema` (bigints read as numbers, as the store reads them). */
export async function withPostgres<T>(url: string, schema: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema},public` });
  client.setTypeParser(20, (value: string) => Number(value));
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function postgresDump(url: string, schema: string, tables: string[]): Promise<Dump> {
  return withPostgres(url, schema, async (client) => {
    const dump: Dump = {};
    for (const t of tables) dump[t] = sorted(t, (await client.query<Record<string, unknown>>(`SELECT * FROM "${t}"`)).rows);
    return dump;
  });
}

/** Drops a test schema (and everything in it). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  await withPostgres(url, 'public', async (client) => void (await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)));
}
