/**
 * What the PostgreSQL store does when the server goes away. The `pg` pool reconnects by itself (each
 * checkout opens a new connection when the idle ones are gone); this module makes the meantime
 * clean: errors of a connection that could not be made or was lost become LoError `unavailable` (503
 * with Retry-After, a WebSocket error reply) instead of an anonymous 500, and a connection that dies
 * while checked out cannot crash the process.
 */
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { unavailable } from '../../errors/unavailable.js';

/** Socket errors of a server that is down, restarting or cut off. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATEs: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections (class 08 is matched by prefix). */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

/** What `pg` says when a connection ends under a query, or none could be had in time. */
const LOST = /^Connection terminated|timeout exceeded when trying to connect|is not queryable/;

/** Whether `error` means the database cannot be reached (as opposed to a query that is wrong). */
export function isConnectionLost(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08'))) return true;
  return error instanceof Error && LOST.test(error.message);
}

function translated(error: unknown): unknown {
  return isConnectionLost(error) ? unavailable('database', error) : error;
}

const ignore = (): void => undefined;

/**
 * The pool Kysely uses: `pool`, with lost-connection errors translated. `pg` emits 'error' on a
 * checked-out client whose connection dies between two queries (inside a transaction, say), and an
 * 'error' without a listener ends the process; the query that follows fails and releases it.
 */
export function availablePool(pool: pg.Pool): PostgresPool {
  const guarded = new WeakSet<pg.PoolClient>();
  return {
    async connect(): Promise<PostgresPoolClient> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw translated(error);
      }
      if (!guarded.has(client)) {
        guarded.add(client);
        client.on('error', ignore);
      }
      const query = async (sql: string, parameters: ReadonlyArray<unknown>) => {
        try {
          return await client.query(sql, [...parameters]);
        } catch (error) {
          throw translated(error);
        }
      };
      // Kysely streams through a cursor only when given one (it is not): the (sql, parameters) form is all it calls.
      return { query: query as unknown as PostgresPoolClient['query'], release: () => client.release() };
    },
    end: () => pool.end(),
  };
}
