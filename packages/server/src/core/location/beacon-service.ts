/**
 * Live beacons (DESIGN sections 5 and 7): a user's `loc` frames, checked, stored and pushed on
 * `loc:<userId>` at the precision each watcher may see (beacon-visibility.ts), and read back for the
 * last beacon on subscribe and for `GET /api/friends/locations`.
 *
 * A beacon is at-most-once traffic (sheddable under load), but it is stored, so that every node gives
 * the same answer to reads and proximity is decided once per pair. Beacons older than
 * GEO_LIMITS.beaconTtlS are shown nowhere, whether or not housekeeping has purged them yet.
 */
import type { FriendLocation, LocationReport } from '@lo/protocol';
import { LoError } from '../../errors/lo-error.js';
import type { Clock } from '../../util/time.js';
import type { Broker } from '../broker.js';
import { snapToPublicPoint } from '../geo/privacy-grid.js';
import type { BeaconRecord } from '../live-location-repos.js';
import { rateLimited } from '../rate-limit-error.js';
import type { RateLimiter, RateRule } from '../rate-rules.js';
import type { Store, UserRecord } from '../store.js';
import type { LocationService } from '../users/location-service.js';
import { friendLocation, locChannel, locEventFrame } from './beacon-frames.js';
import { BEACON_TTL_MS, beaconHidden, COARSE_GRID_M, forgetHiddenLocation, precisionFor, shownAt } from './beacon-visibility.js';
import type { ProximityService } from './proximity-service.js';

export interface BeaconDeps {
  store: Store;
  locations: LocationService;
  proximity: ProximityService;
  broker: Broker;
  limiter: RateLimiter;
  clock: Clock;
  /** The deployment's privacy-grid key: coarse points are stable per user and cell, not random per beacon. */
  privacyKey: Uint8Array;
  /** One beacon per user per GEO_LIMITS.beaconMinIntervalS (rate rule `beacon`). */
  rule: RateRule;
}

export class BeaconService {
  constructor(private readonly deps: BeaconDeps) {}

  /**
   * Takes a beacon of `userId`. Refused beacons (`rate_limited`, `location_implausible`) change nothing
   * and reach nobody. While the user is hidden (sharing `off`, ghost mode) the position still counts as
   * their last location, but no beacon is kept or sent.
   */
  async report(userId: string, fix: LocationReport): Promise<void> {
    const { store, limiter, rule } = this.deps;
    const decision = await limiter.consume(`beacon:${userId}`, rule);
    if (!decision.allowed) throw rateLimited(rule, decision);
    const owner = await store.users.byId(userId);
    if (owner === null) throw new LoError('session_ended');
    const location = await this.deps.locations.report(userId, fix);
    if (beaconHidden(owner, location.at)) return forgetHiddenLocation(store, owner, location.at);
    const point = snapToPublicPoint(location, COARSE_GRID_M, this.deps.privacyKey, `beacon:${userId}`);
    const beacon: BeaconRecord = { userId, ...location, publicLat: point.lat, publicLng: point.lng };
    await store.beacons.set(beacon);
    await this.publish(owner, beacon);
    await this.deps.proximity.update(owner, beacon);
  }

  /**
   * The owner's last live beacon as `viewer` may see it (the push that follows a `sub` to
   * `loc:<ownerId>`), or null. `friend` is the viewer's own relation as its connection knows it.
   */
  async lastFrame(ownerId: string, friend: boolean): Promise<string | null> {
    const { store } = this.deps;
    const now = this.deps.clock.now();
    const owner = await store.users.byId(ownerId);
    const precision = owner === null ? null : precisionFor(owner, friend ? 'friend' : 'stranger', now);
    if (owner === null || precision === null) return null;
    const [beacon] = await store.beacons.of([ownerId], now - BEACON_TTL_MS);
    return beacon === undefined ? null : locEventFrame(owner, shownAt(beacon, precision));
  }

  /** Friends whose live beacon the viewer may see, newest first. */
  async friendLocations(viewerId: string): Promise<FriendLocation[]> {
    const { store } = this.deps;
    const now = this.deps.clock.now();
    const [friends, hidden] = await Promise.all([store.social.friendIds(viewerId), store.social.blockedEitherWay(viewerId)]);
    const beacons = await store.beacons.of(
      [...friends].filter((id) => !hidden.has(id)),
      now - BEACON_TTL_MS,
    );
    const owners = new Map((await store.users.byIds(beacons.map((b) => b.userId))).map((u) => [u.id, u]));
    const items: FriendLocation[] = [];
    for (const beacon of beacons.sort((a, b) => b.at - a.at || (a.userId < b.userId ? -1 : 1))) {
      const owner = owners.get(beacon.userId);
      const precision = owner === undefined ? null : precisionFor(owner, 'friend', now);
      if (owner !== undefined && precision !== null) items.push(friendLocation(owner, shownAt(beacon, precision)));
    }
    return items;
  }

  /** Housekeeping: beacons past the TTL (already shown nowhere) and their proximity pairs go. */
  purgeExpired(): Promise<number> {
    return this.deps.store.beacons.purge(this.deps.clock.now() - BEACON_TTL_MS);
  }

  /**
   * One publication, two views: `frame` for friends (exact or coarse as the owner chose), and
   * `strangerFrame` for everyone else: the coarse one under `public` sharing, nothing under `friends`.
   */
  private async publish(owner: UserRecord, beacon: BeaconRecord): Promise<void> {
    const frame = locEventFrame(owner, shownAt(beacon, owner.locationPrecision));
    // undefined: a coarse owner sharing with `public` shows everyone the same frame (no second view).
    const strangerFrame =
      owner.locationSharing !== 'public'
        ? null
        : owner.locationPrecision === 'coarse'
          ? undefined
          : locEventFrame(owner, shownAt(beacon, 'coarse'));
    await this.deps.broker.publish(locChannel(owner.id), {
      frame,
      ...(strangerFrame !== undefined && { strangerFrame }),
      from: owner.id,
      sheddable: true,
    });
  }
}
