import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BlockEntry, FriendRequest, Page, Relation } from '@lo/client';
import { api, assertProblem, rejectsWith } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup, type TestUser } from './helpers/users.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

/** A well-formed id that no user or request has. */
const UNKNOWN_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const PARIS = { lat: 48.8566, lng: 2.3522 };

type Tuple<N extends number, T, R extends T[] = []> = R['length'] extends N ? R : Tuple<N, T, [T, ...R]>;

/** `n` new signed-in users, typed as a tuple so they can be destructured. */
async function users<N extends number>(n: N, prefix: string): Promise<Tuple<N, TestUser>> {
  return (await Promise.all(Array.from({ length: n }, () => signup(server, prefix)))) as Tuple<N, TestUser>;
}

async function befriend(a: TestUser, b: TestUser): Promise<void> {
  const request = await a.client.friends.request(b.id);
  await b.client.friends.accept(request.id);
}

async function relation(viewer: TestUser, other: TestUser): Promise<Relation> {
  return (await viewer.client.users.get(other.id)).relation;
}

async function friendIds(user: TestUser): Promise<string[]> {
  return (await user.client.friends.list({ limit: 100 })).items.map((f) => f.user.id);
}

async function incomingIds(user: TestUser): Promise<string[]> {
  return (await user.client.friends.requests({ limit: 100 })).items.map((r) => r.id);
}

/** Follows next_cursor from the first page to the last; returns every page. */
async function allPages<T>(read: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    pages.push(page.items);
    cursor = page.next_cursor ?? undefined;
    assert.ok(pages.length < 50, 'paging does not end');
  } while (cursor !== undefined);
  return pages;
}

describe('friend requests', () => {
  test('a request answers 201 and shows as incoming to its target only', async () => {
    const [a, b] = await users(2, 'req');
    const res = await api<FriendRequest>(server, 'POST', '/friends/requests', { token: a.auth.access_token, body: { user_id: b.id } });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, {
      id: res.body.id,
      from: { id: a.id, username: a.username },
      to: { id: b.id, username: b.username },
      status: 'pending',
      created_at: res.body.created_at,
    });
    assert.deepEqual((await b.client.friends.requests()).items, [res.body]);
    assert.deepEqual(await incomingIds(a), []);
    assert.equal(await relation(a, b), 'request_sent');
    assert.equal(await relation(b, a), 'request_received');
  });

  test('accepting makes both friends and settles the request', async () => {
    const [a, b] = await users(2, 'accept');
    const request = await a.client.friends.request(b.id);
    const accepted = await b.client.friends.accept(request.id);
    assert.equal(accepted.id, request.id);
    assert.equal(accepted.status, 'accepted');
    assert.deepEqual(await friendIds(a), [b.id]);
    assert.deepEqual(await friendIds(b), [a.id]);
    const [entry] = (await a.client.friends.list()).items;
    assert.deepEqual(entry, { user: { id: b.id, username: b.username }, display_name: null, since: entry?.since });
    assert.deepEqual(await incomingIds(b), []);
    assert.equal(await relation(a, b), 'friend');
    assert.equal(await relation(b, a), 'friend');
    await rejectsWith(b.client.friends.accept(request.id), 404, 'friend_request_not_found');
    await rejectsWith(b.client.friends.decline(request.id), 404, 'friend_request_not_found');
  });

  test('declining settles the request without a friendship, and a new request can follow', async () => {
    const [a, b] = await users(2, 'decline');
    const request = await a.client.friends.request(b.id);
    const declined = await b.client.friends.decline(request.id);
    assert.equal(declined.status, 'declined');
    assert.deepEqual(await friendIds(a), []);
    assert.deepEqual(await friendIds(b), []);
    assert.deepEqual(await incomingIds(b), []);
    assert.equal(await relation(a, b), 'none');
    await rejectsWith(b.client.friends.accept(request.id), 404, 'friend_request_not_found');
    const again = await a.client.friends.request(b.id);
    assert.notEqual(again.id, request.id);
    assert.equal(again.status, 'pending');
  });

  test('refuses requests to myself, to unknown or malformed ids, duplicates and existing friends', async () => {
    const [a, b, c] = await users(3, 'reqerr');
    await rejectsWith(a.client.friends.request(a.id), 400, 'invalid_target');
    await rejectsWith(a.client.friends.request(UNKNOWN_ID), 404, 'user_not_found');
    for (const bad of ['not-an-id', UNKNOWN_ID.toLowerCase(), '', 42]) {
      const res = await api(server, 'POST', '/friends/requests', { token: a.auth.access_token, body: { user_id: bad } });
      assertProblem(res, 400, 'validation_failed');
    }
    assertProblem(await api(server, 'POST', '/friends/requests', { token: a.auth.access_token, body: {} }), 400, 'validation_failed');

    await a.client.friends.request(b.id);
    await rejectsWith(a.client.friends.request(b.id), 409, 'friend_request_exists');
    assert.equal((await b.client.friends.requests()).items.length, 1, 'no second request was stored');

    await befriend(a, c);
    await rejectsWith(a.client.friends.request(c.id), 409, 'already_friends');
    await rejectsWith(c.client.friends.request(a.id), 409, 'already_friends');
  });

  test('a crossing request (B asks A while A asked B) makes them friends', async () => {
    const [a, b] = await users(2, 'cross');
    const first = await a.client.friends.request(b.id);
    const crossing = await b.client.friends.request(a.id);
    assert.equal(crossing.id, first.id);
    assert.equal(crossing.status, 'accepted');
    assert.deepEqual(await friendIds(a), [b.id]);
    assert.deepEqual(await friendIds(b), [a.id]);
    assert.deepEqual(await incomingIds(a), []);
    assert.deepEqual(await incomingIds(b), []);
  });

  test('only the addressee can accept or decline: anyone else gets 404 friend_request_not_found', async () => {
    const [a, b, c] = await users(3, 'notyours');
    const request = await a.client.friends.request(b.id);
    await rejectsWith(c.client.friends.accept(request.id), 404, 'friend_request_not_found');
    await rejectsWith(c.client.friends.decline(request.id), 404, 'friend_request_not_found');
    await rejectsWith(a.client.friends.accept(request.id), 404, 'friend_request_not_found');
    await rejectsWith(b.client.friends.accept(UNKNOWN_ID), 404, 'friend_request_not_found');
    await rejectsWith(b.client.friends.accept('nope'), 400, 'validation_failed');
    assert.deepEqual(await friendIds(c), []);
    assert.deepEqual(await friendIds(a), []);
    // Still pending for its real addressee.
    assert.equal((await b.client.friends.accept(request.id)).status, 'accepted');
  });
});

