import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { EdgeRecord, FriendRequestRecord, PageAfter, Store } from '../../src/core/store.js';
import { newId } from '../../src/util/ids.js';
import { byTimeDescIdDesc, makeUser, MINUTE, sortedIds, storeTest, T0, walkPages, type StoreFactory } from './contract-kit.js';

async function request(store: Store, fromId: string, toId: string, createdAt = T0): Promise<FriendRequestRecord> {
  const record: FriendRequestRecord = { id: newId(createdAt), fromId, toId, status: 'pending', createdAt, respondedAt: null };
  await store.social.createRequest(record);
  return record;
}

async function befriend(store: Store, a: string, b: string, at: number): Promise<void> {
  const r = await request(store, a, b, at);
  assert.ok(await store.social.respond(r.id, 'accepted', at));
}

const requestAfter = (r: FriendRequestRecord): PageAfter => ({ at: r.createdAt, id: r.id });
const edgeAfter = (e: EdgeRecord): PageAfter => ({ at: e.at, id: e.userId });
const edgeOrder = byTimeDescIdDesc<EdgeRecord>(
  (e) => e.at,
  (e) => e.userId,
);
const requestOrder = byTimeDescIdDesc<FriendRequestRecord>(
  (r) => r.createdAt,
  (r) => r.id,
);

/** Times with repeats, so keyset ties on time are broken by id. */
const TIMES = [T0, T0 + MINUTE, T0 + MINUTE, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE, T0 + 3 * MINUTE];
const timeAt = (i: number) => TIMES[i % TIMES.length] ?? T0;

