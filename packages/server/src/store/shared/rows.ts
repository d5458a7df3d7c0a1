/**
 * Row → record mappers shared by the SQLite and PostgreSQL stores: both read the same columns (see
 * schema.ts), so a record is built the same way whichever dialect produced the row.
 */
import type { LocationPrecision, LocationSharing, MessageVisibility, Role, RoomVisibility } from '@lo/protocol';
import type { Selectable } from 'kysely';
import type { ChannelMessageRecord, RoomRecord } from '../../core/channel-repos.js';
import type { FriendRequestRecord, FriendRequestStatus, MessageRecord, SessionRecord, UserRecord } from '../../core/store.js';
import type { ChannelMessagesTable, FriendRequestsTable, MessageColumns, RoomsTable, SessionsTable, UserColumns } from './schema.js';

/** Usernames are ASCII (see the signup schema), so lower case is the whole case-folding. */
export function usernameKey(username: string): string {
  return username.toLowerCase();
}

/** ghost_mode is passed apart because its column type differs by dialect (integer flag or boolean). */
export function toUser(row: Selectable<UserColumns>, ghostMode: boolean): UserRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role as Role,
    displayName: row.display_name,
    createdAt: row.created_at,
    bannedAt: row.banned_at,
    visibilityRadius: row.visibility_radius,
    locationSharing: row.location_sharing as LocationSharing,
    locationPrecision: row.location_precision as LocationPrecision,
    ghostMode,
    ghostUntil: row.ghost_until,
    proximityRadius: row.proximity_radius,
  };
}

export function toSession(row: SessionsTable): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    device: row.device,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    ipHash: row.ip_hash,
  };
}

export function toRequest(row: FriendRequestsTable): FriendRequestRecord {
  return {
    id: row.id,
    fromId: row.from_id,
    toId: row.to_id,
    status: row.status as FriendRequestStatus,
    createdAt: row.created_at,
    respondedAt: row.responded_at,
  };
}

export function toRoom(row: Selectable<RoomsTable>): RoomRecord {
  // The three fence columns are written together: all set or all null.
  const geofence =
    row.fence_lat === null || row.fence_lng === null || row.fence_radius === null
      ? null
      : {
          lat: row.fence_lat,
          lng: row.fence_lng,
          radius: row.fence_radius,
          // An integer flag in SQLite, a boolean in PostgreSQL.
          joinInside: row.fence_join_inside === true || row.fence_join_inside === 1,
        };
  return {
    id: row.id,
    name: row.name,
    visibility: row.visibility as RoomVisibility,
    ownerId: row.owner_id,
    geofence,
    createdAt: row.created_at,
  };
}

/** A channel message joined with its author's username. */
export type ChannelMessageRow = ChannelMessagesTable & { author_username: string };

export function toChannelMessage(row: ChannelMessageRow): ChannelMessageRecord {
  return {
    channel: row.channel,
    offset: row.offset,
    id: row.id,
    authorId: row.author_id,
    authorUsername: row.author_username,
    data: row.data,
    createdAt: row.created_at,
    clientMsgId: row.client_msg_id,
  };
}

/**
 * A geo post joined with its author's username. Neither kind (always 'geo' here) nor the dialect's own
 * columns are read, so a dialect may select without them.
 */
export type GeoMessageRow = Omit<MessageColumns, 'kind'> & { author_username: string };

export function toMessage(row: GeoMessageRow): MessageRecord {
  return {
    id: row.id,
    authorId: row.author_id,
    authorUsername: row.author_username,
    kind: 'geo',
    content: row.content,
    lat: row.lat,
    lng: row.lng,
    publicLat: row.public_lat,
    publicLng: row.public_lng,
    radius: row.radius,
    visibility: row.visibility as MessageVisibility,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
    expiresAt: row.expires_at,
    clientMsgId: row.client_msg_id,
  };
}