describe('profiles', () => {
  test('GET /users/:id gives the public profile with my relation to the user', async () => {
    const [a, b, c, d, e] = await users(5, 'relation');
    await b.client.me.update({ display_name: 'Bee', visibility_radius: 5000 });
    const profile = await a.client.users.get(b.id);
    assert.deepEqual(profile, { id: b.id, username: b.username, display_name: 'Bee', created_at: profile.created_at, relation: 'none' });
    assert.deepEqual(Object.keys(profile).sort(), ['created_at', 'display_name', 'id', 'relation', 'username'], 'no private settings');
    assert.equal(await relation(a, a), 'self');
    await a.client.friends.request(c.id);
    assert.equal(await relation(a, c), 'request_sent');
    await d.client.friends.request(a.id);
    assert.equal(await relation(a, d), 'request_received');
    await befriend(a, e);
    assert.equal(await relation(a, e), 'friend');
    await rejectsWith(a.client.users.get(UNKNOWN_ID), 404, 'user_not_found');
    await rejectsWith(a.client.users.get('bad id'), 400, 'validation_failed');
  });
});

describe('removing friends', () => {
  test('DELETE /friends/:userId ends the friendship on both sides; again gives 404 friend_not_found', async () => {
    const [a, b, c] = await users(3, 'unfriend');
    await befriend(a, b);
    await befriend(a, c);
    const res = await api(server, 'DELETE', `/friends/${b.id}`, { token: a.auth.access_token });
    assert.equal(res.status, 204);
    assert.deepEqual(await friendIds(a), [c.id]);
    assert.deepEqual(await friendIds(b), []);
    assert.equal(await relation(b, a), 'none');
    await rejectsWith(a.client.friends.remove(b.id), 404, 'friend_not_found');
    await rejectsWith(b.client.friends.remove(a.id), 404, 'friend_not_found');
    await rejectsWith(a.client.friends.remove(UNKNOWN_ID), 404, 'friend_not_found');
    // They may become friends again.
    await befriend(b, a);
    assert.equal(await relation(a, b), 'friend');
  });
});

