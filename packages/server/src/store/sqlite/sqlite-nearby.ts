import { boundingBoxes, type Box } from '../../core/geo/bbox.js';
import { haversineM } from '../../core/geo/haversine.js';
import type { GeoCandidate, NearbyScan } from '../../core/store.js';
import type { SqliteDb } from './sqlite-db.js';
import { takeAccepted, toGeoCandidate, type CandidateRow } from '../shared/nearby.js';

/**
 * Nearby scans over the geo R*Tree, which indexes each live post's public point and creation time
 * (lat, lng, t). The R*Tree stores 32-bit floats rounded outwards, so it only pre-filters; every
 * candidate is then checked exactly (haversine distance, created_at bounds, expiry).
 *
 * The time of a post is indexed as the UTC day it was made in (its bucket), not as a point: posts of
 * one day share one time extent, so the R*Tree groups them by day and, within a day, by place alone.
 * With point times its volume heuristics grouped posts into thin time slabs each spanning a whole
 * region, and any query over a long time range (a sparse area, sort=distance) read most of the tree:
 * on 1,000,000 posts a sparse area's feed went from ~20 ms to under 1 ms (bench/results.md).
 *
 * - sort=recent reads the area in time slices going back from the newest post (or the cursor), a day
 *   bucket first, then doubling the slice until `limit` posts are accepted or the oldest post is
 *   passed. The newest posts of a dense area are found without reading or sorting the rest of it.
 * - sort=distance reads growing rings around the point, doubling the ring until `limit` are accepted or
 *   the radius is reached.
 */

/** Index time origin: seconds since 2020 keep more float32 precision than seconds since 1970. */
const INDEX_EPOCH_MS = Date.UTC(2020, 0, 1);
/**
 * Length of a time bucket. Slices start on bucket boundaries. Entries indexed with another length
 * stay correct as long as the new length divides the old one; point entries (older databases) stay
 * correct with any length.
 */
const BUCKET_MS = 86_400_000;
/**
 * A bucket entry spans its day shrunk by this much at both ends (seconds), so a slice starting on a
 * boundary does not also match the whole day before it. Larger than float32 rounding of the index
 * time (16 s until 2028, 128 s until 2088).
 */
const BUCKET_INSET_S = 300;
/** Time bounds of a query over all time. */
const ALL_TIME: readonly [number, number] = [-1e12, 1e12];

export function indexTime(ms: number): number {
  return (ms - INDEX_EPOCH_MS) / 1000;
}

/** Start of the bucket holding `ms`. */
function bucketStart(ms: number): number {
  return INDEX_EPOCH_MS + Math.floor((ms - INDEX_EPOCH_MS) / BUCKET_MS) * BUCKET_MS;
}

interface SqliteCandidateRow extends CandidateRow {
  seq: number;
  deleted_at: number | null;
}

export interface ScannedCandidate extends GeoCandidate {
  seq: number;
}

const CANDIDATES_SQL = `
  SELECT m.seq, m.id, m.author_id, m.public_lat, m.public_lng, m.radius, m.visibility, m.created_at, m.expires_at, m.deleted_at
  FROM geo_index g JOIN messages m ON m.seq = g.seq
  WHERE g.max_lat >= ? AND g.min_lat <= ? AND g.max_lng >= ? AND g.min_lng <= ? AND g.max_t >= ? AND g.min_t <= ?`;

/**
 * The oldest and newest post times. Two scalar subqueries, because SQLite answers a lone min() or max()
 * with one seek in messages_geo_created but reads the whole index for min() and max() in one SELECT.
 */
const BOUNDS_SQL = `SELECT (SELECT min(created_at) FROM messages WHERE kind = 'geo') AS lo,
  (SELECT max(created_at) FROM messages WHERE kind = 'geo') AS hi`;

export class SqliteNearby {
  constructor(private readonly db: SqliteDb) {}

  index(seq: number, lat: number, lng: number, createdAt: number): void {
    const start = bucketStart(createdAt);
    const minT = indexTime(start) + BUCKET_INSET_S;
    const maxT = indexTime(start + BUCKET_MS) - BUCKET_INSET_S;
    this.db.prepare('INSERT INTO geo_index VALUES (?, ?, ?, ?, ?, ?, ?)').run(seq, lat, lat, lng, lng, minT, maxT);
  }

  unindex(seq: number): void {
    this.db.prepare('DELETE FROM geo_index WHERE seq = ?').run(seq);
  }

