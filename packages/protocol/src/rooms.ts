/** HTTP shapes of rooms and chat history (DESIGN section 4). A room's channel is `room:<id>`. */
import type { Timestamp, UserRef } from './api.js';
import type { DistanceBand } from './limits.js';

export type RoomVisibility = 'public' | 'private';
export type RoomRole = 'owner' | 'member';

export interface GeofenceInput {
  lat: number;
  lng: number;
  /** Metres (LIMITS.radiusMinM to LIMITS.radiusMaxM). */
  radius: number;
  /** When true, joining needs a current location inside the fence too (default false: only posting does). */
  join_inside?: boolean;
}

export interface CreateRoom {
  name: string;
  visibility: RoomVisibility;
  /** When set, only members whose current location is inside may post. */
  geofence?: GeofenceInput;
}

export interface Room {
  id: string;
  name: string;
  visibility: RoomVisibility;
  /** The room's channel for `sub` and `pub`: `room:<id>`. */
  channel: string;
  owner: UserRef;
  geofence: Required<GeofenceInput> | null;
  member_count: number;
  created_at: Timestamp;
  /** Your role in the room; null when you are not a member. */
  my_role: RoomRole | null;
}

/** `GET /rooms/nearby`: a public geofenced room near the asked point, nearest first. */
export interface NearbyRoom extends Room {
  /** From the asked point to the fence's centre. */
  distance_band: DistanceBand;
  /** Whether the asked point is inside the fence. */
  inside: boolean;
}

export interface NearbyRoomsQuery {
  lat: number;
  lng: number;
  /** Metres: rooms whose fence reaches within this of the point (default 1,000). */
  radius?: number;
  limit?: number;
  cursor?: string;
}

export interface RoomMember {
  user: UserRef;
  role: RoomRole;
  joined_at: Timestamp;
}

export interface AddRoomMember {
  user_id: string;
}

/** A stored message of a room, DM or user channel: the `msg` frame without its `type`. */
export interface ChannelMessage {
  channel: string;
  offset: number;
  id: string;
  author: UserRef;
  data: unknown;
  created_at: Timestamp;
}

export interface PostChatMessage {
  text: string;
  client_msg_id?: string;
}

export interface HistoryQuery {
  /** Messages after this offset, oldest first. Without it (and without `cursor`), the newest messages. */
  after_offset?: number;
  /** Messages before this offset (scrolling back), oldest first. */
  before_offset?: number;
  limit?: number;
}
