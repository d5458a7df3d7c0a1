import BetterSqlite3 from 'better-sqlite3';
import { boundingBoxes } from '../../packages/server/src/core/geo/bbox.js';
import { haversineM } from '../../packages/server/src/core/geo/haversine.js';
import type { Store } from '../../packages/server/src/core/store.js';
import type { QueryPoint } from './distribution.js';
import { FEED_LIMIT, FEED_RADIUS_M, storeFeed } from './store-feed.js';
import { nowMs } from './stats.js';

/** The query a developer would write on a plain 2-D R*Tree: box pre-filter, exact distance, sort, limit. */
export const BASELINE_SQL = `SELECT m.* FROM plain_rtree r JOIN messages m ON m.seq = r.id
  WHERE r.min_lat <= ? AND r.max_lat >= ? AND r.min_lng <= ? AND r.max_lng >= ?
    AND haversine(?, ?, m.public_lat, m.public_lng) <= ${FEED_RADIUS_M}
  ORDER BY m.created_at DESC LIMIT ${FEED_LIMIT}`;

/**
 * A second connection to the benchmark database with the plain R*Tree, built once from messages.
 * It uses the same page cache and memory map sizes as Lo's connection (sqlite-db.ts) so the comparison
 * is about the query.
 */
export class Baseline {
  readonly db: BetterSqlite3.Database;
  private readonly statement: BetterSqlite3.Statement;
  readonly buildS: number;

  constructor(file: string) {
    this.db = new BetterSqlite3(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('cache_size = -65536');
    this.db.pragma('mmap_size = 1073741824');
    this.db.function('haversine', { deterministic: true }, (lat1, lng1, lat2, lng2) =>
      haversineM(Number(lat1), Number(lng1), Number(lat2), Number(lng2)),
    );
    this.buildS = this.build();
    this.statement = this.db.prepare(BASELINE_SQL);
  }

  /** Creates and fills plain_rtree unless it already mirrors messages; returns the seconds spent. */
  private build(): number {
    const t0 = nowMs();
    const count = (sql: string): number => (this.db.prepare(sql).get() as { n: number }).n;
    this.db.exec('CREATE VIRTUAL TABLE IF NOT EXISTS plain_rtree USING rtree(id, min_lat, max_lat, min_lng, max_lng)');
    if (count('SELECT count(*) AS n FROM plain_rtree') === count('SELECT count(*) AS n FROM messages')) return 0;
    this.db.transaction(() => {
      this.db.exec('DELETE FROM plain_rtree');
      this.db.exec('INSERT INTO plain_rtree SELECT seq, public_lat, public_lat, public_lng, public_lng FROM messages');
    })();
    return (nowMs() - t0) / 1000;
  }

  /** The ids of the newest posts within 1 km of `point`, newest first. */
  query(point: QueryPoint): string[] {
    const [box, ...more] = boundingBoxes(point.lat, point.lng, FEED_RADIUS_M);
    if (box === undefined || more.length > 0) throw new Error('the baseline handles one bounding box (no antimeridian or pole)');
    const rows = this.statement.all(box.maxLat, box.minLat, box.maxLng, box.minLng, point.lat, point.lng) as Array<{ id: string }>;
    return rows.map((row) => row.id);
  }

  plan(): string[] {
    const rows = this.db.prepare(`EXPLAIN QUERY PLAN ${BASELINE_SQL}`).all(0, 0, 0, 0, 0, 0) as Array<{ detail: string }>;
    return rows.map((row) => row.detail);
  }

  close(): void {
    this.db.close();
  }
}

export interface Agreement {
  checked: number;
  mismatches: number;
  examples: string[];
}

/** Lo's recent feed with accept = always and the baseline must list the same ids in the same order. */
export async function compareWithLo(store: Store, baseline: Baseline, points: readonly QueryPoint[]): Promise<Agreement> {
  let mismatches = 0;
  const examples: string[] = [];
  for (const point of points) {
    const lo = (await storeFeed(store, point, 'recent', () => true)).map((hit) => hit.message.id);
    const plain = baseline.query(point);
    if (lo.length === plain.length && lo.every((id, i) => id === plain[i])) continue;
    mismatches += 1;
    if (examples.length < 3) {
      examples.push(`(${point.lat.toFixed(5)}, ${point.lng.toFixed(5)}): Lo ${lo.length} ids, baseline ${plain.length} ids`);
    }
  }
  return { checked: points.length, mismatches, examples };
}
