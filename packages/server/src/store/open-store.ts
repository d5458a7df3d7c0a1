import { parsePostgresUrl, type Config } from '../config/config.js';
import type { Store } from '../core/store.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

export function isPostgresUrl(databaseUrl: string): boolean {
  return databaseUrl.startsWith('postgres://') || databaseUrl.startsWith('postgresql://');
}

/** Builds the store LO_DATABASE_URL names and brings its schema up to date. */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'sqliteSynchronous'>): Promise<Store> {
  let store: Store;
  if (config.databaseUrl.startsWith('sqlite:')) {
    store = new SqliteStore({ file: config.databaseUrl.slice('sqlite:'.length), synchronous: config.sqliteSynchronous });
  } else if (isPostgresUrl(config.databaseUrl)) {
    store = new PostgresStore(parsePostgresUrl(config.databaseUrl));
  } else {
    throw new Error('LO_DATABASE_URL must be sqlite:<file> or postgres://…');
  }
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
