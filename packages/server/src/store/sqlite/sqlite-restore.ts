/**
 * Putting a checked backup (sqlite-backup.ts) in place of the live SQLite database, keeping the
 * replaced file aside.
 */
import fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { OperatorError } from '../../errors/operator-error.js';

/** The files SQLite keeps beside a database in WAL mode. */
const SIDE_FILES = ['-wal', '-shm'];

/**
 * Refuses when another process has `dbFile` open, by asking for an exclusive lock without waiting. Every
 * connection to a WAL database holds a shared lock on its shared-memory file for as long as it is open
 * (an idle `lo serve` included), so the request fails with SQLITE_BUSY while a server runs. File locks
 * are only as good as the file system's: on a network file system this check may not see a server on
 * another machine. Before letting go, everything in the WAL is checkpointed into the main file, so the
 * file kept aside is complete on its own.
 */
export function assertNotInUse(dbFile: string): void {
  if (!fs.existsSync(dbFile)) return;
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(dbFile, { fileMustExist: true });
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw new OperatorError(`${dbFile} is in use (is lo serve running on this data dir?): stop every server using it, then restore`);
    }
    throw error;
  } finally {
    db?.close();
  }
}

/**
 * Moves `dbFile` (and any WAL files beside it) to `<dbFile>.replaced-<stamp>`, then puts a copy of
 * `backup` in its place. The copy is made next to the target first and renamed over it, so the
 * database file is at every moment either absent or whole. Returns where the replaced file went (null
 * when there was none).
 */
export function swapInBackup(backup: string, dbFile: string, stamp: string): string | null {
  const incoming = `${dbFile}.restoring`;
  fs.copyFileSync(backup, incoming);
  const fd = fs.openSync(incoming, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  let aside: string | null = null;
  if (fs.existsSync(dbFile)) {
    aside = `${dbFile}.replaced-${stamp}`;
    fs.renameSync(dbFile, aside);
    for (const suffix of SIDE_FILES) {
      if (fs.existsSync(dbFile + suffix)) fs.renameSync(dbFile + suffix, aside + suffix);
    }
  }
  fs.renameSync(incoming, dbFile);
  return aside;
}
