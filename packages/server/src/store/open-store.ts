import type { Config } from '../config/config.js';
import type { Store } from '../core/store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/** Builds the store LO_DATABASE_URL names and brings its schema up to date. */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'sqliteSynchronous'>): Promise<Store> {
  if (config.databaseUrl.startsWith('sqlite:')) {
    const store = new SqliteStore({ file: config.databaseUrl.slice('sqlite:'.length), synchronous: config.sqliteSynchronous });
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }
  throw new Error('PostgreSQL support is not built yet: LO_DATABASE_URL must be sqlite:<file> for now');
}
