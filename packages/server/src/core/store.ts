/**
 * The persistence port of Lo, in domain terms. Implementations: SQLite (embedded default) and
 * PostgreSQL; both pass the same contract suite (test/contracts/store-contract.ts).
 *
 * Contract for every implementation:
 * - Each method is atomic: it commits entirely or not at all, and a resolved promise means committed
 *   (durable per the backend's setting). Multi-step domain operations (rotating a refresh token,
 *   accepting a friend request, deleting an account) are single methods for that reason.
 * - Times are milliseconds since the epoch. Ids are ULIDs made by the caller.
 * - Lists are keyset-paged: `after` is the last item of the previous page and results are strictly
 *   after it in the list's order, so pages never repeat or skip an item.
 */
import type { ChannelRepo, RoomRepo } from './channel-repos.js';
import type { BeaconRepo, ProximityRepo } from './live-location-repos.js';
import type { LocationPrecision, LocationSharing, MessageVisibility, NearbySort, Role } from '@lo/protocol';

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
  role: Role;
  displayName: string | null;
  createdAt: number;
  bannedAt: number | null;
  visibilityRadius: number;
  locationSharing: LocationSharing;
  locationPrecision: LocationPrecision;
  ghostMode: boolean;
  ghostUntil: number | null;
  /** Metres of friend proximity alerts; null: off. */
  proximityRadius: number | null;
}

export type NewUser = Pick<UserRecord, 'id' | 'username' | 'passwordHash' | 'role' | 'createdAt'>;

export type UserPatch = Partial<
  Pick<
    UserRecord,
    | 'displayName'
    | 'visibilityRadius'
    | 'locationSharing'
    | 'locationPrecision'
    | 'ghostMode'
    | 'ghostUntil'
    | 'proximityRadius'
    | 'role'
    | 'bannedAt'
  >
>;

export interface UserRepo {
  /** Returns null when the username (compared case-insensitively) is taken. */
  create(user: NewUser): Promise<UserRecord | null>;
  byId(id: string): Promise<UserRecord | null>;
  byUsername(username: string): Promise<UserRecord | null>;
  /** The users that exist among `ids`, in no particular order. */
  byIds(ids: string[]): Promise<UserRecord[]>;
  update(id: string, patch: UserPatch): Promise<UserRecord | null>;
  /**
   * Deletes the account and everything it owns: sessions, posts, channel messages, room memberships (and
   * rooms it owns), reactions, reports, graph edges, location, beacon, proximity pairs.
   */
  delete(id: string): Promise<boolean>;
  count(): Promise<number>;
}

export interface SessionRecord {
  id: string;
  userId: string;
  device: string | null;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  revokedAt: number | null;
  /** Keyed hash of the IP the session was created from (never the IP itself). */
  ipHash: string;
}

export type RotateResult =
  | { kind: 'rotated'; session: SessionRecord }
  /** The token had been used before: the session was revoked as part of this call. */
  | { kind: 'reused'; session: SessionRecord }
  | { kind: 'invalid' };

export interface SessionRepo {
  /** Creates a session with its first refresh token (stored as a hash). */
  create(session: SessionRecord, tokenHash: string): Promise<void>;
  byId(id: string): Promise<SessionRecord | null>;
  /** Sessions neither revoked nor expired nor idle since `idleSince`, newest first. */
  listActive(userId: string, now: number, idleSince: number): Promise<SessionRecord[]>;
  /**
   * Uses refresh token `tokenHash` once: when it is current and its session is live, marks it used,
   * stores `nextHash` as the session's current token and touches the session. When it was used before,
   * revokes the whole session (reuse detection). Concurrent calls with one token: exactly one rotates.
   */
  rotate(tokenHash: string, nextHash: string, now: number, idleSince: number): Promise<RotateResult>;
  /** Marks the session used at `now` (it stays alive while used). */
  touch(id: string, now: number): Promise<void>;
  revoke(id: string, now: number): Promise<boolean>;
  revokeAllForUser(userId: string, now: number): Promise<number>;
  /** Whether the user has had a session from this IP hash created since `since`. */
  knowsIp(userId: string, ipHash: string, since: number): Promise<boolean>;
}

