import { LoError } from '../../errors/lo-error.js';
import type { Clock } from '../../util/time.js';
import type { Geofence } from '../channel-repos.js';
import { haversineM } from '../geo/haversine.js';
import type { Store } from '../store.js';

/** A member's last location must be this recent to count as "inside the geofence". */
const LOCATION_MAX_AGE_MS = 10 * 60_000;

/**
 * Throws `outside_geofence` unless the user's last reported location is fresh and inside `fence`.
 * The location is the server's record (beacons, location reports, feed queries, posts), each checked
 * for plausible speed when it arrived, so a client cannot claim to be inside from far away.
 */
export async function assertInsideGeofence(store: Store, clock: Clock, userId: string, fence: Geofence): Promise<void> {
  const here = await store.locations.get(userId);
  const fresh = here !== null && clock.now() - here.at <= LOCATION_MAX_AGE_MS;
  if (!fresh || haversineM(here.lat, here.lng, fence.lat, fence.lng) > fence.radius) throw new LoError('outside_geofence');
}
