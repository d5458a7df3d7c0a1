import type { RoomMemberRecord, RoomRecord, RoomRepo, RoomRole } from '../../core/channel-repos.js';
import type { PageAfter } from '../../core/store.js';
import type { PostgresDb } from './postgres-db.js';
import { toRoom } from '../shared/rows.js';
import { fencedRoomsQuery } from '../shared/fenced-rooms.js';
import type { Box } from '../../core/geo/bbox.js';

/** Rooms and their members; a room's messages live in its channel (`room:<id>`, postgres-channels.ts). */
export class PostgresRooms implements RoomRepo {
  constructor(private readonly db: PostgresDb) {}

  async create(room: RoomRecord): Promise<void> {
    await this.db.tx(async (trx) => {
      await trx
        .insertInto('rooms')
        .values({
          id: room.id,
          name: room.name,
          visibility: room.visibility,
          owner_id: room.ownerId,
          fence_lat: room.geofence?.lat ?? null,
          fence_lng: room.geofence?.lng ?? null,
          fence_radius: room.geofence?.radius ?? null,
          fence_join_inside: room.geofence?.joinInside === true,
          created_at: room.createdAt,
        })
        .execute();
      await trx
        .insertInto('room_members')
        .values({ room_id: room.id, user_id: room.ownerId, role: 'owner', joined_at: room.createdAt })
        .execute();
    });
  }

  async byId(id: string): Promise<RoomRecord | null> {
    const row = await this.db.kysely.selectFrom('rooms').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRoom(row) : null;
  }

  async addMember(roomId: string, userId: string, role: RoomRole, at: number): Promise<boolean> {
    const result = await this.db.kysely
      .insertInto('room_members')
      .values({ room_id: roomId, user_id: userId, role, joined_at: at })
      .onConflict((oc) => oc.columns(['room_id', 'user_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async removeMember(roomId: string, userId: string): Promise<boolean> {
    const result = await this.db.kysely
      .deleteFrom('room_members')
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async role(roomId: string, userId: string): Promise<RoomRole | null> {
    const row = await this.db.kysely
      .selectFrom('room_members')
      .select('role')
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? (row.role as RoomRole) : null;
  }

  async members(roomId: string, limit: number, after?: PageAfter): Promise<RoomMemberRecord[]> {
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
    return (await q.execute()).map((row) => ({ ...row, role: row.role as RoomRole }));
  }

  async memberCount(roomId: string): Promise<number> {
    const row = await this.db.kysely
      .selectFrom('room_members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('room_id', '=', roomId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async ofUser(userId: string, limit: number, after?: PageAfter): Promise<Array<RoomRecord & { joinedAt: number }>> {
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
    return (await q.execute()).map(({ joined_at, ...room }) => ({ ...toRoom(room), joinedAt: joined_at }));
  }

  async fencedNear(boxes: Box[], lat: number, lng: number, limit: number): Promise<RoomRecord[]> {
    return (await fencedRoomsQuery(this.db.kysely, boxes, lat, lng, limit).execute()).map(toRoom);
  }
}
