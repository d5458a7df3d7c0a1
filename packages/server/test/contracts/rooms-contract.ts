import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { RoomMemberRecord, RoomRecord } from '../../src/core/channel-repos.js';
import type { PageAfter, Store } from '../../src/core/store.js';
import { newId } from '../../src/util/ids.js';
import { byTimeDescIdDesc, makeUser, MINUTE, storeTest, T0, walkPages, type StoreFactory } from './contract-kit.js';

async function makeRoom(store: Store, ownerId: string, createdAt = T0): Promise<RoomRecord> {
  const room: RoomRecord = { id: newId(createdAt), name: `room ${createdAt}`, visibility: 'public', ownerId, geofence: null, createdAt };
  await store.rooms.create(room);
  return room;
}

/** Times with repeats, so keyset ties on time are broken by id. */
const TIMES = [T0, T0 + MINUTE, T0 + MINUTE, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE, T0 + 3 * MINUTE];
const timeAt = (i: number) => TIMES[i % TIMES.length] ?? T0;

const memberAfter = (m: RoomMemberRecord): PageAfter => ({ at: m.joinedAt, id: m.userId });
const memberOrder = (a: RoomMemberRecord, b: RoomMemberRecord) =>
  a.joinedAt - b.joinedAt || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);

type JoinedRoom = RoomRecord & { joinedAt: number };
const joinedAfter = (r: JoinedRoom): PageAfter => ({ at: r.joinedAt, id: r.id });
const joinedOrder = byTimeDescIdDesc<JoinedRoom>(
  (r) => r.joinedAt,
  (r) => r.id,
);

