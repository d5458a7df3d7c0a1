/**
 * Rooms (the seeds' "lo"): public ones anyone may join, private ones whose owner adds members. A
 * private room is invisible to non-members (404, like a missing one). Posting, history and live
 * delivery go through ChannelService on the room's channel `room:<id>`.
 */
import { LIMITS, type CreateRoom, type NearbyRoom, type NearbyRoomsQuery, type Page, type Room, type RoomMember } from '@lo/protocol';
import { decodeCursor, isRecord } from '../../util/cursor.js';
import { boundingBoxes } from '../geo/bbox.js';
import { distanceBand } from '../geo/distance-band.js';
import { haversineM } from '../geo/haversine.js';
import { assertInsideGeofence } from './geofence.js';
import { LoError } from '../../errors/lo-error.js';
import { newId } from '../../util/ids.js';
import { iso, type Clock } from '../../util/time.js';
import type { RoomRecord } from '../channel-repos.js';
import { decodeAfter, toPage } from '../paging.js';
import { NO_REALTIME_EVENTS, type RealtimeEvents } from '../realtime-events.js';
import type { Store } from '../store.js';

export const roomChannel = (id: string): string => `room:${id}`;

/** Fenced rooms read per nearby query (nearest first); a denser place shows its nearest this many. */
const NEARBY_ROOMS_SCAN = 1000;

type RoomsAfter = { d: number; id: string };

function decodeNearbyRoomsCursor(cursor: string | undefined): RoomsAfter | undefined {
  if (cursor === undefined) return undefined;
  const after = decodeCursor(cursor, (v): v is RoomsAfter => isRecord(v) && Number.isFinite(v.d) && typeof v.id === 'string');
  if (after === null) throw new LoError('invalid_cursor');
  return after;
}

function isAfter(hit: { distance: number; room: { id: string } }, after: RoomsAfter | undefined): boolean {
  return after === undefined || hit.distance > after.d || (hit.distance === after.d && hit.room.id > after.id);
}

