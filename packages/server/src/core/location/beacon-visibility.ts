/**
 * Who sees a live beacon, and how precisely (DESIGN section 7). The one place these rules live, so
 * pushes, the last beacon sent on subscribe, friends' locations and proximity alerts all agree:
 *
 * - nobody, while the owner shares with nobody (`off`) or is in ghost mode;
 * - friends: the exact point when the owner chose `exact`, else the coarse one;
 * - anyone else: the coarse point, and only when the owner shares with `public`.
 *
 * The owner, watching their own `loc:` channel, sees what friends see. Blocks are settled before this
 * (they refuse the subscription and filter deliveries).
 */
import { GEO_LIMITS, type LocationPrecision } from '@lo/protocol';
import type { BeaconRecord } from '../live-location-repos.js';
import type { Store, UserRecord } from '../store.js';
import { ghostActive } from '../users/user-views.js';

/** Cell of the coarse grid in metres: coarse precision snaps to about 1 km (DESIGN section 7). */
export const COARSE_GRID_M = 1000;

/** Milliseconds after its last update that a beacon is no longer shown anywhere. */
export const BEACON_TTL_MS = GEO_LIMITS.beaconTtlS * 1000;

export type BeaconViewer = 'friend' | 'stranger';

/** Whether the owner's beacon is shown to nobody at `now`. */
export function beaconHidden(owner: UserRecord, now: number): boolean {
  return owner.locationSharing === 'off' || ghostActive(owner, now);
}

/** The precision `viewer` sees the owner's beacon at, or null when not at all. */
export function precisionFor(owner: UserRecord, viewer: BeaconViewer, now: number): LocationPrecision | null {
  if (beaconHidden(owner, now)) return null;
  if (viewer === 'friend') return owner.locationPrecision;
  return owner.locationSharing === 'public' ? 'coarse' : null;
}

/** A beacon as one viewer may see it: coarse points carry no accuracy (it would narrow them down). */
export interface ShownBeacon {
  lat: number;
  lng: number;
  accuracy: number | null;
  precision: LocationPrecision;
  at: number;
}

export function shownAt(beacon: BeaconRecord, precision: LocationPrecision): ShownBeacon {
  if (precision === 'exact') return { lat: beacon.lat, lng: beacon.lng, accuracy: beacon.accuracy, precision, at: beacon.at };
  return { lat: beacon.publicLat, lng: beacon.publicLng, accuracy: null, precision, at: beacon.at };
}

/**
 * After a settings change: a hidden user's beacon and proximity state go at once (a beacon kept while
 * hidden would show where they were once they reappear), and opting out of alerts ends their pairs.
 * Nothing is announced: a "far" now would tell friends that ghost mode was turned on.
 */
export async function forgetHiddenLocation(store: Store, user: UserRecord, now: number): Promise<void> {
  if (beaconHidden(user, now)) {
    await store.beacons.delete(user.id);
    await store.proximity.clear(user.id);
  } else if (user.proximityRadius === null) {
    await store.proximity.clear(user.id);
  }
}