  scan(scan: NearbyScan, accept: (candidate: GeoCandidate) => boolean): ScannedCandidate[] {
    return scan.sort === 'recent' ? this.scanRecent(scan, accept) : this.scanDistance(scan, accept);
  }

  private scanRecent(scan: NearbyScan, accept: (candidate: GeoCandidate) => boolean): ScannedCandidate[] {
    const bounds = this.db.prepare(BOUNDS_SQL).get() as { lo: number | null; hi: number | null };
    if (bounds.lo === null || bounds.hi === null) return [];
    const after = scan.after?.sort === 'recent' ? scan.after : undefined;
    const newer = scan.newerThan;
    const boxes = boundingBoxes(scan.lat, scan.lng, scan.radiusM);
    const accepted: ScannedCandidate[] = [];
    let hi = after ? Math.min(after.createdAt, bounds.hi) : bounds.hi;
    // Slices are (lo, hi]: each post falls in exactly one of them. The first reaches back to the start of
    // hi's bucket, the next ones are 1, 2, 4… buckets long, so lo is always a bucket boundary. A post made
    // after lo is then in a bucket starting at or after lo, whose entry ends nearly a day later, so the
    // query from indexTime(lo) finds it; one made at or before hi is in a bucket starting at or before
    // hi, whose entry starts BUCKET_INSET_S later: hence the allowance at the top.
    let lo = bucketStart(hi);
    if (lo === hi) lo -= BUCKET_MS;
    let buckets = 1;
    for (;;) {
      const slice = this.candidates(scan, boxes, indexTime(lo), indexTime(hi) + BUCKET_INSET_S).filter(
        (c) =>
          c.createdAt > lo &&
          c.createdAt <= hi &&
          (after === undefined || c.createdAt < after.createdAt || (c.createdAt === after.createdAt && c.id < after.id)) &&
          (newer === undefined || c.createdAt > newer.createdAt || (c.createdAt === newer.createdAt && c.id > newer.id)),
      );
      slice.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      if (takeAccepted(slice, accept, accepted, scan.limit)) return accepted;
      // Slices are (lo, hi]: once lo is before `newer`, every post after it has been read.
      if (lo < bounds.lo || (newer !== undefined && lo < newer.createdAt)) return accepted;
      hi = lo;
      lo = hi - buckets * BUCKET_MS;
      buckets *= 2;
    }
  }

  private scanDistance(scan: NearbyScan, accept: (candidate: GeoCandidate) => boolean): ScannedCandidate[] {
    const after = scan.after?.sort === 'distance' ? scan.after : undefined;
    const accepted: ScannedCandidate[] = [];
    let inner = after ? Math.min(after.distance, scan.radiusM) : 0;
    let step = Math.max(scan.radiusM / 8, 100);
    let previousOuter = -1;
    for (;;) {
      const outer = Math.min(scan.radiusM, inner + step);
      const ring = this.candidates({ ...scan, radiusM: outer }, boundingBoxes(scan.lat, scan.lng, outer), ...ALL_TIME).filter(
        (c) =>
          c.distance > previousOuter &&
          (after === undefined || c.distance > after.distance || (c.distance === after.distance && c.id > after.id)),
      );
      ring.sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      if (takeAccepted(ring, accept, accepted, scan.limit)) return accepted;
      if (outer >= scan.radiusM) return accepted;
      previousOuter = outer;
      inner = outer;
      step *= 2;
    }
  }

  /** Live posts in the boxes whose index time overlaps [tLo, tHi] and public point is within scan.radiusM. */
  private candidates(scan: NearbyScan, boxes: Box[], tLo: number, tHi: number): ScannedCandidate[] {
    const statement = this.db.prepare(CANDIDATES_SQL);
    const out: ScannedCandidate[] = [];
    for (const box of boxes) {
      const rows = statement.all(box.minLat, box.maxLat, box.minLng, box.maxLng, tLo, tHi) as SqliteCandidateRow[];
      for (const row of rows) {
        if (row.deleted_at !== null || (row.expires_at !== null && row.expires_at <= scan.now)) continue;
        const distance = haversineM(scan.lat, scan.lng, row.public_lat, row.public_lng);
        if (distance > scan.radiusM) continue;
        out.push({ seq: row.seq, ...toGeoCandidate(row, distance) });
      }
    }
    return out;
  }
}
