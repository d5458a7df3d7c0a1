import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../config/config.js';
import { OperatorError } from '../errors/operator-error.js';
import { isPostgresUrl } from '../store/open-store.js';
import { findOnPath, pgDumpPlan, pgProcedure, runPgDump } from '../store/postgres/pg-dump.js';
import { backupSqlite } from '../store/sqlite/sqlite-backup.js';
import { fileStamp } from '../util/time.js';
import { failAndExit } from './fail.js';

/**
 * `lo backup [--out file]`: SQLite: a consistent copy of the live database, safe while the server runs
 * (store/sqlite/sqlite-backup.ts), by default `<LO_DATA_DIR>/backups/lo-<time>.db`. PostgreSQL: runs
 * pg_dump when it is installed (`lo-<time>.dump`), otherwise explains the procedure and exits non-zero,
 * so a scheduled job never mistakes "nothing done" for a backup.
 */
export async function runBackup(options: { out?: string }): Promise<void> {
  try {
    const config = loadConfig();
    const postgres = isPostgresUrl(config.databaseUrl);
    const out = path.resolve(options.out ?? defaultOut(config, postgres ? 'dump' : 'db'));
    if (fs.existsSync(out)) throw new OperatorError(`${out} already exists: choose another --out`);
    fs.mkdirSync(path.dirname(out), { recursive: true, mode: 0o700 });
    if (postgres) {
      if (findOnPath('pg_dump') === null) {
        throw new OperatorError(`pg_dump is not installed here, so no backup was made.\n${pgProcedure(config.databaseUrl)}`);
      }
      const plan = pgDumpPlan(config.databaseUrl, out);
      console.log(`lo: running ${plan.display}`);
      await runPgDump(plan, out);
      console.log(`lo: backed up postgres to ${out} (${fs.statSync(out).size} bytes); restore it with pg_restore (docs/OPERATIONS.md)`);
      return;
    }
    const file = config.databaseUrl.slice('sqlite:'.length);
    const { bytes } = backupSqlite(file, out);
    console.log(`lo: backed up ${file} to ${out} (${bytes} bytes)`);
  } catch (error) {
    failAndExit(error);
  }
}

function defaultOut(config: Config, extension: string): string {
  return path.join(config.dataDir, 'backups', `lo-${fileStamp(Date.now())}.${extension}`);
}