export function runRoomContract(factory: StoreFactory): void {
  describe('rooms', () => {
    storeTest(factory, 'fencedNear returns public fenced rooms with their centre in the boxes, nearest first', async (store) => {
      const owner = await makeUser(store);
      const at = (name: string, lat: number, lng: number, visibility: 'public' | 'private' = 'public'): RoomRecord => ({
        id: newId(T0),
        name,
        visibility,
        ownerId: owner.id,
        geofence: { lat, lng, radius: 500, joinInside: false },
        createdAt: T0,
      });
      const rooms = [
        at('far', 10.05, 20.05),
        at('near', 10.001, 20.001),
        at('middle', 10.02, 19.99),
        at('private', 10.0, 20.0, 'private'),
        at('outside', 10.5, 20.0),
        { ...at('unfenced', 10, 20), geofence: null },
      ];
      for (const room of rooms) await store.rooms.create(room);
      const boxes = [{ minLat: 9.9, maxLat: 10.1, minLng: 19.9, maxLng: 20.1 }];
      const near = await store.rooms.fencedNear(boxes, 10, 20, 10);
      assert.deepEqual(
        near.map((r) => r.name),
        ['near', 'middle', 'far'],
      );
      assert.deepEqual(near[0], rooms[1]);
      assert.deepEqual(
        (await store.rooms.fencedNear(boxes, 10, 20, 2)).map((r) => r.name),
        ['near', 'middle'],
      );
      const split = [
        { minLat: 9.9, maxLat: 10.1, minLng: 19.9, maxLng: 20.0 },
        { minLat: 10.04, maxLat: 10.06, minLng: 20.04, maxLng: 20.06 },
      ];
      assert.deepEqual(
        (await store.rooms.fencedNear(split, 10, 20, 10)).map((r) => r.name),
        ['middle', 'far'],
      );
    });

    storeTest(factory, 'create stores the room, with or without a geofence, and its owner as first member', async (store) => {
      const owner = await makeUser(store);
      const open = await makeRoom(store, owner.id, T0);
      const fenced: RoomRecord = {
        id: newId(T0),
        name: 'Fenced',
        visibility: 'private',
        ownerId: owner.id,
        geofence: { lat: 48.8566, lng: 2.3522, radius: 250, joinInside: false },
        createdAt: T0 + MINUTE,
      };
      const joinInside: RoomRecord = { ...fenced, id: newId(T0), geofence: { lat: -33.9, lng: 151.2, radius: 300, joinInside: true } };
      await store.rooms.create(fenced);
      await store.rooms.create(joinInside);
      assert.deepEqual(await store.rooms.byId(open.id), open);
      assert.deepEqual(await store.rooms.byId(fenced.id), fenced);
      assert.deepEqual(await store.rooms.byId(joinInside.id), joinInside, 'join_inside is kept');
      assert.equal(await store.rooms.role(fenced.id, owner.id), 'owner');
      assert.equal(await store.rooms.byId(newId(T0)), null);
      assert.equal(await store.rooms.role(open.id, owner.id), 'owner');
      assert.equal(await store.rooms.memberCount(open.id), 1);
      assert.deepEqual(await store.rooms.members(open.id, 10), [
        { userId: owner.id, username: owner.username, role: 'owner', joinedAt: T0 },
      ]);
    });

    storeTest(factory, 'addMember is false for a member; removeMember ends a membership once', async (store) => {
      const owner = await makeUser(store);
      const guest = await makeUser(store);
      const room = await makeRoom(store, owner.id);
      assert.equal(await store.rooms.role(room.id, guest.id), null);
      assert.equal(await store.rooms.addMember(room.id, guest.id, 'member', T0 + 5), true);
      assert.equal(await store.rooms.addMember(room.id, guest.id, 'owner', T0 + 9), false);
      assert.equal(await store.rooms.addMember(room.id, owner.id, 'member', T0 + 9), false);
      assert.equal(await store.rooms.role(room.id, guest.id), 'member', 'a second add changes nothing');
      assert.equal(await store.rooms.role(room.id, owner.id), 'owner');
      assert.equal(await store.rooms.memberCount(room.id), 2);
      assert.deepEqual((await store.rooms.members(room.id, 10)).at(-1), {
        userId: guest.id,
        username: guest.username,
        role: 'member',
        joinedAt: T0 + 5,
      });
      assert.equal(await store.rooms.removeMember(room.id, guest.id), true);
      assert.equal(await store.rooms.removeMember(room.id, guest.id), false);
      assert.equal(await store.rooms.role(room.id, guest.id), null);
      assert.equal(await store.rooms.memberCount(room.id), 1);
      assert.deepEqual(await store.rooms.ofUser(guest.id, 10), []);
    });

    storeTest(factory, 'members page in joining order with no duplicates or gaps', async (store) => {
      const owner = await makeUser(store);
      const room = await makeRoom(store, owner.id, T0 - MINUTE);
      const elsewhere = await makeRoom(store, owner.id);
      const expected: RoomMemberRecord[] = [{ userId: owner.id, username: owner.username, role: 'owner', joinedAt: T0 - MINUTE }];
      for (let i = 0; i < 12; i += 1) {
        const user = await makeUser(store);
        assert.ok(await store.rooms.addMember(room.id, user.id, 'member', timeAt(i)));
        expected.push({ userId: user.id, username: user.username, role: 'member', joinedAt: timeAt(i) });
        if (i % 3 === 0) assert.ok(await store.rooms.addMember(elsewhere.id, user.id, 'member', timeAt(i)));
      }
      expected.sort(memberOrder);
      assert.equal(await store.rooms.memberCount(room.id), 13);
      for (const limit of [1, 3, 4, 100]) {
        const walked = await walkPages(limit, (after) => store.rooms.members(room.id, limit, after), memberAfter);
        assert.deepEqual(walked, expected, `limit ${limit}`);
      }
    });

    storeTest(factory, 'ofUser pages rooms most recently joined first with no duplicates or gaps', async (store) => {
      const me = await makeUser(store, 'me');
      const other = await makeUser(store);
      const expected: JoinedRoom[] = [];
      expected.push({ ...(await makeRoom(store, me.id, T0 + 2 * MINUTE)), joinedAt: T0 + 2 * MINUTE });
      for (let i = 0; i < 10; i += 1) {
        const room = await makeRoom(store, other.id, T0 - MINUTE);
        assert.ok(await store.rooms.addMember(room.id, me.id, 'member', timeAt(i)));
        expected.push({ ...room, joinedAt: timeAt(i) });
      }
      await makeRoom(store, other.id);
      expected.sort(joinedOrder);
      for (const limit of [1, 3, 100]) {
        const walked = await walkPages(limit, (after) => store.rooms.ofUser(me.id, limit, after), joinedAfter);
        assert.deepEqual(walked, expected, `limit ${limit}`);
      }
      assert.equal((await store.rooms.ofUser(other.id, 100)).length, 11);
    });

    storeTest(factory, 'deleting a member account removes its memberships', async (store) => {
      const owner = await makeUser(store);
      const leaving = await makeUser(store);
      const staying = await makeUser(store);
      const rooms = [await makeRoom(store, owner.id), await makeRoom(store, owner.id)];
      for (const room of rooms) {
        assert.ok(await store.rooms.addMember(room.id, leaving.id, 'member', T0 + 1));
        assert.ok(await store.rooms.addMember(room.id, staying.id, 'member', T0 + 2));
      }
      assert.ok(await store.users.delete(leaving.id));
      for (const room of rooms) {
        assert.equal(await store.rooms.role(room.id, leaving.id), null);
        assert.equal(await store.rooms.memberCount(room.id), 2);
        assert.deepEqual(
          (await store.rooms.members(room.id, 10)).map((m) => m.userId),
          [owner.id, staying.id],
        );
        assert.deepEqual(await store.rooms.byId(room.id), room, 'a member leaving keeps the room');
      }
      assert.deepEqual(await store.rooms.ofUser(leaving.id, 10), []);
    });
  });
}
