/**
 * Beacon and proximity-pair queries common to both dialects: the tables are alike (see schema.ts), and
 * the one dialect difference they touch, the users.ghost_mode column (an integer flag in SQLite, a
 * boolean in PostgreSQL), is read as `NOT ghost_mode`, which both evaluate the same way.
 */
import { sql, type Kysely } from 'kysely';
import { boundingBoxes } from '../../core/geo/bbox.js';
import { haversineM } from '../../core/geo/haversine.js';
import type { BeaconArea, BeaconRecord } from '../../core/live-location-repos.js';
import type { BeaconsTable, SharedTables, UserColumns } from './schema.js';

/** Reads only: each dialect's Kysely passes as this (its writes are typed by its own Database). */
type Db = Pick<Kysely<SharedTables & { users: UserColumns }>, 'selectFrom'>;

/** Parameters per `IN (…)` list: far below both dialects' bound on bound parameters. */
export const IN_CHUNK = 500;

export function chunks<T>(items: T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function toBeacon(row: BeaconsTable): BeaconRecord {
  return {
    userId: row.user_id,
    lat: row.lat,
    lng: row.lng,
    accuracy: row.accuracy,
    publicLat: row.public_lat,
    publicLng: row.public_lng,
    at: row.at,
  };
}

/** The columns of a beacon but its key, for the insert and for the update on conflict. */
export function beaconValues(beacon: BeaconRecord): Omit<BeaconsTable, 'user_id'> {
  return {
    lat: beacon.lat,
    lng: beacon.lng,
    accuracy: beacon.accuracy,
    public_lat: beacon.publicLat,
    public_lng: beacon.publicLng,
    at: beacon.at,
  };
}

export function beaconsOf(db: Db, userIds: string[], since: number) {
  return db.selectFrom('beacons').selectAll().where('user_id', 'in', userIds).where('at', '>=', since);
}

/**
 * Public points of the live, shown beacons in the bounding boxes of `area` (the index pre-filter);
 * `countWithin` then decides each by haversine, so both dialects count the same.
 */
export function areaCandidates(db: Db, area: BeaconArea) {
  const boxes = boundingBoxes(area.lat, area.lng, area.radiusM);
  let q = db
    .selectFrom('beacons as b')
    .innerJoin('users as u', 'u.id', 'b.user_id')
    .select(['b.public_lat', 'b.public_lng'])
    .where((eb) =>
      eb.or(
        boxes.map((box) =>
          eb.and([
            eb('b.public_lat', '>=', box.minLat),
            eb('b.public_lat', '<=', box.maxLat),
            eb('b.public_lng', '>=', box.minLng),
            eb('b.public_lng', '<=', box.maxLng),
          ]),
        ),
      ),
    )
    .where('b.at', '>=', area.since)
    .where('u.location_sharing', '<>', 'off')
    .where(sql<boolean>`(NOT u.ghost_mode OR (u.ghost_until IS NOT NULL AND u.ghost_until <= ${area.now}))`);
  if (area.exclude !== undefined) q = q.where('b.user_id', '<>', area.exclude);
  return q;
}

export function countWithin(rows: Array<{ public_lat: number; public_lng: number }>, area: BeaconArea): number {
  let n = 0;
  for (const row of rows) if (haversineM(area.lat, area.lng, row.public_lat, row.public_lng) <= area.radiusM) n++;
  return n;
}

/** A pair's key: the two ids in ascending order (the table's CHECK). */
export function pairOf(a: string, b: string): { user_a: string; user_b: string } {
  return a < b ? { user_a: a, user_b: b } : { user_a: b, user_b: a };
}

export function nearOfQuery(db: Db, userId: string) {
  return db
    .selectFrom('proximity_pairs')
    .select(['user_a', 'user_b'])
    .where((eb) => eb.or([eb('user_a', '=', userId), eb('user_b', '=', userId)]));
}

export function otherOf(rows: Array<{ user_a: string; user_b: string }>, userId: string): Set<string> {
  return new Set(rows.map((r) => (r.user_a === userId ? r.user_b : r.user_a)));
}
