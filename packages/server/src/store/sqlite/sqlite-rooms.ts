import type { RoomMemberRecord, RoomRecord, RoomRepo, RoomRole } from '../../core/channel-repos.js';
import type { PageAfter } from '../../core/store.js';
import type { SqliteDb } from './sqlite-db.js';
import { toRoom } from '../shared/rows.js';
import { fencedRoomsQuery } from '../shared/fenced-rooms.js';
import type { Box } from '../../core/geo/bbox.js';
import type { Selectable } from 'kysely';
import type { RoomsTable } from './schema.js';

/*
 * The channel access check of every room subscribe and publish reads these two: prepared statements,
 * as building and compiling the Kysely queries cost more than running them (reconnect storm profile).
 */
const BY_ID_SQL = 'SELECT * FROM rooms WHERE id = ?';
const ROLE_SQL = 'SELECT role FROM room_members WHERE room_id = ? AND user_id = ?';

/** Rooms and their members; a room's messages live in its channel (`room:<id>`, sqlite-channels.ts). */
export class SqliteRooms implements RoomRepo {
  constructor(private readonly db: SqliteDb) {}

  create(room: RoomRecord): Promise<void> {
    const k = this.db.kysely;
    this.db.tx(() => {
      this.db.run(
        k.insertInto('rooms').values({
          id: room.id,
          name: room.name,
          visibility: room.visibility,
          owner_id: room.ownerId,
          fence_lat: room.geofence?.lat ?? null,
          fence_lng: room.geofence?.lng ?? null,
          fence_radius: room.geofence?.radius ?? null,
          fence_join_inside: room.geofence?.joinInside === true ? 1 : 0,
          created_at: room.createdAt,
        }),
      );
      this.db.run(
        k.insertInto('room_members').values({ room_id: room.id, user_id: room.ownerId, role: 'owner', joined_at: room.createdAt }),
      );
    });
    return Promise.resolve();
  }

  byId(id: string): Promise<RoomRecord | null> {
    const row = this.db.prepare(BY_ID_SQL).get(id) as Selectable<RoomsTable> | undefined;
    return Promise.resolve(row ? toRoom(row) : null);
  }

  addMember(roomId: string, userId: string, role: RoomRole, at: number): Promise<boolean> {
    const q = this.db.kysely
      .insertInto('room_members')
      .values({ room_id: roomId, user_id: userId, role, joined_at: at })
      .onConflict((oc) => oc.columns(['room_id', 'user_id']).doNothing());
    return Promise.resolve(this.db.run(q) > 0);
  }

  removeMember(roomId: string, userId: string): Promise<boolean> {
    const q = this.db.kysely.deleteFrom('room_members').where('room_id', '=', roomId).where('user_id', '=', userId);
    return Promise.resolve(this.db.run(q) > 0);
  }

  role(roomId: string, userId: string): Promise<RoomRole | null> {
    const row = this.db.prepare(ROLE_SQL).get(roomId, userId) as { role: string } | undefined;
    return Promise.resolve(row ? (row.role as RoomRole) : null);
  }

  members(roomId: string, limit: number, after?: PageAfter): Promise<RoomMemberRecord[]> {
    let q = this.db.kysely
      .selectFrom('room_members as rm')
      .innerJoin('users as u', 'u.id', 'rm.user_id')
      .select(['rm.user_id as userId', 'u.username', 'rm.role', 'rm.joined_at as joinedAt'])
      .where('rm.room_id', '=', roomId)
      .orderBy('rm.joined_at', 'asc')
      .orderBy('rm.user_id', 'asc')
      .limit(limit);
    if (after) {
      q = q.where((eb) =>
        eb.or([eb('rm.joined_at', '>', after.at), eb.and([eb('rm.joined_at', '=', after.at), eb('rm.user_id', '>', after.id)])]),
      );
    }
    return Promise.resolve(this.db.all(q).map((row) => ({ ...row, role: row.role as RoomRole })));
  }

  memberCount(roomId: string): Promise<number> {
    const q = this.db.kysely
      .selectFrom('room_members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('room_id', '=', roomId);
    return Promise.resolve(Number(this.db.get(q)?.n ?? 0));
  }

  ofUser(userId: string, limit: number, after?: PageAfter): Promise<Array<RoomRecord & { joinedAt: number }>> {
    let q = this.db.kysely
      .selectFrom('room_members as rm')
      .innerJoin('rooms as r', 'r.id', 'rm.room_id')
      .selectAll('r')
      .select('rm.joined_at')
      .where('rm.user_id', '=', userId)
      .orderBy('rm.joined_at', 'desc')
      .orderBy('rm.room_id', 'desc')
      .limit(limit);
    if (after) {
      q = q.where((eb) =>
        eb.or([eb('rm.joined_at', '<', after.at), eb.and([eb('rm.joined_at', '=', after.at), eb('rm.room_id', '<', after.id)])]),
      );
    }
    return Promise.resolve(this.db.all(q).map(({ joined_at, ...room }) => ({ ...toRoom(room), joinedAt: joined_at })));
  }

  fencedNear(boxes: Box[], lat: number, lng: number, limit: number): Promise<RoomRecord[]> {
    return Promise.resolve(this.db.all(fencedRoomsQuery(this.db.kysely, boxes, lat, lng, limit)).map(toRoom));
  }
}