export function runSocialContract(factory: StoreFactory): void {
  describe('social', () => {
    storeTest(factory, 'strangers have no relation', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const none = { friendsSince: null, sentRequest: null, receivedRequest: null, blocks: false, blockedBy: false };
      assert.deepEqual(await store.social.relation(a.id, b.id), none);
      assert.deepEqual(await store.social.relation(b.id, a.id), none);
      assert.equal(await store.social.areFriends(a.id, b.id), false);
      assert.deepEqual([...(await store.social.friendIds(a.id))], []);
      assert.deepEqual([...(await store.social.blockedEitherWay(a.id))], []);
    });

    storeTest(factory, 'a pending request shows as sent on one side and received on the other', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const r = await request(store, a.id, b.id);
      assert.deepEqual(await store.social.requestById(r.id), r);
      assert.equal(await store.social.requestById(newId(T0)), null);
      const fromA = await store.social.relation(a.id, b.id);
      assert.deepEqual(fromA.sentRequest, r);
      assert.equal(fromA.receivedRequest, null);
      const fromB = await store.social.relation(b.id, a.id);
      assert.deepEqual(fromB.receivedRequest, r);
      assert.equal(fromB.sentRequest, null);
      assert.deepEqual(await store.social.incoming(b.id, 10), [r]);
      assert.deepEqual(await store.social.outgoing(a.id, 10), [r]);
      assert.deepEqual(await store.social.incoming(a.id, 10), []);
    });

    storeTest(factory, 'accepting makes both users friends of each other; respond on a non-pending request is false', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const r = await request(store, a.id, b.id);
      assert.equal(await store.social.respond(r.id, 'accepted', T0 + 5), true);
      assert.deepEqual(await store.social.requestById(r.id), { ...r, status: 'accepted', respondedAt: T0 + 5 });
      assert.equal(await store.social.areFriends(a.id, b.id), true);
      assert.equal(await store.social.areFriends(b.id, a.id), true);
      assert.equal((await store.social.relation(a.id, b.id)).friendsSince, T0 + 5);
      assert.equal((await store.social.relation(b.id, a.id)).friendsSince, T0 + 5);
      assert.deepEqual([...(await store.social.friendIds(a.id))], [b.id]);
      assert.deepEqual([...(await store.social.friendIds(b.id))], [a.id]);
      assert.deepEqual(await store.social.friends(a.id, 10), [{ userId: b.id, at: T0 + 5 }]);
      assert.deepEqual(await store.social.friends(b.id, 10), [{ userId: a.id, at: T0 + 5 }]);
      assert.deepEqual(await store.social.incoming(b.id, 10), []);
      assert.equal(await store.social.respond(r.id, 'accepted', T0 + 6), false);
      assert.equal(await store.social.respond(r.id, 'declined', T0 + 6), false);
      assert.equal((await store.social.requestById(r.id))?.status, 'accepted', 'a late decline changes nothing');
      assert.equal(await store.social.respond(newId(T0), 'accepted', T0 + 6), false, 'unknown request');
    });

    storeTest(factory, 'accepting settles a crossing request in the other direction', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const ab = await request(store, a.id, b.id, T0);
      const ba = await request(store, b.id, a.id, T0 + 1);
      assert.ok(await store.social.respond(ab.id, 'accepted', T0 + 2));
      assert.equal((await store.social.requestById(ba.id))?.status, 'accepted');
      for (const u of [a, b]) {
        assert.deepEqual(await store.social.incoming(u.id, 10), []);
        assert.deepEqual(await store.social.outgoing(u.id, 10), []);
        const rel = await store.social.relation(u.id, u.id === a.id ? b.id : a.id);
        assert.equal(rel.sentRequest, null);
        assert.equal(rel.receivedRequest, null);
      }
      assert.equal(await store.social.respond(ba.id, 'accepted', T0 + 3), false);
      assert.equal(await store.social.areFriends(a.id, b.id), true);
    });

    storeTest(factory, 'declining records the answer, makes no friendship and allows a new request', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const r = await request(store, a.id, b.id);
      assert.equal(await store.social.respond(r.id, 'declined', T0 + 9), true);
      assert.deepEqual(await store.social.requestById(r.id), { ...r, status: 'declined', respondedAt: T0 + 9 });
      assert.equal(await store.social.areFriends(a.id, b.id), false);
      assert.deepEqual(await store.social.incoming(b.id, 10), []);
      assert.equal(await store.social.respond(r.id, 'accepted', T0 + 10), false);
      const again = await request(store, a.id, b.id, T0 + 11);
      assert.deepEqual(await store.social.incoming(b.id, 10), [again]);
    });

    storeTest(factory, 'incoming and outgoing page newest first with no duplicates or gaps', async (store) => {
      const me = await makeUser(store, 'me');
      const stranger = await makeUser(store, 'stranger');
      const incoming: FriendRequestRecord[] = [];
      const outgoing: FriendRequestRecord[] = [];
      for (let i = 0; i < 13; i += 1) {
        const other = await makeUser(store);
        if (i % 4 === 3) {
          // Answered requests and requests between other users are not listed.
          const done = await request(store, other.id, me.id, timeAt(i));
          assert.ok(await store.social.respond(done.id, 'declined', timeAt(i)));
          await request(store, other.id, stranger.id, timeAt(i));
        } else {
          incoming.push(await request(store, other.id, me.id, timeAt(i)));
        }
        outgoing.push(await request(store, me.id, (await makeUser(store)).id, timeAt(i + 2)));
      }
      incoming.sort(requestOrder);
      outgoing.sort(requestOrder);
      for (const limit of [1, 3, 4]) {
        const inPages = await walkPages(limit, (after) => store.social.incoming(me.id, limit, after), requestAfter);
        assert.deepEqual(inPages, incoming, `incoming, limit ${limit}`);
        const outPages = await walkPages(limit, (after) => store.social.outgoing(me.id, limit, after), requestAfter);
        assert.deepEqual(outPages, outgoing, `outgoing, limit ${limit}`);
      }
      assert.deepEqual(await store.social.incoming(me.id, 100), incoming);
    });

    storeTest(factory, 'friends page most recent friendship first with no duplicates or gaps', async (store) => {
      const me = await makeUser(store, 'me');
      const expected: EdgeRecord[] = [];
      for (let i = 0; i < 11; i += 1) {
        const other = await makeUser(store);
        if (i % 2 === 0) await befriend(store, me.id, other.id, timeAt(i));
        else await befriend(store, other.id, me.id, timeAt(i));
        expected.push({ userId: other.id, at: timeAt(i) });
      }
      const outsider = await makeUser(store);
      await befriend(store, outsider.id, (await makeUser(store)).id, T0);
      expected.sort(edgeOrder);
      for (const limit of [1, 2, 4]) {
        assert.deepEqual(
          await walkPages(limit, (after) => store.social.friends(me.id, limit, after), edgeAfter),
          expected,
          `limit ${limit}`,
        );
      }
      assert.deepEqual(sortedIds(await store.social.friendIds(me.id)), sortedIds(expected.map((e) => e.userId)));
    });

    storeTest(factory, 'removeFriend ends the friendship both ways, once', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const c = await makeUser(store);
      await befriend(store, a.id, b.id, T0);
      await befriend(store, a.id, c.id, T0);
      assert.equal(await store.social.removeFriend(b.id, a.id), true);
      assert.equal(await store.social.areFriends(a.id, b.id), false);
      assert.equal(await store.social.areFriends(b.id, a.id), false);
      assert.equal(await store.social.removeFriend(a.id, b.id), false);
      assert.deepEqual([...(await store.social.friendIds(a.id))], [c.id]);
      assert.deepEqual([...(await store.social.friendIds(b.id))], []);
    });

    storeTest(factory, 'block ends the friendship and pending requests both ways; blocking twice is false', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const c = await makeUser(store);
      await befriend(store, a.id, b.id, T0);
      const fromA = await request(store, a.id, c.id, T0);
      const fromC = await request(store, c.id, a.id, T0 + 1);
      const keep = await request(store, c.id, b.id, T0 + 2);

      assert.equal(await store.social.block(a.id, b.id, T0 + 10), true);
      assert.equal(await store.social.areFriends(a.id, b.id), false);
      assert.equal(await store.social.areFriends(b.id, a.id), false);
      assert.deepEqual(await store.social.relation(a.id, b.id), {
        friendsSince: null,
        sentRequest: null,
        receivedRequest: null,
        blocks: true,
        blockedBy: false,
      });
      assert.deepEqual(await store.social.relation(b.id, a.id), {
        friendsSince: null,
        sentRequest: null,
        receivedRequest: null,
        blocks: false,
        blockedBy: true,
      });

      assert.equal(await store.social.block(c.id, a.id, T0 + 11), true);
      for (const r of [fromA, fromC]) {
        assert.notEqual((await store.social.requestById(r.id))?.status, 'pending', 'a block ends pending requests both ways');
        assert.equal(await store.social.respond(r.id, 'accepted', T0 + 12), false);
      }
      assert.equal(await store.social.areFriends(a.id, c.id), false);
      assert.equal((await store.social.requestById(keep.id))?.status, 'pending', 'requests with third parties stay');
      assert.equal(await store.social.block(a.id, b.id, T0 + 13), false, 'already blocked');
      assert.deepEqual(await store.social.blocks(a.id, 10), [{ userId: b.id, at: T0 + 10 }], 'the first block keeps its time');
    });

    storeTest(factory, 'blockedEitherWay covers both directions; unblock lifts one direction once', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const c = await makeUser(store);
      const d = await makeUser(store);
      assert.ok(await store.social.block(a.id, b.id, T0));
      assert.ok(await store.social.block(c.id, a.id, T0));
      assert.ok(await store.social.block(b.id, a.id, T0));
      assert.deepEqual(sortedIds(await store.social.blockedEitherWay(a.id)), sortedIds([b.id, c.id]));
      assert.deepEqual(sortedIds(await store.social.blockedEitherWay(b.id)), [a.id]);
      assert.deepEqual(sortedIds(await store.social.blockedEitherWay(c.id)), [a.id]);
      assert.deepEqual([...(await store.social.blockedEitherWay(d.id))], []);

      assert.equal(await store.social.unblock(a.id, b.id), true);
      assert.equal(await store.social.unblock(a.id, b.id), false);
      assert.equal(await store.social.unblock(a.id, d.id), false);
      const rel = await store.social.relation(a.id, b.id);
      assert.equal(rel.blocks, false);
      assert.equal(rel.blockedBy, true, "b's own block stays");
      assert.deepEqual(sortedIds(await store.social.blockedEitherWay(a.id)), sortedIds([b.id, c.id]));
      assert.ok(await store.social.unblock(b.id, a.id));
      assert.deepEqual(sortedIds(await store.social.blockedEitherWay(a.id)), [c.id]);
      assert.deepEqual(await store.social.blocks(a.id, 10), []);
    });

    storeTest(factory, 'blocks page most recent first with no duplicates or gaps', async (store) => {
      const me = await makeUser(store, 'me');
      const expected: EdgeRecord[] = [];
      for (let i = 0; i < 10; i += 1) {
        const other = await makeUser(store);
        assert.ok(await store.social.block(me.id, other.id, timeAt(i)));
        expected.push({ userId: other.id, at: timeAt(i) });
        assert.ok(await store.social.block(other.id, me.id, timeAt(i)), 'blocks of me are not my blocks');
      }
      expected.sort(edgeOrder);
      for (const limit of [1, 3]) {
        assert.deepEqual(
          await walkPages(limit, (after) => store.social.blocks(me.id, limit, after), edgeAfter),
          expected,
          `limit ${limit}`,
        );
      }
    });
  });
}
