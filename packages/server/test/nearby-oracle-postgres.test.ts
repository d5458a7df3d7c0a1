/**
 * The nearby store scan against the brute-force haversine oracle on real PostgreSQL + PostGIS: the same
 * data and checks as the SQLite run (helpers/nearby-oracle.ts), so both backends answer identically.
 */
import { test } from 'node:test';
import { runStoreScanOracle } from './helpers/nearby-oracle.js';
import { freshPostgresStore, POSTGRES_SKIP, POSTGRES_URL } from './helpers/postgres.js';

const url = POSTGRES_URL;
if (url === undefined) {
  test('nearby against a brute-force oracle: store scans (postgres)', { skip: POSTGRES_SKIP }, () => undefined);
} else {
  runStoreScanOracle('postgres', () => freshPostgresStore(url));
}
