/**
 * Live location over the real-time protocol (DESIGN sections 5 and 7): a geo subscription that follows
 * the viewer, beacons on `loc:<userId>`, friend proximity alerts and area counts. Field names are
 * snake_case and part of the contract; docs/PROTOCOL.md describes the behaviour.
 */
import type { GeoMessage, LocationPrecision, Timestamp, UserRef } from './api.js';
import type { RequestId } from './realtime.js';

/** Bounds of live location that clients can rely on. */
export const GEO_LIMITS = {
  /** Seconds between two `loc` frames of one user (faster ones are refused with `rate_limited`). */
  beaconMinIntervalS: 2,
  /** Seconds after its last update that a beacon stops being shown (live and over REST). */
  beaconTtlS: 600,
  /** Posts in a `geo.sub` reply without `since` (the newest ones in the area). */
  snapshotMax: 50,
  /** Posts replayed in a `geo.sub` reply with `since`; past this it says `recovered: false`. */
  recoveryMax: 1000,
  /** Smallest and largest `within` of proximity alerts, in metres. */
  proximityMinM: 200,
  proximityMaxM: 5000,
  /** Smallest and largest radius of an area count, in metres (counts go by ~1 km coarse points). */
  areaRadiusMinM: 200,
  areaRadiusMaxM: 10_000,
} as const;

// ---- client → server ----

export interface GeoSubFrame {
  type: 'geo.sub';
  id: RequestId;
  lat: number;
  lng: number;
  /** Metres; capped at the viewer's visibility radius (the default). */
  radius?: number;
  /** Id of the newest geo post the client has seen here: posts after it are replayed (reconnects). */
  since?: string;
}
export interface GeoUnsubFrame {
  type: 'geo.unsub';
  id: RequestId;
}
/** The live beacon: moves the connection's geo area, reaches friends on `loc:<userId>`, drives proximity. */
export interface LocFrame {
  type: 'loc';
  id?: RequestId;
  lat: number;
  lng: number;
  /** Metres (GPS accuracy). */
  accuracy?: number;
}
export interface AreaCountFrame {
  type: 'area.count';
  id: RequestId;
  lat: number;
  lng: number;
  /** Metres, GEO_LIMITS.areaRadiusMinM to GEO_LIMITS.areaRadiusMaxM. */
  radius: number;
}

export type LiveLocationFrame = GeoSubFrame | GeoUnsubFrame | LocFrame | AreaCountFrame;

// ---- replies ----

export interface GeoSubResult {
  /** The radius in force (the asked one, capped at the visibility radius). */
  radius: number;
  /** With `since`: true when every post after it is in `items`; false when there were more (refetch). */
  recovered: boolean;
  /** Visible posts in the area, newest first: those after `since`, or the newest GEO_LIMITS.snapshotMax. */
  items: GeoMessage[];
}

/** People sharing their location in an area; below the k-anonymity threshold only "few". */
export interface AreaCount {
  count: number | 'few';
}

// ---- server pushes ----

/** A new geo post inside the connection's area that the viewer may see. */
export interface GeoMessageFrame {
  type: 'geo.msg';
  message: GeoMessage;
}
/** A post came into range because the area moved. */
export interface GeoEnterFrame {
  type: 'geo.enter';
  message_id: string;
  message: GeoMessage;
}
/** A post left the area (it moved away, or the post was deleted). */
export interface GeoExitFrame {
  type: 'geo.exit';
  message_id: string;
  reason: 'moved' | 'deleted';
}
/** A friend's beacon, on `loc:<userId>`, at the precision the owner chose for this viewer. */
export interface LocEventFrame {
  type: 'loc';
  channel: string;
  user: UserRef;
  lat: number;
  lng: number;
  /** Metres; null when coarse or not given. */
  accuracy: number | null;
  precision: LocationPrecision;
  at: Timestamp;
}
/** A friend came within (`near`) or went beyond (`far`) the proximity distance both opted into. */
export interface ProximityFrame {
  type: 'proximity';
  user: UserRef;
  state: 'near' | 'far';
  /** The alert distance in metres (never the actual distance). */
  within: number;
}

export type LiveLocationPush = GeoMessageFrame | GeoEnterFrame | GeoExitFrame | LocEventFrame | ProximityFrame;

// ---- REST shapes ----

/** `GET /api/friends/locations`: friends whose live beacon you may see. */
export interface FriendLocation {
  user: UserRef;
  lat: number;
  lng: number;
  accuracy: number | null;
  precision: LocationPrecision;
  at: Timestamp;
}