describe('blocks', () => {
  test('POST /blocks answers 201; the two cannot see each other’s profile, until DELETE /blocks unblocks', async () => {
    const [a, b] = await users(2, 'block');
    const res = await api<BlockEntry>(server, 'POST', '/blocks', { token: a.auth.access_token, body: { user_id: b.id } });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, { user: { id: b.id, username: b.username }, created_at: res.body.created_at });
    await rejectsWith(a.client.users.get(b.id), 404, 'user_not_found');
    await rejectsWith(b.client.users.get(a.id), 404, 'user_not_found');

    const unblocked = await api(server, 'DELETE', `/blocks/${b.id}`, { token: a.auth.access_token });
    assert.equal(unblocked.status, 204);
    assert.equal(await relation(a, b), 'none');
    assert.equal(await relation(b, a), 'none');
    await rejectsWith(a.client.blocks.remove(b.id), 404, 'block_not_found');
    await rejectsWith(b.client.blocks.remove(a.id), 404, 'block_not_found');
  });

  test('blocking myself or an unknown user is refused', async () => {
    const [a] = await users(1, 'blockerr');
    await rejectsWith(a.client.blocks.add(a.id), 400, 'invalid_target');
    await rejectsWith(a.client.blocks.add(UNKNOWN_ID), 404, 'user_not_found');
    assertProblem(await api(server, 'POST', '/blocks', { token: a.auth.access_token, body: { user_id: 'x' } }), 400, 'validation_failed');
    assert.deepEqual((await a.client.blocks.list()).items, []);
  });

  test('a block ends the friendship and pending requests in either direction', async () => {
    const [blocker, friend, asker, asked] = await users(4, 'blockends');
    await befriend(blocker, friend);
    await asker.client.friends.request(blocker.id);
    await blocker.client.friends.request(asked.id);
    for (const target of [friend, asker, asked]) await blocker.client.blocks.add(target.id);

    assert.deepEqual(await friendIds(blocker), []);
    assert.deepEqual(await friendIds(friend), []);
    assert.deepEqual(await incomingIds(blocker), []);
    assert.deepEqual(await incomingIds(asked), []);
    // Unblocking does not bring the friendship or the requests back.
    await blocker.client.blocks.remove(friend.id);
    await blocker.client.blocks.remove(asked.id);
    assert.equal(await relation(blocker, friend), 'none');
    assert.equal(await relation(asked, blocker), 'none');
  });

  test('the blocked user cannot send the blocker a request (404) and the blocker gets 409 user_blocked', async () => {
    const [blocker, blocked] = await users(2, 'blockreq');
    await blocker.client.blocks.add(blocked.id);
    await rejectsWith(blocked.client.friends.request(blocker.id), 404, 'user_not_found');
    await rejectsWith(blocker.client.friends.request(blocked.id), 409, 'user_blocked');
    assert.deepEqual(await incomingIds(blocker), []);
    assert.deepEqual(await incomingIds(blocked), []);
  });

  test("a block removes each one's posts from the other's nearby feed, both ways, until unblocked", async () => {
    const [a, b, c] = await users(3, 'blockfeed');
    const postA = await a.client.messages.create({ content: 'from a', ...PARIS });
    const postB = await b.client.messages.create({ content: 'from b', ...PARIS });
    const postC = await c.client.messages.create({ content: 'from c', ...PARIS });
    const feed = async (user: TestUser) => new Set((await user.client.messages.nearbyAll(PARIS)).map((m) => m.id));
    assert.ok((await feed(a)).has(postB.id));
    assert.ok((await feed(b)).has(postA.id));

    await a.client.blocks.add(b.id);
    const feedA = await feed(a);
    const feedB = await feed(b);
    assert.ok(!feedA.has(postB.id), 'the blocker no longer sees the blocked user');
    assert.ok(!feedB.has(postA.id), 'the blocked user no longer sees the blocker');
    assert.ok(feedA.has(postC.id) && feedB.has(postC.id), 'others are unaffected');
    await rejectsWith(a.client.messages.get(postB.id), 404, 'message_not_found');
    await rejectsWith(b.client.messages.get(postA.id), 404, 'message_not_found');

    await a.client.blocks.remove(b.id);
    assert.ok((await feed(a)).has(postB.id));
    assert.ok((await feed(b)).has(postA.id));
  });
});

