/**
 * Online backups of the SQLite store and the checks a file must pass before it replaces one.
 * These work on files, not through SqliteDb: a backup must not migrate the live database, and a file
 * being checked must not be changed by opening it.
 */
import fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { OperatorError } from '../../errors/operator-error.js';
import { sqliteMigrations } from './migrations/index.js';

/** The first 16 bytes of every SQLite database file. */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Copies the live database `dbFile` to `outFile` while a server may be writing to it. `VACUUM INTO` reads
 * one snapshot in one read transaction, so the copy is consistent and a busy writer never makes it
 * start over (the page-by-page backup API restarts whenever another connection writes). The copy is
 * written as `<outFile>.partial` and renamed when complete, so a file with the final name is whole.
 */
export function backupSqlite(dbFile: string, outFile: string): { bytes: number } {
  if (!fs.existsSync(dbFile)) throw new OperatorError(`no database at ${dbFile} (check LO_DATA_DIR / LO_DATABASE_URL)`);
  if (fs.existsSync(outFile)) throw new OperatorError(`${outFile} already exists: choose another --out`);
  const partial = `${outFile}.partial`;
  fs.rmSync(partial, { force: true });
  const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    if (migrationsOf(db) === null) throw new OperatorError(`${dbFile} is not a Lo database (it has no migrations table)`);
    db.prepare('VACUUM INTO ?').run(partial);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  } finally {
    db.close();
  }
  // Readable by its owner only: it holds password hashes and the deployment's secrets.
  fs.chmodSync(partial, 0o600);
  const fd = fs.openSync(partial, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(partial, outFile);
  return { bytes: fs.statSync(outFile).size };
}

/** The names of the migrations applied to an open database, or null when it has no Kysely migrations table. */
function migrationsOf(db: BetterSqlite3.Database): string[] | null {
  const table = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'kysely_migration'`).get();
  if (table === undefined) return null;
  return (db.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name);
}

/**
 * Checks that `file` is a whole Lo SQLite database this version can run: a SQLite file, intact
 * (`integrity_check` reads every page), with Lo's migrations table, and no migration this version does
 * not know (a backup from a newer Lo). Returns the applied migrations; throws OperatorError otherwise.
 */
export async function checkLoBackup(file: string): Promise<string[]> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new OperatorError(`no file ${file}`);
  const head = Buffer.alloc(SQLITE_MAGIC.length);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (!head.equals(SQLITE_MAGIC)) throw new OperatorError(`${file} is not a SQLite database`);
  // Only the file itself is copied into place: commits still in a WAL beside it would be lost.
  if ((fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0) {
    throw new OperatorError(`${file} has a ${file}-wal beside it: use a file made by lo backup (or checkpoint it first)`);
  }
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const problems = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    if (problems.join() !== 'ok') throw new OperatorError(`${file} is damaged: ${problems.slice(0, 3).join('; ')}`);
    const applied = migrationsOf(db);
    if (applied === null || applied.length === 0) throw new OperatorError(`${file} is not a Lo database (it has no migrations table)`);
    const known = Object.keys(await sqliteMigrations.getMigrations());
    const newer = applied.filter((name) => !known.includes(name));
    if (newer.length > 0)
      throw new OperatorError(`${file} comes from a newer Lo (migrations ${newer.join(', ')}): restore it with that version`);
    return applied;
  } catch (error) {
    if (error instanceof OperatorError) throw error;
    throw new OperatorError(`${file} cannot be read as a SQLite database: ${(error as Error).message}`, { cause: error });
  } finally {
    db.close();
  }
}
