import { OperatorError } from '../../errors/operator-error.js';
import type { PortableDb, TableWriter } from './portable-db.js';
import { decodeValue, parseHeader, parseLine, type ExportHeader, type PortableRow } from './portable-format.js';
import type { TableInfo } from './portable-tables.js';

export interface ImportResult {
  header: ExportHeader;
  rows: number;
  /** True when the target held generated secrets only (a server had started on it) and they were replaced. */
  replacedSecrets: boolean;
}

function refuse(message: string): never {
  throw new OperatorError(`${message}; nothing was imported`);
}

/** Rows of one table waiting to be inserted together. */
interface Batch {
  table: TableInfo;
  columns: string[];
  rows: unknown[][];
  firstLine: number;
}

/**
 * Loads an export into `db` in one transaction: either every row is in, or (on any refusal or error,
 * up to a missing end line) nothing is. Memory holds one batch of rows, not the file.
 *
 * The target must be new: no rows in any table but `meta`. A database a server has started on holds
 * only the secrets it generated (no user, post or session has used them yet), and those are replaced
 * by the export's, so privacy snapping and hashed addresses stay as they were before the move.
 */
export async function importDatabase(db: PortableDb, lines: AsyncIterable<string>, now: number): Promise<ImportResult> {
  const input = lines[Symbol.asyncIterator]();
  const first = await input.next();
  if (first.done === true) refuse('the file is empty: not a Lo export');
  const header = parseHeader(first.value);

  const known = new Map((await db.tables()).map((t) => [t.name, t]));
  const unknown = header.tables.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    refuse(
      `the export has tables this database does not (${unknown.join(', ')}): import it with the Lo version that made it or a newer one`,
    );
  }

  return db.transaction(async (writer) => {
    const replacedSecrets = await ensureEmpty(writer, [...known.values()]);
    const listed = new Set(header.tables);
    let batch: Batch | undefined;
    let rows = 0;
    let lineNo = 1;
    let end: number | undefined;
    for (let next = await input.next(); next.done !== true; next = await input.next()) {
      lineNo += 1;
      if (next.value.trim() === '') continue;
      if (end !== undefined) refuse(`line ${lineNo}: data after the end line`);
      const line = parseLine(next.value, lineNo);
      if ('end' in line) {
        end = line.rows;
        continue;
      }
      const table = known.get(line.t);
      if (table === undefined || !listed.has(line.t)) refuse(`line ${lineNo}: rows of table ${line.t}, which the header does not list`);
      const columns = Object.keys(line.r);
      const unknownColumn = columns.find((c) => !table.columns.some((k) => k.name === c));
      if (unknownColumn !== undefined) refuse(`line ${lineNo}: column ${line.t}.${unknownColumn} does not exist in this database`);
      if (batch !== undefined && (batch.table !== table || !sameColumns(batch.columns, columns))) {
        await flush(writer, batch);
        batch = undefined;
      }
      batch ??= { table, columns, rows: [], firstLine: lineNo };
      batch.rows.push(decodeRow(line.r, columns));
      rows += 1;
      if (batch.rows.length >= db.batchRows(columns.length)) {
        await flush(writer, batch);
        batch = undefined;
      }
    }
    if (end === undefined) refuse(`the file ends at line ${lineNo} without its end line: it was truncated`);
    if (end !== rows) refuse(`the end line counts ${end} rows but the file holds ${rows}: it is damaged`);
    if (batch !== undefined) await flush(writer, batch);
    await writer.recomputeDerived(now);
    return { header, rows, replacedSecrets };
  });
}

async function ensureEmpty(writer: TableWriter, tables: TableInfo[]): Promise<boolean> {
  const meta = tables.find((t) => t.name === 'meta');
  const used = await writer.nonEmptyTables(tables.filter((t) => t !== meta));
  if (used.length > 0) {
    refuse(
      `the target database is not empty (rows in ${used.join(', ')}). lo import only loads into a new database: ` +
        'point LO_DATABASE_URL at an empty one (a new file, database or ?schema=)',
    );
  }
  if (meta === undefined || (await writer.nonEmptyTables([meta])).length === 0) return false;
  await writer.clear(meta);
  return true;
}

const sameColumns = (a: string[], b: string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

function decodeRow(row: PortableRow, columns: string[]): unknown[] {
  return columns.map((c) => decodeValue(row[c] ?? null));
}

async function flush(writer: TableWriter, batch: Batch): Promise<void> {
  try {
    await writer.insert(batch.table, batch.columns, batch.rows);
  } catch (error) {
    const last = batch.firstLine + batch.rows.length - 1;
    const reason = error instanceof Error ? error.message : String(error);
    refuse(`rows of ${batch.table.name} (lines ${batch.firstLine}–${last}) could not be inserted: ${reason}`);
  }
}