/** The paged items hold every expected id exactly once, most recent first. */
function assertCompleteNewestFirst(items: Array<{ id: string; at: string }>, expectedIds: string[]): void {
  const ids = items.map((item) => item.id);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  assert.deepEqual([...ids].sort(), [...expectedIds].sort(), 'no gaps');
  const times = items.map((item) => Date.parse(item.at));
  assert.deepEqual(
    times,
    [...times].sort((x, y) => y - x),
    'most recent first',
  );
}

describe('paging', () => {
  test('GET /blocks pages newest first with no duplicates and no gaps', async () => {
    const [blocker] = await users(1, 'pager');
    const targets = await users(7, 'pblocked');
    for (const t of targets) await blocker.client.blocks.add(t.id);
    const pages = await allPages((cursor) => blocker.client.blocks.list({ limit: 3, ...(cursor !== undefined && { cursor }) }));
    assert.deepEqual(
      pages.map((p) => p.length),
      [3, 3, 1],
    );
    assertCompleteNewestFirst(
      pages.flat().map((b) => ({ id: b.user.id, at: b.created_at })),
      targets.map((t) => t.id),
    );
    // A page size equal to the count ends with next_cursor null, not an empty extra page.
    const exact = await allPages((cursor) => blocker.client.blocks.list({ limit: 7, ...(cursor !== undefined && { cursor }) }));
    assert.deepEqual(
      exact.map((p) => p.length),
      [7],
    );
  });

  test('GET /friends pages with no duplicates and no gaps', async () => {
    const [me] = await users(1, 'popular');
    const friends = await users(8, 'pfriend');
    for (const f of friends) await befriend(f, me);
    const pages = await allPages((cursor) => me.client.friends.list({ limit: 3, ...(cursor !== undefined && { cursor }) }));
    assert.deepEqual(
      pages.map((p) => p.length),
      [3, 3, 2],
    );
    assertCompleteNewestFirst(
      pages.flat().map((f) => ({ id: f.user.id, at: f.since })),
      friends.map((f) => f.id),
    );
  });

  test('GET /friends/requests pages the incoming requests with no duplicates and no gaps', async () => {
    const [me] = await users(1, 'wanted');
    const askers = await users(5, 'pasker');
    for (const a of askers) await a.client.friends.request(me.id);
    const pages = await allPages((cursor) => me.client.friends.requests({ limit: 2, ...(cursor !== undefined && { cursor }) }));
    assert.deepEqual(
      pages.map((p) => p.length),
      [2, 2, 1],
    );
    assert.deepEqual(
      pages.flat().map((r) => r.from.id),
      askers.map((a) => a.id).reverse(),
    );
  });

  test('an invalid cursor gets 400 invalid_cursor, an out-of-range limit 400 validation_failed', async () => {
    const [me] = await users(1, 'badcursor');
    const forged = Buffer.from(JSON.stringify({ at: 'yesterday', id: 1 })).toString('base64url');
    for (const path of ['/friends', '/blocks', '/friends/requests']) {
      for (const cursor of ['not-a-cursor', '!!!', forged, Buffer.from('[1,2]').toString('base64url')]) {
        const res = await api(server, 'GET', `${path}?cursor=${encodeURIComponent(cursor)}`, { token: me.auth.access_token });
        assertProblem(res, 400, 'invalid_cursor');
      }
      for (const limit of ['0', '101', 'ten']) {
        assertProblem(await api(server, 'GET', `${path}?limit=${limit}`, { token: me.auth.access_token }), 400, 'validation_failed');
      }
      assertProblem(await api(server, 'GET', `${path}?page=2`, { token: me.auth.access_token }), 400, 'validation_failed');
    }
  });
});