export class RoomService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly events: RealtimeEvents = NO_REALTIME_EVENTS,
  ) {}

  async create(ownerId: string, input: CreateRoom): Promise<Room> {
    const name = input.name.trim();
    if (name === '')
      throw new LoError('validation_failed', 'name must not be blank.', { errors: [{ path: '/name', message: 'must not be blank' }] });
    const now = this.clock.now();
    const room: RoomRecord = {
      id: newId(now),
      name,
      visibility: input.visibility,
      ownerId,
      geofence: input.geofence
        ? {
            lat: input.geofence.lat,
            lng: input.geofence.lng,
            radius: input.geofence.radius,
            joinInside: input.geofence.join_inside === true,
          }
        : null,
      createdAt: now,
    };
    await this.store.rooms.create(room);
    return this.view(room, ownerId);
  }

  async get(viewerId: string, id: string): Promise<Room> {
    return this.view(await this.visible(viewerId, id), viewerId);
  }

  /**
   * Joins a public room (idempotent). Private rooms take members only from their owner. A fence with
   * `joinInside` takes only people whose current location is inside it (members stay when they leave it).
   */
  async join(userId: string, id: string): Promise<Room> {
    const room = await this.visible(userId, id);
    if (room.visibility === 'private') {
      if ((await this.store.rooms.role(id, userId)) === null) throw new LoError('room_not_found');
    } else {
      const fence = room.geofence;
      if (fence?.joinInside === true && (await this.store.rooms.role(id, userId)) === null) {
        await assertInsideGeofence(this.store, this.clock, userId, fence);
      }
      await this.store.rooms.addMember(id, userId, 'member', this.clock.now());
    }
    return this.view(room, userId);
  }

  async leave(userId: string, id: string): Promise<void> {
    const room = await this.visible(userId, id);
    if (room.ownerId === userId) throw new LoError('owner_cannot_leave');
    if (!(await this.store.rooms.removeMember(id, userId))) throw new LoError('not_room_member');
    // Live subscriptions follow: a public room needs membership to read (and private rooms always do).
    await this.events.revoked(userId, roomChannel(id));
  }

  async addMember(ownerId: string, id: string, userId: string): Promise<RoomMember> {
    const room = await this.owned(ownerId, id);
    const user = await this.store.users.byId(userId);
    const relation = user === null ? null : await this.store.social.relation(ownerId, userId);
    if (user === null || relation === null || relation.blocks || relation.blockedBy) throw new LoError('user_not_found');
    const now = this.clock.now();
    await this.store.rooms.addMember(room.id, userId, 'member', now);
    const role = (await this.store.rooms.role(room.id, userId)) ?? 'member';
    return { user: { id: user.id, username: user.username }, role, joined_at: iso(now) };
  }

  async removeMember(ownerId: string, id: string, userId: string): Promise<void> {
    const room = await this.owned(ownerId, id);
    if (userId === room.ownerId) throw new LoError('owner_cannot_leave');
    if (!(await this.store.rooms.removeMember(id, userId))) throw new LoError('not_room_member', 'This user is not a member.');
    await this.events.revoked(userId, roomChannel(id));
  }

  async members(viewerId: string, id: string, limit: number, cursor?: string): Promise<Page<RoomMember>> {
    const room = await this.visible(viewerId, id);
    const rows = await this.store.rooms.members(room.id, limit + 1, decodeAfter(cursor));
    const hidden = await this.store.social.blockedEitherWay(viewerId);
    const page = toPage(
      rows,
      limit,
      (m) => ({ at: m.joinedAt, id: m.userId }),
      (m): RoomMember => ({ user: { id: m.userId, username: m.username }, role: m.role, joined_at: iso(m.joinedAt) }),
    );
    return { ...page, items: page.items.filter((m) => !hidden.has(m.user.id)) };
  }

  async mine(userId: string, limit: number, cursor?: string): Promise<Page<Room>> {
    const rows = await this.store.rooms.ofUser(userId, limit + 1, decodeAfter(cursor));
    const page = toPage(
      rows,
      limit,
      (r) => ({ at: r.joinedAt, id: r.id }),
      (r) => r,
    );
    return { items: await Promise.all(page.items.map((r) => this.view(r, userId))), next_cursor: page.next_cursor };
  }

  /**
   * Public geofenced rooms whose fence reaches within `radius` of the point, nearest centre first,
   * keyset-paged by (distance, id). The fence is the room's public definition, not a person's location.
   */
  async nearby(viewerId: string, query: NearbyRoomsQuery): Promise<Page<NearbyRoom>> {
    const radius = query.radius ?? LIMITS.defaultVisibilityRadiusM;
    const limit = query.limit ?? LIMITS.pageDefault;
    const after = decodeNearbyRoomsCursor(query.cursor);
    const boxes = boundingBoxes(query.lat, query.lng, radius + LIMITS.radiusMaxM);
    const candidates = await this.store.rooms.fencedNear(boxes, query.lat, query.lng, NEARBY_ROOMS_SCAN);
    const hits = candidates
      .map((room) => ({ room, distance: haversineM(query.lat, query.lng, room.geofence!.lat, room.geofence!.lng) }))
      .filter((hit) => hit.distance <= radius + hit.room.geofence!.radius && isAfter(hit, after))
      .sort((a, b) => a.distance - b.distance || (a.room.id < b.room.id ? -1 : 1));
    const page = toPage(
      hits,
      limit,
      (hit) => ({ d: hit.distance, id: hit.room.id }),
      (hit) => hit,
    );
    const items = await Promise.all(
      page.items.map(async ({ room, distance }) => ({
        ...(await this.view(room, viewerId)),
        distance_band: distanceBand(distance),
        inside: distance <= room.geofence!.radius,
      })),
    );
    return { items, next_cursor: page.next_cursor };
  }

  /** The room, unless it is missing or private and the viewer is not a member. */
  private async visible(viewerId: string, id: string): Promise<RoomRecord> {
    const room = await this.store.rooms.byId(id);
    if (room === null) throw new LoError('room_not_found');
    if (room.visibility === 'private' && (await this.store.rooms.role(id, viewerId)) === null) throw new LoError('room_not_found');
    return room;
  }

  private async owned(ownerId: string, id: string): Promise<RoomRecord> {
    const room = await this.visible(ownerId, id);
    if (room.ownerId !== ownerId) throw new LoError('forbidden', 'Only the room owner manages members.');
    return room;
  }

  private async view(room: RoomRecord, viewerId: string): Promise<Room> {
    const [owner, count, role] = await Promise.all([
      this.store.users.byId(room.ownerId),
      this.store.rooms.memberCount(room.id),
      this.store.rooms.role(room.id, viewerId),
    ]);
    return {
      id: room.id,
      name: room.name,
      visibility: room.visibility,
      channel: roomChannel(room.id),
      owner: { id: room.ownerId, username: owner?.username ?? '' },
      geofence: room.geofence && {
        lat: room.geofence.lat,
        lng: room.geofence.lng,
        radius: room.geofence.radius,
        join_inside: room.geofence.joinInside === true,
      },
      member_count: count,
      created_at: iso(room.createdAt),
      my_role: role,
    };
  }
}
