/**
 * Friend proximity alerts (issue 4): two friends who both set a `proximity_radius` get a `proximity`
 * push when they come within it of each other (`near`) and when they are well past it again (`far`).
 *
 * - Distance is measured between the points each would show the other (a coarse owner's coarse point),
 *   so an alert never tells more than the beacons themselves; the alert carries the agreed distance
 *   (`within`), never the measured one.
 * - `within` is the larger of the two radii, and at least the coarse grid when either is coarse (a
 *   coarse point can be that far off).
 * - Hysteresis: `near` at ≤ within, `far` only beyond within × 1.25, so GPS jitter at the edge does
 *   not flap.
 * - The state is a row per near pair in the store, shared by every node; the node whose write changed
 *   it announces the change, so concurrent beacons of the two friends announce it once.
 * - A friend who stops taking part (opts out, goes hidden, unfriends, lets the beacon expire) leaves the
 *   pair silently: a `far` would reveal ghost mode.
 */
import type { UserRef } from '@lo/protocol';
import type { Broker } from '../broker.js';
import { haversineM } from '../geo/haversine.js';
import type { BeaconRecord } from '../live-location-repos.js';
import type { Store, UserRecord } from '../store.js';
import { proximityFrame } from './beacon-frames.js';
import { BEACON_TTL_MS, beaconHidden, COARSE_GRID_M, shownAt } from './beacon-visibility.js';

/** `far` is announced only past this multiple of `within` (hysteresis against GPS jitter). */
export const PROXIMITY_HYSTERESIS = 1.25;

export class ProximityService {
  constructor(
    private readonly store: Store,
    private readonly broker: Broker,
  ) {}

  /** After `owner`'s shown beacon was stored: re-decides each pair of the owner and announces changes. */
  async update(owner: UserRecord, beacon: BeaconRecord): Promise<void> {
    if (owner.proximityRadius === null) return;
    const now = beacon.at;
    const [near, friendIds] = await Promise.all([this.store.proximity.nearOf(owner.id), this.store.social.friendIds(owner.id)]);
    const live = new Map((await this.store.beacons.of([...friendIds], now - BEACON_TTL_MS)).map((b) => [b.userId, b]));
    const friends = await this.store.users.byIds([...live.keys()]);
    const decided = new Set<string>();
    for (const friend of friends) {
      const theirs = live.get(friend.id);
      if (theirs === undefined || friend.proximityRadius === null || beaconHidden(friend, now)) continue;
      decided.add(friend.id);
      const within = withinOf(owner, friend);
      const mine = shownAt(beacon, owner.locationPrecision);
      const other = shownAt(theirs, friend.locationPrecision);
      const distance = haversineM(mine.lat, mine.lng, other.lat, other.lng);
      if (!near.has(friend.id) && distance <= within) await this.change(owner, friend, 'near', within, now);
      else if (near.has(friend.id) && distance > within * PROXIMITY_HYSTERESIS) await this.change(owner, friend, 'far', within, now);
    }
    for (const id of near) if (!decided.has(id)) await this.store.proximity.set(owner.id, id, false, now);
  }

  private async change(a: UserRecord, b: UserRecord, state: 'near' | 'far', within: number, now: number): Promise<void> {
    if (!(await this.store.proximity.set(a.id, b.id, state === 'near', now))) return;
    await Promise.all([this.tell(a, b, state, within), this.tell(b, a, state, within)]);
  }

  /** To every connection of `to`, subscribed or not (like friends' status changes). */
  private tell(to: UserRef, about: UserRef, state: 'near' | 'far', within: number): Promise<void> {
    return this.broker.publish(`user:${to.id}`, { frame: proximityFrame(about, state, within), from: about.id, to: 'user' });
  }
}

/** The alert distance of a pair: the larger radius, at least the coarse grid when either is coarse. */
export function withinOf(a: UserRecord, b: UserRecord): number {
  const coarse = a.locationPrecision === 'coarse' || b.locationPrecision === 'coarse' ? COARSE_GRID_M : 0;
  return Math.max(a.proximityRadius ?? 0, b.proximityRadius ?? 0, coarse);
}
