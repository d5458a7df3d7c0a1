/**
 * The persistence port for channels (rooms, DMs, user notifications) and rooms; part of `Store`
 * (store.ts), split out to keep each file about one thing. Same contract as the rest of the store:
 * each method is atomic, times are milliseconds since the epoch, ids are ULIDs made by the caller.
 */
import type { RoomRole, RoomVisibility, StreamPosition } from '@lo/protocol';
import type { Box } from './geo/bbox.js';
import type { PageAfter } from './store.js';

export interface ChannelMessageRecord {
  channel: string;
  /** Position in the channel: 1, 2, 3… in commit order (holes only where a deleted account's messages were). */
  offset: number;
  id: string;
  authorId: string;
  authorUsername: string;
  /** The publication's `data` as JSON text, exactly as it is sent. */
  data: string;
  createdAt: number;
  clientMsgId: string | null;
}

export type NewChannelMessage = Omit<ChannelMessageRecord, 'offset' | 'authorUsername'>;

/** A channel's position and what it still keeps. */
export interface ChannelState extends StreamPosition {
  /** Messages up to this offset were trimmed by retention (0: none); recovery from before it is impossible. */
  trimmedThrough: number;
}

export interface ChannelRepo {
  /**
   * Stores a message with the channel's next offset, assigned in the storing transaction: a reader
   * never sees offset N+1 committed before N, and concurrent appends never share or skip an offset.
   * Creates the channel (with a fresh epoch) on first use. With a `clientMsgId` the same author already
   * used in any channel, stores nothing and returns the original with `created: false`.
   */
  append(message: NewChannelMessage): Promise<{ message: ChannelMessageRecord; created: boolean }>;
  /**
   * The channel's state and its messages with offset > `afterOffset` (ascending, at most `limit`), read
   * at one point in time. Creates the channel on first use, so the epoch a subscriber gets is the one
   * later messages are stored under.
   */
  read(channel: string, afterOffset: number, limit: number): Promise<{ state: ChannelState; messages: ChannelMessageRecord[] }>;
  /** The newest `limit` messages with offset < `beforeOffset` (all when null), ascending. */
  latest(channel: string, limit: number, beforeOffset: number | null): Promise<ChannelMessageRecord[]>;
  /**
   * Retention: in every channel whose name starts with `prefix`, deletes messages older than
   * `olderThan` and all but the newest `keep` (0: no count limit), advancing `trimmedThrough`.
   * Returns how many were deleted.
   */
  trim(prefix: string, keep: number, olderThan: number): Promise<number>;
  byAuthor(authorId: string): Promise<ChannelMessageRecord[]>;
}

export interface Geofence {
  lat: number;
  lng: number;
  /** Metres. */
  radius: number;
  /** Joining needs a current location inside too (posting always does). */
  joinInside: boolean;
}

export type { RoomRole };

export interface RoomRecord {
  id: string;
  name: string;
  visibility: RoomVisibility;
  ownerId: string;
  geofence: Geofence | null;
  createdAt: number;
}

export interface RoomMemberRecord {
  userId: string;
  username: string;
  role: RoomRole;
  joinedAt: number;
}

export interface RoomRepo {
  /** Creates the room with its owner as first member. */
  create(room: RoomRecord): Promise<void>;
  byId(id: string): Promise<RoomRecord | null>;
  /** False when the user is already a member. */
  addMember(roomId: string, userId: string, role: RoomRole, at: number): Promise<boolean>;
  /** False when the user was not a member. */
  removeMember(roomId: string, userId: string): Promise<boolean>;
  role(roomId: string, userId: string): Promise<RoomRole | null>;
  /** Members in joining order (joinedAt, userId), strictly after `after`. */
  members(roomId: string, limit: number, after?: PageAfter): Promise<RoomMemberRecord[]>;
  memberCount(roomId: string): Promise<number>;
  /** Rooms `userId` is a member of, most recently joined first (the page key is the join time and room id). */
  ofUser(userId: string, limit: number, after?: PageAfter): Promise<Array<RoomRecord & { joinedAt: number }>>;
  /** Public rooms with a geofence whose centre lies in one of `boxes`, about nearest to (lat, lng) first, at most `limit`. */
  fencedNear(boxes: Box[], lat: number, lng: number, limit: number): Promise<RoomRecord[]>;
}
