import { loadConfig } from '../config/config.js';
import { openStore } from '../store/open-store.js';
import { failAndExit } from './fail.js';

/** `lo migrate`: opening the store applies pending migrations. */
export async function runMigrate(): Promise<void> {
  try {
    const config = loadConfig();
    const store = await openStore(config);
    await store.close();
    console.log(`lo: database ${config.databaseUrl.split(':')[0]} is at the latest schema`);
  } catch (error) {
    failAndExit(error);
  }
}
