/**
 * Kysely table types shared by the SQLite and PostgreSQL schemas (each dialect's migrations/ create
 * them alike). Times are epoch milliseconds. Columns whose type differs by dialect stay in the
 * dialect's schema.ts, which also assembles its Database.
 */
import type { Generated } from 'kysely';

export interface MetaTable {
  name: string;
  value: Uint8Array;
}

/** The users columns; each dialect adds ghost_mode (an integer flag in SQLite, a boolean in PostgreSQL). */
export interface UserColumns {
  id: string;
  username: string;
  username_key: string;
  password_hash: string;
  role: Generated<string>;
  display_name: string | null;
  created_at: number;
  banned_at: number | null;
  visibility_radius: Generated<number>;
  location_sharing: Generated<string>;
  location_precision: Generated<string>;
  ghost_until: number | null;
  /** Metres of friend proximity alerts; null: off. */
  proximity_radius: number | null;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  device: string | null;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  revoked_at: number | null;
  ip_hash: string;
}

export interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  created_at: number;
  used_at: number | null;
}

export interface FriendRequestsTable {
  id: string;
  from_id: string;
  to_id: string;
  status: string;
  created_at: number;
  responded_at: number | null;
}

export interface FriendshipsTable {
  user_id: string;
  friend_id: string;
  created_at: number;
}

export interface BlocksTable {
  blocker_id: string;
  blocked_id: string;
  created_at: number;
}

export interface LocationsTable {
  user_id: string;
  lat: number;
  lng: number;
  accuracy: number | null;
  at: number;
}

/** The messages columns; each dialect adds how it indexes the public point (see its schema.ts). */
export interface MessageColumns {
  id: string;
  author_id: string;
  kind: string;
  content: string;
  lat: number;
  lng: number;
  public_lat: number;
  public_lng: number;
  radius: number;
  visibility: string;
  created_at: number;
  edited_at: number | null;
  deleted_at: number | null;
  expires_at: number | null;
  client_msg_id: string | null;
}

export interface ReactionsTable {
  message_id: string;
  user_id: string;
  emoji: string;
  created_at: number;
}

export interface ReportsTable {
  id: string;
  message_id: string;
  reporter_id: string;
  reason: string;
  created_at: number;
}

export interface AuditLogTable {
  id: string;
  at: number;
  actor_id: string | null;
  action: string;
  target: string | null;
  data: string | null;
}

export interface ChannelsTable {
  name: string;
  epoch: string;
  last_offset: Generated<number>;
  trimmed_through: Generated<number>;
  created_at: number;
}

export interface ChannelMessagesTable {
  channel: string;
  offset: number;
  id: string;
  author_id: string;
  data: string;
  created_at: number;
  client_msg_id: string | null;
}

export interface RoomsTable {
  id: string;
  name: string;
  visibility: string;
  owner_id: string;
  fence_lat: number | null;
  fence_lng: number | null;
  fence_radius: number | null;
  /** Joining needs being inside the fence: 0/1 in SQLite, a boolean in PostgreSQL (false without a fence). */
  fence_join_inside: Generated<number | boolean>;
  created_at: number;
}

export interface RoomMembersTable {
  room_id: string;
  user_id: string;
  role: string;
  joined_at: number;
}

/** A user's live beacon: the exact point, and the coarse public point that strangers and area counts see. */
export interface BeaconsTable {
  user_id: string;
  lat: number;
  lng: number;
  accuracy: number | null;
  public_lat: number;
  public_lng: number;
  at: number;
}

/** Two friends currently near each other (user_a < user_b); the row exists only while they are. */
export interface ProximityPairsTable {
  user_a: string;
  user_b: string;
  since: number;
}

/** The tables that are the same in both dialects; each dialect's Database adds users and messages. */
export interface SharedTables {
  meta: MetaTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  friend_requests: FriendRequestsTable;
  friendships: FriendshipsTable;
  blocks: BlocksTable;
  locations: LocationsTable;
  reactions: ReactionsTable;
  reports: ReportsTable;
  audit_log: AuditLogTable;
  channels: ChannelsTable;
  channel_messages: ChannelMessagesTable;
  rooms: RoomsTable;
  room_members: RoomMembersTable;
  beacons: BeaconsTable;
  proximity_pairs: ProximityPairsTable;
}