export type FriendRequestStatus = 'pending' | 'accepted' | 'declined';

export interface FriendRequestRecord {
  id: string;
  fromId: string;
  toId: string;
  status: FriendRequestStatus;
  createdAt: number;
  respondedAt: number | null;
}

/** How `userId` relates to `otherId`, from userId's side. */
export interface RelationState {
  friendsSince: number | null;
  /** Pending request from userId to otherId. */
  sentRequest: FriendRequestRecord | null;
  /** Pending request from otherId to userId. */
  receivedRequest: FriendRequestRecord | null;
  blocks: boolean;
  blockedBy: boolean;
}

export interface PageAfter {
  at: number;
  id: string;
}

export interface EdgeRecord {
  userId: string;
  at: number;
}

export interface SocialRepo {
  relation(userId: string, otherId: string): Promise<RelationState>;
  createRequest(request: FriendRequestRecord): Promise<void>;
  requestById(id: string): Promise<FriendRequestRecord | null>;
  /** Accepts (creating the friendship) or declines a pending request; false when it is not pending. */
  respond(id: string, status: 'accepted' | 'declined', now: number): Promise<boolean>;
  /** Pending requests addressed to `userId`, newest first. */
  incoming(userId: string, limit: number, after?: PageAfter): Promise<FriendRequestRecord[]>;
  /** Pending requests sent by `userId`, newest first. */
  outgoing(userId: string, limit: number, after?: PageAfter): Promise<FriendRequestRecord[]>;
  /** Friends of `userId`, most recent friendship first. */
  friends(userId: string, limit: number, after?: PageAfter): Promise<EdgeRecord[]>;
  areFriends(a: string, b: string): Promise<boolean>;
  friendIds(userId: string): Promise<Set<string>>;
  removeFriend(a: string, b: string): Promise<boolean>;
  /** Blocks `blockedId`, ending any friendship and pending requests between the two. False if already blocked. */
  block(blockerId: string, blockedId: string, now: number): Promise<boolean>;
  unblock(blockerId: string, blockedId: string): Promise<boolean>;
  /** Users `userId` blocks, most recent first. */
  blocks(userId: string, limit: number, after?: PageAfter): Promise<EdgeRecord[]>;
  /** Every user who blocks `userId` or whom `userId` blocks. */
  blockedEitherWay(userId: string): Promise<Set<string>>;
}

export interface LocationRecord {
  lat: number;
  lng: number;
  accuracy: number | null;
  at: number;
}

export interface LocationRepo {
  get(userId: string): Promise<LocationRecord | null>;
  set(userId: string, location: LocationRecord): Promise<void>;
}

export interface MessageRecord {
  id: string;
  authorId: string;
  authorUsername: string;
  kind: 'geo';
  content: string;
  /** Exact position: only ever shown to the author. */
  lat: number;
  lng: number;
  /** Public (snapped) position: the only one any viewer-facing computation uses. */
  publicLat: number;
  publicLng: number;
  radius: number;
  visibility: MessageVisibility;
  createdAt: number;
  editedAt: number | null;
  deletedAt: number | null;
  expiresAt: number | null;
  clientMsgId: string | null;
}

export type NewGeoMessage = Omit<MessageRecord, 'authorUsername' | 'editedAt' | 'deletedAt'>;

/** What a nearby scan sees of a post before it is accepted: enough to apply the visibility rules. */
export interface GeoCandidate {
  id: string;
  authorId: string;
  publicLat: number;
  publicLng: number;
  radius: number;
  visibility: MessageVisibility;
  createdAt: number;
  expiresAt: number | null;
  /** Metres from the query point to the public point (haversine on EARTH_RADIUS_M). */
  distance: number;
}

export type NearbyAfter = { sort: 'recent'; createdAt: number; id: string } | { sort: 'distance'; distance: number; id: string };

