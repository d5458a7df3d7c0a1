/**
 * The plain PostGIS query a developer would write for the local feed, on the same table and GiST index
 * as Lo's store, and the tools to compare the two: agreement of their answers, and the plans PostgreSQL
 * chose (EXPLAIN ANALYZE of the baseline and of the exact statements the store sent).
 */
import type pg from 'pg';
import { haversineM } from '../../packages/server/src/core/geo/haversine.js';
import type { PostgresStore } from '../../packages/server/src/store/postgres/postgres-store.js';
import type { Agreement } from './baseline.js';
import type { QueryPoint } from './distribution.js';
import { FEED_LIMIT, FEED_RADIUS_M, storeFeed } from './store-feed.js';

/** ST_DWithin on geography with its defaults (the spheroid), newest first; the columns of the store's page. */
export const PG_BASELINE_SQL = `SELECT id, author_id, content, lat, lng, public_lat, public_lng, radius, visibility,
    created_at, edited_at, deleted_at, expires_at, client_msg_id
  FROM messages
  WHERE ST_DWithin(public_geog, ST_MakePoint($2, $1)::geography, ${FEED_RADIUS_M})
    AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > $3)
  ORDER BY created_at DESC LIMIT ${FEED_LIMIT}`;

interface BaselineRow {
  id: string;
  public_lat: number;
  public_lng: number;
}

export async function pgBaseline(store: PostgresStore, point: QueryPoint): Promise<BaselineRow[]> {
  const { rows } = await store.db.pool.query<BaselineRow>(PG_BASELINE_SQL, [point.lat, point.lng, Date.now()]);
  return rows;
}

export interface CapturedQuery {
  text: string;
  values: unknown[];
}

/** Runs `fn` and returns the statements it sent through the store's pool (text and parameters). */
export async function captureQueries(store: PostgresStore, fn: () => Promise<unknown>): Promise<CapturedQuery[]> {
  const captured: CapturedQuery[] = [];
  const patched = new Set<pg.PoolClient>();
  const onAcquire = (client: pg.PoolClient): void => {
    if (patched.has(client)) return;
    patched.add(client);
    const original = client.query.bind(client) as (text: unknown, values?: unknown) => unknown;
    const recording = (text: unknown, values?: unknown): unknown => {
      if (typeof text === 'string') captured.push({ text, values: Array.isArray(values) ? [...(values as unknown[])] : [] });
      return original(text, values);
    };
    // An own property over the prototype's method; deleting it restores the client.
    Object.defineProperty(client, 'query', { value: recording, configurable: true, writable: true });
  };
  store.db.pool.on('acquire', onAcquire);
  try {
    await fn();
  } finally {
    store.db.pool.off('acquire', onAcquire);
    for (const client of patched) Reflect.deleteProperty(client, 'query');
  }
  return captured;
}

/** EXPLAIN (ANALYZE, BUFFERS) of one statement, as text lines. */
export async function explainAnalyze(store: PostgresStore, query: CapturedQuery): Promise<string[]> {
  const { rows } = await store.db.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${query.text}`, query.values);
  return rows.map((row) => row['QUERY PLAN']);
}

export function baselineQuery(point: QueryPoint): CapturedQuery {
  return { text: PG_BASELINE_SQL, values: [point.lat, point.lng, Date.now()] };
}

/** Posts this close to the 1 km edge may fall either side of it: the baseline measures on the spheroid, Lo by haversine. */
const EDGE_M = 5;

export interface PgAgreement extends Agreement {
  /** Points where the lists differed only by posts within EDGE_M of the edge. */
  edgeOnly: number;
}

/**
 * Lo's recent feed with accept = always against the baseline at each point: identical lists, lists that
 * agree once the posts near the edge are set aside (sphere against spheroid), or a real mismatch.
 */
export async function compareWithPgBaseline(store: PostgresStore, points: readonly QueryPoint[]): Promise<PgAgreement> {
  let mismatches = 0;
  let edgeOnly = 0;
  const examples: string[] = [];
  for (const point of points) {
    const lo = (await storeFeed(store, point, 'recent', () => true)).map((hit) => ({
      id: hit.message.id,
      distance: hit.distance,
    }));
    const plain = (await pgBaseline(store, point)).map((row) => ({
      id: row.id,
      distance: haversineM(point.lat, point.lng, row.public_lat, row.public_lng),
    }));
    if (lo.length === plain.length && lo.every((hit, i) => hit.id === plain[i]?.id)) continue;
    const inside = (list: Array<{ id: string; distance: number }>): string[] =>
      list.filter((hit) => Math.abs(hit.distance - FEED_RADIUS_M) > EDGE_M).map((hit) => hit.id);
    const [a, b] = [inside(lo), inside(plain)];
    const common = Math.min(a.length, b.length);
    const sameOrder = a.slice(0, common).every((id, i) => id === b[i]);
    // A list cut by the limit may end earlier than the other; one that is not cut must hold all of it.
    const sameEnd = (a.length === b.length || (lo.length === FEED_LIMIT && plain.length === FEED_LIMIT)) && sameOrder;
    if (sameEnd) {
      edgeOnly += 1;
      continue;
    }
    mismatches += 1;
    if (examples.length < 3) {
      examples.push(`(${point.lat.toFixed(5)}, ${point.lng.toFixed(5)}): Lo ${lo.length} ids, baseline ${plain.length} ids`);
    }
  }
  return { checked: points.length, mismatches, edgeOnly, examples };
}
