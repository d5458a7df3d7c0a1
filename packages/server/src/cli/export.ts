import fs from 'node:fs';
import { once } from 'node:events';
import { loadConfig } from '../config/config.js';
import { exportDatabase } from '../store/portable/export-writer.js';
import { openPortableDb, type PortableDb } from '../store/portable/portable-db.js';
import { VERSION } from '../version.js';
import { failAndExit } from './fail.js';

/**
 * `lo export [--out file]`: the whole database as portable JSON lines (store/portable/portable-format.ts),
 * on stdout by default, so it can be piped. Safe while a server runs: it reads one snapshot. With
 * --out, the file appears under its name only once complete (written as `<file>.partial`, then renamed),
 * readable by its owner only: it holds password hashes and the deployment's secrets. Messages go to
 * stderr, never into the export.
 */
export async function runExport(options: { out?: string }): Promise<void> {
  try {
    const db = await openPortableDb(loadConfig(), true);
    try {
      const result = options.out === undefined ? await exportTo(process.stdout, db) : await exportToFile(options.out, db);
      const where = options.out ?? 'stdout';
      console.error(`lo: exported ${result.rows} rows of ${result.tables.length} tables from ${db.kind} to ${where}`);
    } finally {
      await db.close();
    }
  } catch (error) {
    failAndExit(error);
  }
}

function exportTo(stream: NodeJS.WritableStream, db: PortableDb) {
  const write = async (chunk: string) => {
    if (!stream.write(chunk)) await once(stream, 'drain');
  };
  return exportDatabase(db, write, { loVersion: VERSION, now: new Date() });
}

async function exportToFile(file: string, db: PortableDb) {
  const partial = `${file}.partial`;
  const handle = await fs.promises.open(partial, 'w', 0o600);
  try {
    const result = await exportDatabase(db, async (chunk) => void (await handle.write(chunk)), { loVersion: VERSION, now: new Date() });
    // On disk before the rename makes it look complete.
    await handle.sync();
    await handle.close();
    await fs.promises.rename(partial, file);
    return result;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.promises.rm(partial, { force: true });
    throw error;
  }
}
