/**
 * The persistence port of live location (beacons and friend proximity); part of `Store` (store.ts),
 * split out to keep each file about one thing. Same contract as the rest of the store: each method is
 * atomic, times are milliseconds since the epoch.
 *
 * Beacons live in the database rather than in one node's memory so that every node answers the same
 * (friends' locations, area counts, the last beacon on subscribe) and proximity state is decided once
 * for a pair even when the two friends sit on different nodes.
 */

export interface BeaconRecord {
  userId: string;
  /** The exact point: shown only to the owner and, when the owner chose `exact`, to friends. */
  lat: number;
  lng: number;
  accuracy: number | null;
  /** The coarse point (privacy grid, ~1 km): what everyone else and area counts see. */
  publicLat: number;
  publicLng: number;
  at: number;
}

/** An area count: beacons updated at or after `since` whose public point is within `radiusM` of the centre. */
export interface BeaconArea {
  lat: number;
  lng: number;
  radiusM: number;
  since: number;
  /** Ghost mode is judged at this time (a `ghost_until` at or before it has ended). */
  now: number;
  /** A user left out of the count (the one asking). */
  exclude?: string;
}

export interface BeaconRepo {
  /** Stores the user's beacon, replacing the previous one (a user has at most one). */
  set(beacon: BeaconRecord): Promise<void>;
  /** The beacons of `userIds` updated at or after `since`, in no particular order. */
  of(userIds: string[], since: number): Promise<BeaconRecord[]>;
  /** Removes the user's beacon; false when there was none. */
  delete(userId: string): Promise<boolean>;
  /**
   * How many users in `area` share their location (sharing not `off`) and are not in ghost mode at
   * `area.now`, counted by their public point with haversine distance on EARTH_RADIUS_M (the same on
   * every backend).
   */
  count(area: BeaconArea): Promise<number>;
  /**
   * Removes beacons updated before `olderThan`, and every proximity pair of their users (a pair is
   * kept only while both beacons live). Returns how many beacons were removed.
   */
  purge(olderThan: number): Promise<number>;
}

export interface ProximityRepo {
  /** The users with whom `userId` is currently in a near pair. */
  nearOf(userId: string): Promise<Set<string>>;
  /**
   * Marks the pair (in either order) near or not. Returns true only when this call changed the state,
   * so of two nodes deciding the same change at once exactly one announces it.
   */
  set(a: string, b: string, near: boolean, at: number): Promise<boolean>;
  /** Drops every pair of `userId` (they opted out or went hidden); returns how many were dropped. */
  clear(userId: string): Promise<number>;
}
