/** Wire shapes of beacons (packages/protocol/src/live-location.ts), built from what a viewer may see. */
import type { FriendLocation, LocEventFrame, ProximityFrame, UserRef } from '@lo/protocol';
import { iso } from '../../util/time.js';
import type { ShownBeacon } from './beacon-visibility.js';

export function locChannel(userId: string): string {
  return `loc:${userId}`;
}

/** The `loc` push on `loc:<owner>`, encoded once for every subscriber that gets this view. */
export function locEventFrame(owner: UserRef, shown: ShownBeacon): string {
  const frame: LocEventFrame = {
    type: 'loc',
    channel: locChannel(owner.id),
    user: { id: owner.id, username: owner.username },
    lat: shown.lat,
    lng: shown.lng,
    accuracy: shown.accuracy,
    precision: shown.precision,
    at: iso(shown.at),
  };
  return JSON.stringify(frame);
}

export function friendLocation(owner: UserRef, shown: ShownBeacon): FriendLocation {
  return {
    user: { id: owner.id, username: owner.username },
    lat: shown.lat,
    lng: shown.lng,
    accuracy: shown.accuracy,
    precision: shown.precision,
    at: iso(shown.at),
  };
}

/** A proximity alert: the distance both agreed on, never the actual distance. */
export function proximityFrame(other: UserRef, state: 'near' | 'far', within: number): string {
  const frame: ProximityFrame = { type: 'proximity', user: { id: other.id, username: other.username }, state, within };
  return JSON.stringify(frame);
}
