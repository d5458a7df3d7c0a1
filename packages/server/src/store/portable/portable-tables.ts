/**
 * Which tables and columns travel in an export. The rule is "everything in the database's catalog",
 * so tables and columns added by later migrations are carried with no change here; this file lists
 * the exceptions, each with its reason.
 */
import type { ColumnKind } from './portable-format.js';

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
}

/** A table as the database's catalog describes it (skipped tables and derived columns already removed). */
export interface TableInfo {
  name: string;
  /** The exported columns, in the table's order. */
  columns: ColumnInfo[];
  /** Primary-key columns, in key order: exports page by them. May include a derived column (SQLite's messages.seq). */
  primaryKey: string[];
  /** Tables this one has foreign keys to (itself excluded). */
  references: string[];
}

/**
 * Tables never exported, and why. A target database's own copy of each is left as its migrations and
 * its server make it. SQLite's internal tables (`sqlite_*`), virtual tables and their shadow tables are
 * not in this list: the catalog readers never see them (the R*Tree `geo_index` among them, rebuilt on
 * import from messages).
 */
export const SKIPPED_TABLES: ReadonlyMap<string, string> = new Map([
  ['kysely_migration', 'migration bookkeeping: the target records its own migrations, which differ by dialect'],
  ['kysely_migration_lock', 'migration bookkeeping'],
  ['beacons', 'live location: each beacon expires within minutes and is re-sent by connected clients'],
  ['proximity_pairs', 'live state derived from beacons: rebuilt as friends report positions again'],
  ['spatial_ref_sys', "PostGIS's own table, in the public schema when Lo's tables are there too"],
]);

/**
 * Columns computed from other columns of their row by one dialect: not exported, recomputed on import
 * (see recomputeDerived in each dialect's portable module).
 */
export const DERIVED_COLUMNS: ReadonlyMap<string, readonly string[]> = new Map([
  // SQLite: the rowid, which is also the post's key in the geo_index R*Tree. PostgreSQL: the indexed
  // geography of (public_lat, public_lng), set while the post is live, and the feed's grid cell
  // (a generated column: PostgreSQL computes it and refuses a value for it).
  ['messages', ['seq', 'public_geog', 'cell']],
]);

/**
 * SQLite stores flags as 0/1 and its catalog cannot tell a flag from a number; these are written as
 * true/false so the file reads the same from either database. A flag missing here still imports
 * correctly: the PostgreSQL importer turns 0/1 into booleans by the target column's type.
 */
export const SQLITE_BOOLEAN_COLUMNS: ReadonlyMap<string, readonly string[]> = new Map([
  ['users', ['ghost_mode']],
  ['rooms', ['fence_join_inside']],
]);

export function isDerived(table: string, column: string): boolean {
  return DERIVED_COLUMNS.get(table)?.includes(column) ?? false;
}

/**
 * The tables with every referenced table before the tables that reference it, so rows can be inserted
 * in file order with foreign keys checked as they go. Among tables whose references are all placed,
 * `meta` comes first (the secrets), then by name, so the order is stable from one export to the next.
 */
export function orderByForeignKeys(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const placed = new Set<string>();
  const ordered: TableInfo[] = [];
  const rank = (t: TableInfo) => (t.name === 'meta' ? '' : t.name);
  while (ordered.length < tables.length) {
    const ready = tables
      .filter((t) => !placed.has(t.name) && t.references.every((r) => placed.has(r) || !byName.has(r)))
      .sort((a, b) => (rank(a) < rank(b) ? -1 : 1));
    const next = ready[0];
    if (next === undefined) {
      const left = tables.filter((t) => !placed.has(t.name)).map((t) => t.name);
      throw new Error(`foreign keys form a cycle among ${left.join(', ')}: no insert order exists`);
    }
    placed.add(next.name);
    ordered.push(next);
  }
  return ordered;
}
