import { sql, type RawBuilder } from 'kysely';
import { haversineM } from '../../core/geo/haversine.js';
import type { GeoCandidate, NearbyScan } from '../../core/store.js';
import type { Pg } from './postgres-db.js';
import { takeAccepted, toGeoCandidate, type CandidateRow } from '../shared/nearby.js';
import { cellCandidatesSql, feedCellsCovering } from './postgres-feed-cells.js';

/**
 * Nearby scans over the GiST index on `messages.public_geog` (the public point of every live, unpurged
 * post). PostGIS measures on its own sphere (or the spheroid), while Lo's contract is haversine on
 * EARTH_RADIUS_M, so ST_DWithin only pre-filters with a margin and every candidate is then decided in
 * TypeScript with the same haversine the SQLite store and the oracle use: both backends return the same
 * posts, in the same order, with the same distances.
 *
 * - sort=recent reads the area newest first, (created_at, id) keyset, in growing batches, until `limit`
 *   posts are accepted or the area is exhausted: from the grid-cell index (postgres-feed-cells.ts) when
 *   the circle covers few cells, else from the GiST.
 * - sort=distance reads growing rings around the point (as the SQLite store does), sorting each ring by
 *   haversine distance, until `limit` are accepted or the radius is reached.
 */

/** Pre-filter radius: generous enough to cover the spread between PostGIS's sphere and haversine's. */
function prefilterM(radiusM: number): number {
  return radiusM * 1.001 + 1;
}

const FIRST_BATCH = 64;

type Accept = (candidate: GeoCandidate) => boolean;

export async function scanNearby(db: Pg, scan: NearbyScan, accept: Accept): Promise<GeoCandidate[]> {
  return scan.sort === 'recent' ? scanRecent(db, scan, accept) : scanDistance(db, scan, accept);
}

async function scanRecent(db: Pg, scan: NearbyScan, accept: Accept): Promise<GeoCandidate[]> {
  const accepted: GeoCandidate[] = [];
  let key = scan.after?.sort === 'recent' ? { createdAt: scan.after.createdAt, id: scan.after.id } : undefined;
  let batch = Math.max(FIRST_BATCH, scan.limit * 2);
  const cover = feedCellsCovering(scan.lat, scan.lng, prefilterM(scan.radiusM));
  for (;;) {
    const query =
      cover === null
        ? gistRecentSql(scan, key, batch)
        : cellCandidatesSql({ cover, now: scan.now, before: key, after: scan.newerThan, limit: batch });
    const { rows } = await query.execute(db);
    const within = toCandidates(rows, scan, scan.radiusM);
    if (takeAccepted(within, accept, accepted, scan.limit)) return accepted;
    const last = rows.at(-1);
    if (rows.length < batch || last === undefined) return accepted;
    key = { createdAt: last.created_at, id: last.id };
    batch *= 2;
  }
}

async function scanDistance(db: Pg, scan: NearbyScan, accept: Accept): Promise<GeoCandidate[]> {
  const after = scan.after?.sort === 'distance' ? scan.after : undefined;
  const accepted: GeoCandidate[] = [];
  let inner = after ? Math.min(after.distance, scan.radiusM) : 0;
  let step = Math.max(scan.radiusM / 8, 100);
  let previousOuter = -1;
  for (;;) {
    const outer = Math.min(scan.radiusM, inner + step);
    const { rows } = await sql<CandidateRow>`${candidatesSql(scan, outer)}`.execute(db);
    const ring = toCandidates(rows, scan, outer).filter(
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

function gistRecentSql(scan: NearbyScan, key: { createdAt: number; id: string } | undefined, batch: number): RawBuilder<CandidateRow> {
  const keyset = key === undefined ? sql`` : sql`AND (created_at, id) < (${key.createdAt}::bigint, ${key.id})`;
  const newer =
    scan.newerThan === undefined ? sql`` : sql`AND (created_at, id) > (${scan.newerThan.createdAt}::bigint, ${scan.newerThan.id})`;
  return sql<CandidateRow>`${candidatesSql(scan, scan.radiusM)} ${keyset} ${newer}
    ORDER BY created_at DESC, id DESC LIMIT ${batch}`;
}

/** Live posts whose public point is (roughly) within `radiusM`: the WHERE clause is left open for more. */
function candidatesSql(scan: NearbyScan, radiusM: number) {
  const point = sql`ST_SetSRID(ST_MakePoint(${scan.lng}::float8, ${scan.lat}::float8), 4326)::geography`;
  return sql`SELECT id, author_id, public_lat, public_lng, radius, visibility, created_at, expires_at FROM messages
    WHERE public_geog IS NOT NULL AND ST_DWithin(public_geog, ${point}, ${prefilterM(radiusM)}::float8, false)
      AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > ${scan.now}::bigint)`;
}

/** The rows within `radiusM` by haversine, as candidates (in the rows' order). */
function toCandidates(rows: CandidateRow[], scan: NearbyScan, radiusM: number): GeoCandidate[] {
  const out: GeoCandidate[] = [];
  for (const row of rows) {
    const distance = haversineM(scan.lat, scan.lng, row.public_lat, row.public_lng);
    if (distance > radiusM) continue;
    out.push(toGeoCandidate(row, distance));
  }
  return out;
}
