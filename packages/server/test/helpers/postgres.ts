/**
 * PostgreSQL for tests: each store gets a schema of its own (`lo_test_<random>`), dropped on cleanup,
 * so test files and tests never see each other's rows and can run in parallel on one database.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Store } from '../../src/core/store.js';
import { openStore } from '../../src/store/open-store.js';

/** The test server's URL (scripts/run-tests.mjs sets it when one answers), or undefined. */
export const POSTGRES_URL = process.env.LO_TEST_POSTGRES_URL;

export const POSTGRES_SKIP = 'no PostgreSQL server (set LO_TEST_POSTGRES_URL=postgres://…)';

/** A fresh schema name on `url` (created by the first store that migrates it); `drop` removes it. */
export function freshPostgresSchema(url: string, poolSize = 10): { url: string; drop(): Promise<void> } {
  const schema = `lo_test_${randomBytes(6).toString('hex')}`;
  const withParams = new URL(url);
  withParams.searchParams.set('schema', schema);
  withParams.searchParams.set('pool', String(poolSize));
  return { url: withParams.toString(), drop: () => dropSchema(url, schema) };
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Opens a migrated PostgresStore in a fresh schema; `cleanup` closes it and drops the schema. */
export async function freshPostgresStore(url: string, poolSize = 10): Promise<{ store: Store; cleanup(): Promise<void> }> {
  const schema = `lo_test_${randomBytes(6).toString('hex')}`;
  const withParams = new URL(url);
  withParams.searchParams.set('schema', schema);
  withParams.searchParams.set('pool', String(poolSize));
  const store = await openStore({ databaseUrl: withParams.toString(), sqliteSynchronous: 'NORMAL' });
  return {
    store,
    async cleanup() {
      await store.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
