/**
 * Rooms (the seeds' "lo"): public ones anyone may join, private ones whose owner adds members. A
 * private room is invisible to non-members (404, like a missing one). Posting, history and live
 * delivery go through ChannelService on the room's channel `room:<id>`.
 */
import type { CreateRoom, Page, Room, RoomMember } from '@lo/protocol';
import { LoError } from '../../errors/lo-error.js';
import { newId } from '../../util/ids.js';
import { iso, type Clock } from '../../util/time.js';
import type { RoomRecord } from '../channel-repos.js';
import { decodeAfter, toPage } from '../paging.js';
import { NO_REALTIME_EVENTS, type RealtimeEvents } from '../realtime-events.js';
import type { Store } from '../store.js';

export const roomChannel = (id: string): string => `room:${id}`;

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
      geofence: input.geofence ?? null,
      createdAt: now,
    };
    await this.store.rooms.create(room);
    return this.view(room, ownerId);
  }

  async get(viewerId: string, id: string): Promise<Room> {
    return this.view(await this.visible(viewerId, id), viewerId);
  }

  /** Joins a public room (idempotent). Private rooms take members only from their owner. */
  async join(userId: string, id: string): Promise<Room> {
    const room = await this.visible(userId, id);
    if (room.visibility === 'private') {
      if ((await this.store.rooms.role(id, userId)) === null) throw new LoError('room_not_found');
    } else {
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
      geofence: room.geofence,
      member_count: count,
      created_at: iso(room.createdAt),
      my_role: role,
    };
  }
}
