/**
 * The pre-filter of GET /rooms/nearby, common to both dialects: public rooms with a geofence whose
 * centre lies in one of the boxes, nearest first by an equirectangular approximation (exact enough to
 * keep the nearest when the cap cuts; RoomService measures the real distance and decides).
 */
import { sql, type Kysely } from 'kysely';
import type { Box } from '../../core/geo/bbox.js';
import type { SharedTables } from './schema.js';

export function fencedRoomsQuery(db: Pick<Kysely<SharedTables>, 'selectFrom'>, boxes: Box[], lat: number, lng: number, limit: number) {
  const cos = Math.cos((lat * Math.PI) / 180);
  return db
    .selectFrom('rooms')
    .selectAll()
    .where('visibility', '=', 'public')
    .where('fence_lat', 'is not', null)
    .where((eb) =>
      eb.or(
        boxes.map((b) =>
          eb.and([
            eb('fence_lat', '>=', b.minLat),
            eb('fence_lat', '<=', b.maxLat),
            eb('fence_lng', '>=', b.minLng),
            eb('fence_lng', '<=', b.maxLng),
          ]),
        ),
      ),
    )
    .orderBy(sql`(fence_lat - ${lat}) * (fence_lat - ${lat}) + (fence_lng - ${lng}) * (fence_lng - ${lng}) * ${cos * cos}`)
    .orderBy('id')
    .limit(limit);
}
