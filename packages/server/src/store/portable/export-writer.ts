import type { PortableDb } from './portable-db.js';
import { EXPORT_FORMAT, EXPORT_VERSION, encodeValue, type EndLine, type ExportHeader, type PortableRow } from './portable-format.js';
import { orderByForeignKeys, type TableInfo } from './portable-tables.js';

/** Rows read per query and written per chunk: memory stays bounded by one page whatever the database's size. */
const PAGE_ROWS = 1000;

export interface ExportResult {
  tables: string[];
  rows: number;
}

/**
 * Writes the whole database in the portable format (portable-format.ts) through `write`, which
 * receives one chunk of whole lines per page and should resolve once the chunk is taken (backpressure).
 * Everything is read from one snapshot, so an export taken while a server runs is consistent.
 */
export async function exportDatabase(
  db: PortableDb,
  write: (chunk: string) => Promise<void>,
  info: { loVersion: string; now: Date },
): Promise<ExportResult> {
  return db.snapshot(async (reader) => {
    const tables = orderByForeignKeys(await db.tables());
    const header: ExportHeader = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      lo_version: info.loVersion,
      source: db.kind,
      exported_at: info.now.toISOString(),
      tables: tables.map((t) => t.name),
    };
    await write(JSON.stringify(header) + '\n');
    let rows = 0;
    for (const table of tables) {
      let after: unknown[] | null = null;
      for (;;) {
        const page = await reader.page(table, after, PAGE_ROWS);
        if (page.length > 0) await write(page.map((row) => JSON.stringify({ t: table.name, r: portableRow(table, row) }) + '\n').join(''));
        rows += page.length;
        const last = page.at(-1);
        if (last === undefined || page.length < PAGE_ROWS) break;
        after = table.primaryKey.map((column) => last[column]);
      }
    }
    const end: EndLine = { end: true, rows };
    await write(JSON.stringify(end) + '\n');
    return { tables: header.tables, rows };
  });
}

/** The exported columns only (a derived primary key such as SQLite's messages.seq was read for paging alone). */
function portableRow(table: TableInfo, row: Record<string, unknown>): PortableRow {
  const out: PortableRow = {};
  for (const column of table.columns) out[column.name] = encodeValue(row[column.name], column.kind, `${table.name}.${column.name}`);
  return out;
}
