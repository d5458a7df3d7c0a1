import fs from 'node:fs';
import readline from 'node:readline';
import { loadConfig } from '../config/config.js';
import { OperatorError } from '../errors/operator-error.js';
import { importDatabase } from '../store/portable/import-reader.js';
import { openPortableDb } from '../store/portable/portable-db.js';
import { failAndExit } from './fail.js';

/**
 * `lo import <file>` (`-` for stdin): loads an export into the database LO_DATABASE_URL names, after
 * bringing its schema up to date. All or nothing, into a new database only (store/portable/import-reader.ts).
 * Run it with no server on the target: a server started meanwhile would hold secrets the import replaces.
 */
export async function runImport(file: string): Promise<void> {
  try {
    const config = loadConfig();
    if (file !== '-' && !fs.existsSync(file)) throw new OperatorError(`no file ${file}`);
    const db = await openPortableDb(config, false);
    // Made only now: readline emits lines from the start, and importDatabase takes its iterator at once.
    const input = file === '-' ? process.stdin : fs.createReadStream(file, { encoding: 'utf8' });
    const lines = readline.createInterface({ input, crlfDelay: Infinity });
    try {
      const result = await importDatabase(db, lines, Date.now());
      const from = `${result.header.source} export of Lo ${result.header.lo_version} (${result.header.exported_at})`;
      console.log(`lo: imported ${result.rows} rows of ${result.header.tables.length} tables into ${db.kind} from a ${from}`);
      if (result.replacedSecrets) console.log('lo: the secrets the target had generated were replaced by the exported ones');
    } finally {
      lines.close();
      await db.close();
    }
  } catch (error) {
    failAndExit(error);
  }
}
