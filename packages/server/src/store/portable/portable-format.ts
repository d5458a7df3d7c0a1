/**
 * The portable export format (`lo export` / `lo import`): JSON lines, one object a line.
 *
 *   {"format":"lo-export","version":1,"lo_version":"0.1.0","source":"sqlite","exported_at":"…","tables":[…]}
 *   {"t":"users","r":{"id":"01…","username":"ada",…}}          one line per row, tables in foreign-key order
 *   …
 *   {"end":true,"rows":1234}                                    the row count: a truncated file has no end line
 *
 * Values are portable: strings, numbers (times are the stored epoch milliseconds), true/false for flags
 * whatever the database stores them as, null, and bytes as `{"$base64":"…"}`. No column holds a JSON
 * object as such (JSON documents are stored as text), so an object value is always that marker.
 * `version` changes only when an older `lo import` could not read the file correctly; new tables and
 * columns need no new version (an importer that does not know them refuses the file by name).
 */
import { OperatorError } from '../../errors/operator-error.js';

export const EXPORT_FORMAT = 'lo-export';
export const EXPORT_VERSION = 1;

export type SourceKind = 'sqlite' | 'postgres';

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  lo_version: string;
  source: SourceKind;
  /** ISO 8601, for people reading the file; nothing depends on it. */
  exported_at: string;
  /** Every table with rows below, in the order they appear (parents before children). */
  tables: string[];
}

export type PortableValue = string | number | boolean | null | { $base64: string };
export type PortableRow = Record<string, PortableValue>;

export interface RowLine {
  t: string;
  r: PortableRow;
}

export interface EndLine {
  end: true;
  rows: number;
}

/** How a column's values are written: flags become true/false, bytes the base64 marker, the rest as read. */
export type ColumnKind = 'boolean' | 'binary' | 'plain';

export function encodeValue(value: unknown, kind: ColumnKind, where: string): PortableValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return { $base64: Buffer.from(value).toString('base64') };
  if (kind === 'boolean' && (value === 0 || value === 1)) return value === 1;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint' && Number.isSafeInteger(Number(value))) return Number(value);
  // A type no Lo column has today (a timestamp, a non-finite number): failing beats writing something lossy.
  throw new Error(`${where}: cannot export a value of type ${typeof value}`);
}

/** The value as it was exported: bytes back from base64; everything else is already a driver value. */
export function decodeValue(value: PortableValue): string | number | boolean | null | Buffer {
  if (value === null || typeof value !== 'object') return value;
  return Buffer.from(value.$base64, 'base64');
}

function refuse(message: string): never {
  throw new OperatorError(`${message}; nothing was imported`);
}

function parseJson(line: string, lineNo: number): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return refuse(`line ${lineNo} is not JSON (a truncated or damaged file?)`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseHeader(line: string): ExportHeader {
  const header = parseJson(line, 1);
  if (!isObject(header) || header.format !== EXPORT_FORMAT) refuse('not a Lo export (the first line has no "format":"lo-export")');
  if (header.version !== EXPORT_VERSION) {
    refuse(`export format version ${JSON.stringify(header.version)} is not supported (this Lo reads version ${EXPORT_VERSION})`);
  }
  const tables = header.tables;
  if (!Array.isArray(tables) || !tables.every((t) => typeof t === 'string') || typeof header.lo_version !== 'string') {
    refuse('the export header is damaged (tables or lo_version missing)');
  }
  if (header.source !== 'sqlite' && header.source !== 'postgres') refuse(`unknown export source ${JSON.stringify(header.source)}`);
  return header as unknown as ExportHeader;
}

function isPortableValue(value: unknown): value is PortableValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  return isObject(value) && Object.keys(value).length === 1 && typeof value.$base64 === 'string';
}

export function parseLine(line: string, lineNo: number): RowLine | EndLine {
  const parsed = parseJson(line, lineNo);
  if (isObject(parsed) && parsed.end === true) {
    if (typeof parsed.rows !== 'number') refuse(`line ${lineNo}: the end line has no row count`);
    return parsed as unknown as EndLine;
  }
  if (!isObject(parsed) || typeof parsed.t !== 'string' || !isObject(parsed.r)) refuse(`line ${lineNo} is not a row {"t":…,"r":{…}}`);
  for (const [column, value] of Object.entries(parsed.r)) {
    if (!isPortableValue(value)) refuse(`line ${lineNo}: ${parsed.t}.${column} has a value of no portable type`);
  }
  return parsed as unknown as RowLine;
}
