import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { SessionRecord, Store } from '../../src/core/store.js';
import { newId } from '../../src/util/ids.js';
import { acceptAll, DAY, geoDraft, HOUR, makeUser, MINUTE, sortedIds, storeTest, T0, type StoreFactory } from './contract-kit.js';

function session(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const createdAt = overrides.createdAt ?? T0;
  return {
    id: newId(createdAt),
    userId,
    device: 'phone',
    createdAt,
    lastUsedAt: createdAt,
    expiresAt: createdAt + 30 * DAY,
    revokedAt: null,
    ipHash: 'ip-a',
    ...overrides,
  };
}

let tokenCounter = 0;
function token(): string {
  tokenCounter += 1;
  return `token-${tokenCounter}-${Math.random().toString(36).slice(2)}`;
}

async function newSession(store: Store, userId: string, overrides: Partial<SessionRecord> = {}) {
  const record = session(userId, overrides);
  const first = token();
  await store.sessions.create(record, first);
  return { record, token: first };
}

export function runUserContract(factory: StoreFactory): void {
  describe('users', () => {
    storeTest(factory, 'create stores the user with the default preferences', async (store) => {
      const id = newId(T0);
      const user = await store.users.create({ id, username: 'Alice', passwordHash: 'h1', role: 'admin', createdAt: T0 });
      assert.deepEqual(user, {
        id,
        username: 'Alice',
        passwordHash: 'h1',
        role: 'admin',
        displayName: null,
        createdAt: T0,
        bannedAt: null,
        visibilityRadius: 1000,
        locationSharing: 'off',
        locationPrecision: 'coarse',
        ghostMode: false,
        ghostUntil: null,
        proximityRadius: null,
      });
      assert.deepEqual(await store.users.byId(id), user);
      assert.equal(await store.users.count(), 1);
    });

    storeTest(factory, 'usernames are unique case-insensitively: create returns null and stores nothing', async (store) => {
      const alice = await store.users.create({ id: newId(T0), username: 'Alice', passwordHash: 'h', role: 'user', createdAt: T0 });
      assert.ok(alice);
      for (const taken of ['alice', 'ALICE', 'aLiCe', 'Alice']) {
        assert.equal(await store.users.create({ id: newId(T0), username: taken, passwordHash: 'h', role: 'user', createdAt: T0 }), null);
      }
      assert.equal(await store.users.count(), 1);
      const found = await store.users.byUsername('aLIce');
      assert.equal(found?.id, alice.id);
      assert.equal(found?.username, 'Alice', 'the username keeps the case it was created with');
      assert.equal(await store.users.byUsername('bob'), null);
    });

    storeTest(factory, 'byId and byIds return only users that exist', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      await makeUser(store);
      assert.equal(await store.users.byId(newId(T0)), null);
      assert.deepEqual(await store.users.byIds([]), []);
      const found = await store.users.byIds([a.id, newId(T0), b.id]);
      assert.deepEqual(sortedIds(found.map((u) => u.id)), sortedIds([a.id, b.id]));
      assert.deepEqual(
        found.find((u) => u.id === a.id),
        a,
      );
    });

    storeTest(factory, 'update changes each field it is given and leaves the rest', async (store) => {
      const user = await makeUser(store);
      const other = await makeUser(store);
      const steps: Array<[Parameters<Store['users']['update']>[1], Partial<typeof user>]> = [
        [{ displayName: 'Al' }, { displayName: 'Al' }],
        [{ visibilityRadius: 5000 }, { visibilityRadius: 5000 }],
        [{ locationSharing: 'friends' }, { locationSharing: 'friends' }],
        [{ locationPrecision: 'exact' }, { locationPrecision: 'exact' }],
        [{ ghostMode: true }, { ghostMode: true }],
        [{ ghostUntil: T0 + HOUR }, { ghostUntil: T0 + HOUR }],
        [{ proximityRadius: 750 }, { proximityRadius: 750 }],
        [{ role: 'admin' }, { role: 'admin' }],
        [{ bannedAt: T0 + 5 }, { bannedAt: T0 + 5 }],
        [{}, {}],
        [
          { displayName: null, ghostMode: false, ghostUntil: null, proximityRadius: null, bannedAt: null },
          { displayName: null, ghostMode: false, ghostUntil: null, proximityRadius: null, bannedAt: null },
        ],
      ];
      let expected = user;
      for (const [patch, change] of steps) {
        expected = { ...expected, ...change };
        assert.deepEqual(await store.users.update(user.id, patch), expected, `after ${JSON.stringify(patch)}`);
        assert.deepEqual(await store.users.byId(user.id), expected);
      }
      assert.deepEqual(await store.users.byId(other.id), other, 'other users are untouched');
      assert.equal(await store.users.update(newId(T0), { displayName: 'x' }), null);
    });

    storeTest(factory, 'delete removes the account and everything it owns, and frees the username', async (store) => {
      const gone = await makeUser(store, 'gone');
      const friend = await makeUser(store, 'friend');
      const blocker = await makeUser(store, 'blocker');
      const blockedOne = await makeUser(store, 'blocked');
      const requested = await makeUser(store, 'requested');
      const requester = await makeUser(store, 'requester');

      const { record: s1, token: t1 } = await newSession(store, gone.id);
      await newSession(store, friend.id);
      const req = { id: newId(T0), fromId: gone.id, toId: friend.id, status: 'pending' as const, createdAt: T0, respondedAt: null };
      await store.social.createRequest(req);
      assert.ok(await store.social.respond(req.id, 'accepted', T0 + 1));
      assert.ok(await store.social.block(blocker.id, gone.id, T0 + 2));
      assert.ok(await store.social.block(gone.id, blockedOne.id, T0 + 3));
      await store.social.createRequest({
        id: newId(T0),
        fromId: gone.id,
        toId: requested.id,
        status: 'pending',
        createdAt: T0,
        respondedAt: null,
      });
      await store.social.createRequest({
        id: newId(T0),
        fromId: requester.id,
        toId: gone.id,
        status: 'pending',
        createdAt: T0,
        respondedAt: null,
      });
      await store.locations.set(gone.id, { lat: 1, lng: 2, accuracy: null, at: T0 });
      const beacon = { lat: 1, lng: 2, accuracy: null, publicLat: 1.01, publicLng: 2.01, at: T0 };
      await store.beacons.set({ userId: gone.id, ...beacon });
      await store.beacons.set({ userId: friend.id, ...beacon });
      assert.ok(await store.proximity.set(gone.id, friend.id, true, T0));

      const own = (await store.messages.createGeo(geoDraft(gone.id, { createdAt: T0 }))).message;
      const friendPost = (await store.messages.createGeo(geoDraft(friend.id, { createdAt: T0 + 1 }))).message;
      assert.ok(await store.messages.addReaction(friendPost.id, gone.id, '👍', T0));
      assert.ok(await store.messages.addReaction(friendPost.id, friend.id, '🔥', T0));
      assert.ok(await store.messages.addReaction(own.id, friend.id, '👍', T0));
      assert.ok(
        await store.messages.report({ id: newId(T0), messageId: friendPost.id, reporterId: gone.id, reason: 'spam', createdAt: T0 }),
      );
      assert.ok(await store.messages.report({ id: newId(T0), messageId: own.id, reporterId: friend.id, reason: 'spam', createdAt: T0 }));

      assert.equal(await store.users.delete(gone.id), true);

      assert.equal(await store.users.byId(gone.id), null);
      assert.equal(await store.users.byUsername(gone.username), null);
      assert.equal(await store.users.count(), 5);
      assert.equal(await store.sessions.byId(s1.id), null);
      assert.deepEqual(await store.sessions.listActive(gone.id, T0, T0 - DAY), []);
      assert.deepEqual(await store.sessions.rotate(t1, token(), T0 + MINUTE, T0 - DAY), { kind: 'invalid' });
      assert.equal(await store.social.areFriends(friend.id, gone.id), false);
      assert.deepEqual([...(await store.social.friendIds(friend.id))], []);
      assert.deepEqual(await store.social.friends(friend.id, 10), []);
      assert.deepEqual([...(await store.social.blockedEitherWay(blocker.id))], []);
      assert.deepEqual([...(await store.social.blockedEitherWay(blockedOne.id))], []);
      assert.deepEqual(await store.social.blocks(blocker.id, 10), []);
      assert.deepEqual(await store.social.incoming(requested.id, 10), []);
      assert.deepEqual(await store.social.outgoing(requester.id, 10), []);
      assert.equal(await store.locations.get(gone.id), null);
      assert.deepEqual(
        (await store.beacons.of([gone.id, friend.id], 0)).map((b) => b.userId),
        [friend.id],
        'the beacon goes with the account',
      );
      assert.deepEqual([...(await store.proximity.nearOf(friend.id))], [], 'so do its proximity pairs');
      assert.equal(await store.messages.byId(own.id), null);
      assert.deepEqual(await store.messages.byAuthor(gone.id), []);
      assert.deepEqual(await store.messages.reactionsBy(gone.id), []);
      assert.deepEqual(await store.messages.reportsBy(gone.id), []);
      const summary = (await store.messages.reactions([friendPost.id], friend.id)).get(friendPost.id);
      assert.deepEqual(summary, { counts: [{ emoji: '🔥', count: 1 }], mine: ['🔥'] });
      const nearby = await store.messages.nearby(
        { lat: 48.8566, lng: 2.3522, radiusM: 1000, sort: 'recent', limit: 10, now: T0 + MINUTE },
        acceptAll,
      );
      assert.deepEqual(
        nearby.map((h) => h.message.id),
        [friendPost.id],
        "the deleted user's posts leave the nearby feed",
      );
      assert.deepEqual(await store.messages.reactionsBy(friend.id), [{ messageId: friendPost.id, emoji: '🔥', at: T0 }]);
      assert.ok(await store.users.byId(friend.id), 'other users stay');

      assert.equal(await store.users.delete(gone.id), false, 'a second delete finds nothing');
      assert.ok(
        await store.users.create({ id: newId(T0), username: gone.username.toUpperCase(), passwordHash: 'h', role: 'user', createdAt: T0 }),
      );
    });
  });

  describe('sessions', () => {
    const idle = T0 - 14 * DAY;

    storeTest(factory, 'create stores a session that byId returns', async (store) => {
      const user = await makeUser(store);
      const { record } = await newSession(store, user.id, { device: null, ipHash: 'h1' });
      assert.deepEqual(await store.sessions.byId(record.id), record);
      assert.equal(await store.sessions.byId(newId(T0)), null);
    });

    storeTest(factory, 'rotate uses a token once, makes the next one current and touches the session', async (store) => {
      const user = await makeUser(store);
      const { record, token: first } = await newSession(store, user.id);
      const second = token();
      const r1 = await store.sessions.rotate(first, second, T0 + MINUTE, idle);
      assert.deepEqual(r1, { kind: 'rotated', session: { ...record, lastUsedAt: T0 + MINUTE } });
      assert.equal((await store.sessions.byId(record.id))?.lastUsedAt, T0 + MINUTE);
      const third = token();
      const r2 = await store.sessions.rotate(second, third, T0 + 2 * MINUTE, idle);
      assert.equal(r2.kind, 'rotated');
      assert.deepEqual(await store.sessions.rotate(token(), token(), T0 + 2 * MINUTE, idle), { kind: 'invalid' }, 'unknown token');
    });

    storeTest(factory, 'a reused token revokes the session, so even the newest token stops working', async (store) => {
      const user = await makeUser(store);
      const { record, token: first } = await newSession(store, user.id);
      const second = token();
      assert.equal((await store.sessions.rotate(first, second, T0 + MINUTE, idle)).kind, 'rotated');
      const reused = await store.sessions.rotate(first, token(), T0 + 2 * MINUTE, idle);
      assert.equal(reused.kind, 'reused');
      assert.equal(reused.kind === 'reused' && reused.session.id, record.id);
      assert.equal(reused.kind === 'reused' && reused.session.revokedAt, T0 + 2 * MINUTE);
      assert.equal((await store.sessions.byId(record.id))?.revokedAt, T0 + 2 * MINUTE);
      assert.deepEqual(await store.sessions.rotate(second, token(), T0 + 3 * MINUTE, idle), { kind: 'invalid' });
      assert.deepEqual(await store.sessions.listActive(user.id, T0 + 3 * MINUTE, idle), []);
    });

    storeTest(factory, 'idle, expired and revoked sessions do not rotate', async (store) => {
      const user = await makeUser(store);
      const now = T0 + DAY;
      const idleSince = now - 14 * DAY;
      const idleOne = await newSession(store, user.id, { createdAt: now - 20 * DAY, lastUsedAt: now - 15 * DAY, expiresAt: now + DAY });
      const expired = await newSession(store, user.id, { createdAt: now - 2 * DAY, lastUsedAt: now - HOUR, expiresAt: now - 1 });
      const revoked = await newSession(store, user.id, { createdAt: now - HOUR, revokedAt: now - MINUTE });
      for (const s of [idleOne, expired, revoked]) {
        assert.deepEqual(await store.sessions.rotate(s.token, token(), now, idleSince), { kind: 'invalid' }, s.record.id);
      }
    });

    storeTest(factory, 'two concurrent rotations of one token: exactly one rotates', async (store) => {
      const user = await makeUser(store);
      const { record, token: first } = await newSession(store, user.id);
      const results = await Promise.all([
        store.sessions.rotate(first, token(), T0 + MINUTE, idle),
        store.sessions.rotate(first, token(), T0 + MINUTE, idle),
      ]);
      const kinds = results.map((r) => r.kind).sort();
      assert.deepEqual(kinds, ['reused', 'rotated']);
      assert.notEqual((await store.sessions.byId(record.id))?.revokedAt, null, 'the detected reuse ends the session');
    });

    storeTest(factory, 'listActive leaves out revoked, expired and idle sessions and lists newest first', async (store) => {
      const user = await makeUser(store);
      const other = await makeUser(store);
      const now = T0 + DAY;
      const idleSince = now - 14 * DAY;
      const older = await newSession(store, user.id, { createdAt: now - 3 * HOUR, lastUsedAt: now - HOUR });
      const newer = await newSession(store, user.id, { createdAt: now - 2 * HOUR, lastUsedAt: now - 2 * HOUR });
      const sameTime = await newSession(store, user.id, { createdAt: now - 2 * HOUR, lastUsedAt: now - 2 * HOUR });
      await newSession(store, user.id, { createdAt: now - HOUR, revokedAt: now - MINUTE });
      await newSession(store, user.id, { createdAt: now - 2 * DAY, expiresAt: now - 1 });
      await newSession(store, user.id, { createdAt: now - 20 * DAY, lastUsedAt: now - 15 * DAY, expiresAt: now + DAY });
      await newSession(store, other.id, { createdAt: now - HOUR });
      const active = await store.sessions.listActive(user.id, now, idleSince);
      const tie = [newer.record, sameTime.record].sort((a, b) => (a.id < b.id ? 1 : -1));
      assert.deepEqual(active, [...tie, older.record]);
    });

    storeTest(factory, 'at the expiry and idle boundaries, listActive and rotate agree', async (store) => {
      const user = await makeUser(store);
      const now = T0 + DAY;
      const idleSince = now - 14 * DAY;
      const atExpiry = await newSession(store, user.id, { createdAt: now - HOUR, lastUsedAt: now - HOUR, expiresAt: now });
      const atIdle = await newSession(store, user.id, { createdAt: now - 20 * DAY, lastUsedAt: idleSince, expiresAt: now + DAY });
      const listed = new Set((await store.sessions.listActive(user.id, now, idleSince)).map((s) => s.id));
      for (const s of [atExpiry, atIdle]) {
        const rotated = (await store.sessions.rotate(s.token, token(), now, idleSince)).kind === 'rotated';
        assert.equal(rotated, listed.has(s.record.id), `session ${s.record.id}: listed ⇔ rotatable`);
      }
    });

    storeTest(factory, 'touch keeps a session alive', async (store) => {
      const user = await makeUser(store);
      const now = T0 + 20 * DAY;
      const idleSince = now - 14 * DAY;
      const s = await newSession(store, user.id, { createdAt: T0, lastUsedAt: T0, expiresAt: T0 + 60 * DAY });
      assert.deepEqual(await store.sessions.listActive(user.id, now, idleSince), []);
      await store.sessions.touch(s.record.id, now - MINUTE);
      assert.equal((await store.sessions.byId(s.record.id))?.lastUsedAt, now - MINUTE);
      assert.deepEqual(
        (await store.sessions.listActive(user.id, now, idleSince)).map((x) => x.id),
        [s.record.id],
      );
      assert.equal((await store.sessions.rotate(s.token, token(), now, idleSince)).kind, 'rotated');
    });

    storeTest(factory, 'revoke ends one session once; revokeAllForUser ends the rest of that user only', async (store) => {
      const user = await makeUser(store);
      const other = await makeUser(store);
      const a = await newSession(store, user.id);
      const b = await newSession(store, user.id);
      const c = await newSession(store, user.id);
      const o = await newSession(store, other.id);
      assert.equal(await store.sessions.revoke(a.record.id, T0 + 1), true);
      assert.equal(await store.sessions.revoke(a.record.id, T0 + 2), false, 'already revoked');
      assert.equal(await store.sessions.revoke(newId(T0), T0 + 2), false, 'unknown session');
      assert.equal((await store.sessions.byId(a.record.id))?.revokedAt, T0 + 1);
      assert.deepEqual(await store.sessions.rotate(a.token, token(), T0 + 3, idle), { kind: 'invalid' });
      assert.equal(await store.sessions.revokeAllForUser(user.id, T0 + 4), 2);
      assert.equal((await store.sessions.byId(a.record.id))?.revokedAt, T0 + 1, 'an earlier revocation keeps its time');
      for (const s of [b, c]) assert.equal((await store.sessions.byId(s.record.id))?.revokedAt, T0 + 4);
      assert.deepEqual(await store.sessions.listActive(user.id, T0 + 5, idle), []);
      assert.equal(await store.sessions.revokeAllForUser(user.id, T0 + 6), 0);
      assert.equal((await store.sessions.byId(o.record.id))?.revokedAt, null);
      assert.equal((await store.sessions.rotate(o.token, token(), T0 + 7, idle)).kind, 'rotated');
    });

    storeTest(factory, 'knowsIp: only sessions of that user, from that IP hash, created inside the window', async (store) => {
      const user = await makeUser(store);
      const other = await makeUser(store);
      await newSession(store, user.id, { createdAt: T0, ipHash: 'ip-home' });
      await newSession(store, other.id, { createdAt: T0 + DAY, ipHash: 'ip-cafe' });
      assert.equal(await store.sessions.knowsIp(user.id, 'ip-home', T0 - DAY), true);
      assert.equal(await store.sessions.knowsIp(user.id, 'ip-home', T0 + HOUR), false, 'created before the window');
      assert.equal(await store.sessions.knowsIp(user.id, 'ip-cafe', T0 - DAY), false, "another user's IP");
      assert.equal(await store.sessions.knowsIp(other.id, 'ip-cafe', T0), true);
    });
  });
}
