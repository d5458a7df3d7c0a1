import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, sql, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import { postgresMigrations } from './migrations/index.js';
import { availablePool } from './postgres-availability.js';

/**
 * How long a checkout waits for a connection (a new one, or a free one of a full pool) before it fails
 * with `unavailable`. Without a bound, requests hang for as long as the server does not answer.
 */
const CONNECT_TIMEOUT_MS = 5000;

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` (query parameters understood by `pg`). */
  url: string;
  /** Connections in the pool. */
  poolSize: number;
  /**
   * Schema holding Lo's tables (created by migrate). Default: `public`. Every pooled connection gets
   * `search_path=<schema>,public`, so PostGIS types (installed in `public`) resolve.
   */
  schema?: string | undefined;
}

/** A query builder for one statement or one transaction. */
export type Pg = Kysely<Database> | Transaction<Database>;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** bigint (int8) columns hold epoch milliseconds and offsets, all far below 2^53: read them as numbers. */
const INT8_OID = 20;
function parserFor(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
  return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
}
const TYPES: pg.CustomTypesConfig = { getTypeParser: parserFor as typeof pg.types.getTypeParser };

/** PostgreSQL's SQLSTATE for a unique-constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/**
 * A `pg` pool behind Kysely, shared by the repos. Unlike SQLite, calls interleave on several
 * connections, so a repo method with more than one statement runs them in `tx`, and races are settled
 * by row locks (SELECT … FOR UPDATE, UPDATE … RETURNING) and unique indexes, never by read-then-write.
 */
export class PostgresDb {
  readonly pool: pg.Pool;
  readonly kysely: Kysely<Database>;
  readonly schema: string;

  constructor(options: PostgresOptions) {
    this.schema = options.schema ?? 'public';
    if (!SCHEMA_NAME.test(this.schema)) throw new Error(`invalid PostgreSQL schema name: ${this.schema}`);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      types: TYPES,
      options: `-c search_path=${this.schema},public`,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // TCP keepalive: a connection to a server that vanished without a word is found dead eventually.
      keepAlive: true,
    });
    // An idle connection that drops (server restart) emits 'error' on the pool; without a listener that
    // would crash the process. The pool replaces it; the next query reports any lasting problem.
    this.pool.on('error', () => undefined);
    this.kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: availablePool(this.pool) }) });
  }

  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Reads that
   * must see one point in time across statements ask for 'repeatable read' (one snapshot).
   */
  tx<T>(fn: (trx: Transaction<Database>) => Promise<T>, isolation?: 'repeatable read'): Promise<T> {
    const builder = this.kysely.transaction();
    return (isolation === undefined ? builder : builder.setIsolationLevel(isolation)).execute(fn);
  }

  async migrate(): Promise<void> {
    await this.ensurePostgis();
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(this.schema)}`.execute(this.kysely);
    const migrator = new Migrator({ db: this.kysely, provider: postgresMigrations, migrationTableSchema: this.schema });
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error !== undefined || failed !== undefined) {
      throw new Error(`migration ${failed?.migrationName ?? ''} failed`, { cause: error });
    }
  }

  /**
   * PostGIS lives in `public`, once per database. Creating it needs a privileged role; a deployment
   * whose role cannot should install it beforehand (`CREATE EXTENSION postgis`), and then nothing is
   * attempted here. Two stores starting at once may race on the CREATE: the loser finds it installed.
   */
  private async ensurePostgis(): Promise<void> {
    const installed = async () => (await sql`SELECT 1 FROM pg_extension WHERE extname = 'postgis'`.execute(this.kysely)).rows.length > 0;
    if (await installed()) return;
    try {
      await sql`CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public`.execute(this.kysely);
    } catch (error) {
      if (await installed()) return;
      throw new Error('PostGIS is not installed in this database and could not be created (CREATE EXTENSION postgis)', {
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    await this.kysely.destroy();
  }
}
