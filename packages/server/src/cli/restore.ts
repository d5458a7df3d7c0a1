import path from 'node:path';
import { loadConfig } from '../config/config.js';
import { OperatorError } from '../errors/operator-error.js';
import { isPostgresUrl } from '../store/open-store.js';
import { pgProcedure } from '../store/postgres/pg-dump.js';
import { checkLoBackup } from '../store/sqlite/sqlite-backup.js';
import { assertNotInUse, swapInBackup } from '../store/sqlite/sqlite-restore.js';
import { fileStamp } from '../util/time.js';
import { failAndExit } from './fail.js';

/**
 * `lo restore <file>`: puts a SQLite backup in place of the database LO_DATABASE_URL names. Refuses a
 * file that is not a whole Lo database and a database a server has open; keeps the replaced file as
 * `<db>.replaced-<time>`. The next `lo serve` (or `lo migrate`) brings an older backup's schema up to
 * date. PostgreSQL is restored with pg_restore, which this explains instead of running: it is an
 * operator's deliberate step on a database of their choosing.
 */
export async function runRestore(file: string): Promise<void> {
  try {
    const config = loadConfig();
    if (isPostgresUrl(config.databaseUrl)) {
      throw new OperatorError(`lo restore puts SQLite backups in place; nothing was changed.\n${pgProcedure(config.databaseUrl)}`);
    }
    const backup = path.resolve(file);
    const target = config.databaseUrl.slice('sqlite:'.length);
    if (backup === target) throw new OperatorError(`${backup} is the live database itself`);
    const migrations = await checkLoBackup(backup);
    assertNotInUse(target);
    const aside = swapInBackup(backup, target, fileStamp(Date.now()));
    console.log(`lo: restored ${backup} (schema ${migrations.at(-1) ?? '?'}) to ${target}`);
    if (aside !== null) console.log(`lo: the replaced database was kept as ${aside}`);
  } catch (error) {
    failAndExit(error);
  }
}
