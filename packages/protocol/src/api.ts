/**
 * Shapes of the HTTP API (v1, prefix /api). Field names are snake_case and part of the contract
 * (DESIGN section 4). The server's route schemas are checked against these types at compile time.
 */
import type { DistanceBand } from './limits.js';

/** ISO 8601 timestamp in UTC, e.g. `2026-11-22T10:00:00.000Z`. */
export type Timestamp = string;

export interface UserRef {
  id: string;
  username: string;
}

export interface AuthResult {
  user: UserRef;
  access_token: string;
  refresh_token: string;
  /** Seconds until `access_token` expires. */
  expires_in: number;
  token_type: 'Bearer';
}

export interface Credentials {
  username: string;
  password: string;
  /** Optional label shown in the session list ("Pixel 9", "laptop"). */
  device?: string;
}

export interface SessionInfo {
  id: string;
  device: string | null;
  created_at: Timestamp;
  last_used_at: Timestamp;
  expires_at: Timestamp;
  /** True for the session that made this request. */
  current: boolean;
}

export type LocationSharing = 'off' | 'friends' | 'public';
export type LocationPrecision = 'exact' | 'coarse';
export type Role = 'user' | 'admin';

export interface Me {
  id: string;
  username: string;
  display_name: string | null;
  role: Role;
  created_at: Timestamp;
  /** Metres; posts farther than this from you are not in your feed. */
  visibility_radius: number;
  location_sharing: LocationSharing;
  location_precision: LocationPrecision;
  /** True while ghost mode is on (it ends by itself at `ghost_until` when that is set). */
  ghost_mode: boolean;
  ghost_until: Timestamp | null;
  /** Metres: friends who opted in too get a `proximity` event when you come within this; null: off. */
  proximity_radius: number | null;
}

export interface MePatch {
  display_name?: string | null;
  visibility_radius?: number;
  location_sharing?: LocationSharing;
  location_precision?: LocationPrecision;
  ghost_mode?: boolean;
  ghost_until?: Timestamp | null;
  proximity_radius?: number | null;
}

export interface LocationReport {
  lat: number;
  lng: number;
  /** Metres (GPS accuracy), optional. */
  accuracy?: number;
}

export interface MyLocation {
  lat: number;
  lng: number;
  accuracy: number | null;
  at: Timestamp;
}

export type Relation = 'self' | 'friend' | 'request_sent' | 'request_received' | 'none';

export interface PublicUser {
  id: string;
  username: string;
  display_name: string | null;
  created_at: Timestamp;
  relation: Relation;
}

export interface FriendRequest {
  id: string;
  from: UserRef;
  to: UserRef;
  status: 'pending' | 'accepted' | 'declined';
  created_at: Timestamp;
}

export interface Friend {
  user: UserRef;
  display_name: string | null;
  since: Timestamp;
}

export interface BlockEntry {
  user: UserRef;
  created_at: Timestamp;
}

export type MessageVisibility = 'public' | 'friends';

export interface ReactionCount {
  emoji: string;
  count: number;
}

export interface GeoMessage {
  id: string;
  kind: 'geo';
  content: string;
  author: UserRef;
  created_at: Timestamp;
  edited_at: Timestamp | null;
  expires_at: Timestamp | null;
  /** Metres: only viewers within this distance of the post can see it. */
  radius: number;
  visibility: MessageVisibility;
  /** How far the post is from the viewer, as a band; present when the viewer's position is known. */
  distance_band?: DistanceBand;
  /** The exact position: only in the author's own view of the post. */
  location?: { lat: number; lng: number };
  reactions: ReactionCount[];
  my_reactions: string[];
  /** True when the viewer is the author. */
  mine: boolean;
}

export interface CreateGeoMessage {
  content: string;
  lat: number;
  lng: number;
  radius?: number;
  /** Seconds until the post expires. */
  expires_in?: number;
  visibility?: MessageVisibility;
  /** Your id for this post; retrying with the same id returns the original post instead of a copy. */
  client_msg_id?: string;
}

export type NearbySort = 'recent' | 'distance';

export interface NearbyQuery {
  lat: number;
  lng: number;
  /** Metres; defaults to and is capped by your visibility radius. */
  radius?: number;
  sort?: NearbySort;
  limit?: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  next_cursor: string | null;
}

export type HealthStatus = 'pass' | 'warn' | 'fail';

export interface HealthCheck {
  componentType: string;
  status: HealthStatus;
  observedValue?: number;
  observedUnit?: string;
  time: Timestamp;
  output?: string;
}

export interface Health {
  status: HealthStatus;
  version: string;
  checks?: Record<string, HealthCheck[]>;
}