export interface NearbyScan {
  lat: number;
  lng: number;
  radiusM: number;
  sort: NearbySort;
  limit: number;
  /** Posts expired at this time are skipped. */
  now: number;
  after?: NearbyAfter;
  /**
   * sort=recent only: just the posts after this one in (createdAt, id) order, i.e. newer ones (live geo
   * recovery). The scan stops once it reaches it instead of reading the area's whole history.
   */
  newerThan?: { createdAt: number; id: string };
}

export interface NearbyHit {
  message: MessageRecord;
  distance: number;
}

export interface ReactionSummary {
  counts: Array<{ emoji: string; count: number }>;
  mine: string[];
}

export interface ReportRecord {
  id: string;
  messageId: string;
  reporterId: string;
  reason: string;
  createdAt: number;
}

export interface MessageRepo {
  /**
   * Stores a geo post. With a `clientMsgId` already used by the same author, stores nothing and returns
   * the original with `created: false` (idempotent retries).
   */
  createGeo(message: NewGeoMessage): Promise<{ message: MessageRecord; created: boolean }>;
  /**
   * Bulk load (benchmark seeding, `lo import`): stores every post in one transaction, indexed as
   * createGeo would, without the idempotency check. Returns how many were stored.
   */
  importGeo(messages: NewGeoMessage[]): Promise<number>;
  byId(id: string): Promise<MessageRecord | null>;
  /** The author's post with this `client_msg_id`, deleted or not. */
  byClientMsgId(authorId: string, clientMsgId: string): Promise<MessageRecord | null>;
  updateContent(id: string, content: string, editedAt: number): Promise<MessageRecord | null>;
  softDelete(id: string, at: number): Promise<boolean>;
  /**
   * Posts whose public point is within `radiusM` of the query point, not deleted and not expired, in
   * `sort` order (recent: createdAt desc, id desc; distance: distance asc, id asc), strictly after
   * `after`, passing `accept`, at most `limit` of them. `accept` holds the caller's visibility rules.
   */
  nearby(scan: NearbyScan, accept: (candidate: GeoCandidate) => boolean): Promise<NearbyHit[]>;
  /** Adds a reaction; false when this user already reacted with this emoji. */
  addReaction(messageId: string, userId: string, emoji: string, at: number): Promise<boolean>;
  removeReaction(messageId: string, userId: string, emoji: string): Promise<boolean>;
  reactions(messageIds: string[], viewerId: string): Promise<Map<string, ReactionSummary>>;
  /** Files a report; false when this user already reported this message. */
  report(report: ReportRecord): Promise<boolean>;
  /** Removes expired posts from the geo index (they are already invisible); returns how many. */
  purgeExpired(now: number): Promise<number>;
  /** Everything an author posted, deleted posts included (for data export), oldest first. */
  byAuthor(authorId: string): Promise<MessageRecord[]>;
  reactionsBy(userId: string): Promise<Array<{ messageId: string; emoji: string; at: number }>>;
  reportsBy(userId: string): Promise<ReportRecord[]>;
}

export interface AuditEntry {
  id: string;
  at: number;
  actorId: string | null;
  action: string;
  target: string | null;
  data: Record<string, unknown> | null;
}

export interface AuditRepo {
  record(entry: AuditEntry): Promise<void>;
  list(limit: number, after?: PageAfter): Promise<AuditEntry[]>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly users: UserRepo;
  readonly sessions: SessionRepo;
  readonly social: SocialRepo;
  readonly locations: LocationRepo;
  readonly messages: MessageRepo;
  readonly audit: AuditRepo;
  readonly channels: ChannelRepo;
  readonly rooms: RoomRepo;
  readonly beacons: BeaconRepo;
  readonly proximity: ProximityRepo;
  /** A random per-deployment key kept in the database (so every node shares it), made on first use. */
  secret(name: string): Promise<Uint8Array>;
  /** Applies pending migrations; safe to call on every start. */
  migrate(): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
