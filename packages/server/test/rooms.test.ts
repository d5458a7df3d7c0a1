/**
 * The life of a room over HTTP (DESIGN sections 3-4): create, view, join, leave, members, with every
 * refusal; and where rooms meet the WebSocket: who may subscribe, and removal or leaving ending a live
 * subscription. Messages and history are in room-messages.test.ts. The server runs on a pinned clock
 * so join times can be spread out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page, Room, RoomMember, UnsubscribedFrame } from '@lo/protocol';
import { barrier, chatApi, isMsg, WAIT_MS, wsFails, wsOk, type ChatApi } from './helpers/chat.js';
import type { Problem } from '@lo/client';
import { api, assertProblem, type RawResponse } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup, type TestUser } from './helpers/users.js';

let now = Date.UTC(2030, 0, 1);
const clock = { now: () => now };
let server: TestServer;
let chat: ChatApi;

before(async () => {
  server = await startServer({}, undefined, clock);
  chat = chatApi(server);
});
after(() => server.close());

const UNKNOWN_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const PARIS = { lat: 48.8566, lng: 2.3522 };

const call = <T = Problem>(user: TestUser, method: string, path: string, body?: unknown): Promise<RawResponse<T>> =>
  chat.call<T>(user, method, path, body);
const createRoom = (owner: TestUser, input?: Record<string, unknown>) => chat.createRoom(owner, input);
const join = (user: TestUser, room: Room) => chat.join(user, room);
const addMember = (owner: TestUser, room: Room, user: TestUser) => chat.addMember(owner, room, user);
const post = (user: TestUser, room: Room, text: string) => chat.post(user, room, text);
const history = (user: TestUser, room: Room, query?: string) => chat.history(user, room, query);
const connect = (user: TestUser) => chat.connect(user);

async function users(n: number, prefix: string): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: n }, () => signup(server, prefix)));
}

async function memberIds(viewer: TestUser, room: Room, limit = 100): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const page: Page<RoomMember> = await chat.expect<Page<RoomMember>>(200, viewer, 'GET', `/rooms/${room.id}/members${query}`);
    ids.push(...page.items.map((m) => m.user.id));
    cursor = page.next_cursor;
    assert.ok(ids.length < 1000, 'paging does not end');
  } while (cursor !== null);
  return ids;
}

describe('creating and viewing rooms', () => {
  test('POST /rooms answers 201 with the room, its channel and the creator as owner', async () => {
    const [owner] = await users(1, 'create');
    const res = await call<Room>(owner!, 'POST', '/rooms', { name: '  Rooftop  ', visibility: 'public' });
    assert.equal(res.status, 201);
    const room = res.body;
    assert.deepEqual(room, {
      id: room.id,
      name: 'Rooftop',
      visibility: 'public',
      channel: `room:${room.id}`,
      owner: { id: owner!.id, username: owner!.username },
      geofence: null,
      member_count: 1,
      created_at: new Date(now).toISOString(),
      my_role: 'owner',
    });
    const got = await call<Room>(owner!, 'GET', `/rooms/${room.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, room);
  });

  test('a geofenced private room keeps its fence', async () => {
    const [owner] = await users(1, 'fenced');
    const geofence = { ...PARIS, radius: 300 };
    const room = await createRoom(owner!, { visibility: 'private', geofence });
    assert.equal(room.visibility, 'private');
    // join_inside defaults to false: the fence guards posting only.
    assert.deepEqual(room.geofence, { ...geofence, join_inside: false });
    assert.deepEqual((await call<Room>(owner!, 'GET', `/rooms/${room.id}`)).body.geofence, { ...geofence, join_inside: false });
  });

  test('a public room is visible to anyone, with my_role null for non-members', async () => {
    const [owner, stranger] = await users(2, 'view');
    const room = await createRoom(owner!);
    const res = await call<Room>(stranger!, 'GET', `/rooms/${room.id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { ...room, my_role: null });
  });

  test('bad room bodies are refused with 400 validation_failed', async () => {
    const [owner] = await users(1, 'badroom');
    const bodies: unknown[] = [
      {},
      { name: 'x' },
      { visibility: 'public' },
      { name: '', visibility: 'public' },
      { name: '   ', visibility: 'public' },
      { name: 'x'.repeat(65), visibility: 'public' },
      { name: 'x', visibility: 'secret' },
      { name: 'x', visibility: 'public', extra: true },
      { name: 'x', visibility: 'public', geofence: { lat: 1, lng: 2 } },
      { name: 'x', visibility: 'public', geofence: { lat: 91, lng: 2, radius: 100 } },
      { name: 'x', visibility: 'public', geofence: { ...PARIS, radius: 100, extra: 1 } },
      { name: 'x', visibility: 'public', geofence: { ...PARIS, radius: 10_000_000 } },
    ];
    for (const body of bodies) assertProblem(await call(owner!, 'POST', '/rooms', body), 400, 'validation_failed');
    assert.deepEqual((await call<Page<Room>>(owner!, 'GET', '/me/rooms')).body.items, []);
  });

  test('room routes need a bearer token', async () => {
    const [owner] = await users(1, 'anon');
    const room = await createRoom(owner!);
    for (const [method, path, body] of [
      ['POST', '/rooms', { name: 'x', visibility: 'public' }],
      ['GET', `/rooms/${room.id}`, undefined],
      ['GET', '/me/rooms', undefined],
      ['POST', `/rooms/${room.id}/join`, undefined],
      ['GET', `/rooms/${room.id}/messages`, undefined],
      ['POST', `/rooms/${room.id}/messages`, { text: 'hi' }],
    ] as const) {
      assertProblem(await api(server, method, path, body === undefined ? {} : { body }), 401, 'unauthenticated');
    }
  });

  test('a private room answers non-members exactly like a missing room', async () => {
    const [owner, stranger] = await users(2, 'hidden');
    const room = await createRoom(owner!, { visibility: 'private' });
    const missing = assertProblem(await call(stranger!, 'GET', `/rooms/${UNKNOWN_ID}`), 404, 'room_not_found');
    const hidden = assertProblem(await call(stranger!, 'GET', `/rooms/${room.id}`), 404, 'room_not_found');
    assert.deepEqual({ title: hidden.title, detail: hidden.detail }, { title: missing.title, detail: missing.detail });
    for (const [method, path, body] of [
      ['POST', `/rooms/${room.id}/join`, undefined],
      ['POST', `/rooms/${room.id}/leave`, undefined],
      ['GET', `/rooms/${room.id}/members`, undefined],
      ['POST', `/rooms/${room.id}/members`, { user_id: stranger!.id }],
      ['DELETE', `/rooms/${room.id}/members/${owner!.id}`, undefined],
      ['GET', `/rooms/${room.id}/messages`, undefined],
      ['POST', `/rooms/${room.id}/messages`, { text: 'let me in' }],
    ] as const) {
      assertProblem(await call(stranger!, method, path, body), 404, 'room_not_found');
    }
    assert.deepEqual((await history(owner!, room)).items, [], 'the stranger posted nothing');
  });
});

describe('joining and leaving', () => {
  test('joining a public room makes a member; joining again changes nothing', async () => {
    const [owner, member] = await users(2, 'join');
    const room = await createRoom(owner!);
    const joined = await join(member!, room);
    assert.deepEqual(joined, { ...room, member_count: 2, my_role: 'member' });
    assert.deepEqual(await join(member!, room), joined);
    assert.deepEqual(await join(owner!, room), { ...room, member_count: 2, my_role: 'owner' }, 'the owner stays owner');
    assert.deepEqual(await memberIds(owner!, room), [owner!.id, member!.id]);
  });

  test('joining a missing room is 404; a private room takes no joins from non-members', async () => {
    const [owner, member, stranger] = await users(3, 'joinpriv');
    assertProblem(await call(stranger!, 'POST', `/rooms/${UNKNOWN_ID}/join`), 404, 'room_not_found');
    const room = await createRoom(owner!, { visibility: 'private' });
    assertProblem(await call(stranger!, 'POST', `/rooms/${room.id}/join`), 404, 'room_not_found');
    await addMember(owner!, room, member!);
    const again = await join(member!, room);
    assert.equal(again.my_role, 'member');
    assert.equal(again.member_count, 2);
    assert.deepEqual(await memberIds(owner!, room), [owner!.id, member!.id]);
  });

  test('leaving answers 204 and ends membership; a second leave is 403 not_room_member', async () => {
    const [owner, member, stranger] = await users(3, 'leave');
    const room = await createRoom(owner!);
    await join(member!, room);
    const res = await call(member!, 'POST', `/rooms/${room.id}/leave`);
    assert.equal(res.status, 204);
    assert.equal(res.body, undefined);
    const after = await call<Room>(member!, 'GET', `/rooms/${room.id}`);
    assert.equal(after.body.my_role, null);
    assert.equal(after.body.member_count, 1);
    assertProblem(await call(member!, 'POST', `/rooms/${room.id}/leave`), 403, 'not_room_member');
    assertProblem(await call(stranger!, 'POST', `/rooms/${room.id}/leave`), 403, 'not_room_member');
    assertProblem(await call(stranger!, 'POST', `/rooms/${UNKNOWN_ID}/leave`), 404, 'room_not_found');
  });

  test('the owner cannot leave (409 owner_cannot_leave)', async () => {
    const [owner] = await users(1, 'ownerleave');
    for (const visibility of ['public', 'private']) {
      const room = await createRoom(owner!, { visibility });
      assertProblem(await call(owner!, 'POST', `/rooms/${room.id}/leave`), 409, 'owner_cannot_leave');
      assert.equal((await call<Room>(owner!, 'GET', `/rooms/${room.id}`)).body.my_role, 'owner');
    }
  });

  test('a member who leaves a private room loses sight of it', async () => {
    const [owner, member] = await users(2, 'leavepriv');
    const room = await createRoom(owner!, { visibility: 'private' });
    await addMember(owner!, room, member!);
    assert.equal((await call(member!, 'POST', `/rooms/${room.id}/leave`)).status, 204);
    assertProblem(await call(member!, 'GET', `/rooms/${room.id}`), 404, 'room_not_found');
    assertProblem(await call(member!, 'POST', `/rooms/${room.id}/join`), 404, 'room_not_found');
  });

  test('GET /me/rooms lists my rooms, last joined first, in pages without repeats', async () => {
    const [me, other] = await users(2, 'mine');
    const created = await createRoom(me!, { name: 'mine' });
    now += 1000;
    const joinedPublic = await createRoom(other!, { name: 'theirs' });
    await join(me!, joinedPublic);
    now += 1000;
    const addedPrivate = await createRoom(other!, { name: 'their secret', visibility: 'private' });
    await addMember(other!, addedPrivate, me!);
    now += 1000;
    await createRoom(other!, { name: 'not mine' });

    const first = await call<Page<Room>>(me!, 'GET', '/me/rooms?limit=2');
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.items.map((r) => [r.id, r.my_role]),
      [
        [addedPrivate.id, 'member'],
        [joinedPublic.id, 'member'],
      ],
    );
    assert.ok(first.body.next_cursor !== null);
    const second = await call<Page<Room>>(me!, 'GET', `/me/rooms?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    assert.deepEqual(
      second.body.items.map((r) => [r.id, r.my_role]),
      [[created.id, 'owner']],
    );
    assert.equal(second.body.next_cursor, null);

    assert.equal((await call(me!, 'POST', `/rooms/${joinedPublic.id}/leave`)).status, 204);
    const after = await call<Page<Room>>(me!, 'GET', '/me/rooms');
    assert.deepEqual(
      after.body.items.map((r) => r.id),
      [addedPrivate.id, created.id],
    );
    assertProblem(await call(me!, 'GET', '/me/rooms?cursor=garbage'), 400, 'invalid_cursor');
  });
});

describe('members', () => {
  test('members are listed in join order, page by page, with no repeats or gaps', async () => {
    const [owner, ...others] = await users(6, 'members');
    const room = await createRoom(owner!);
    for (const user of others) {
      now += 1000;
      await join(user, room);
    }
    const expected = [owner!.id, ...others.map((u) => u.id)];
    assert.deepEqual(await memberIds(owner!, room, 2), expected);
    assert.deepEqual(await memberIds(others[0]!, room, 100), expected);
    const page = await call<Page<RoomMember>>(owner!, 'GET', `/rooms/${room.id}/members?limit=1`);
    assert.deepEqual(page.body.items, [{ user: { id: owner!.id, username: owner!.username }, role: 'owner', joined_at: room.created_at }]);
    assertProblem(await call(owner!, 'GET', `/rooms/${room.id}/members?limit=0`), 400, 'validation_failed');
    assertProblem(await call(owner!, 'GET', `/rooms/${room.id}/members?cursor=nope`), 400, 'invalid_cursor');
    assertProblem(await call(owner!, 'GET', `/rooms/${UNKNOWN_ID}/members`), 404, 'room_not_found');
  });

  test('the owner adds members to a private room (201) and they can see it', async () => {
    const [owner, member] = await users(2, 'add');
    const room = await createRoom(owner!, { visibility: 'private' });
    const res = await call(owner!, 'POST', `/rooms/${room.id}/members`, { user_id: member!.id });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, {
      user: { id: member!.id, username: member!.username },
      role: 'member',
      joined_at: new Date(now).toISOString(),
    });
    const seen = await call<Room>(member!, 'GET', `/rooms/${room.id}`);
    assert.equal(seen.status, 200);
    assert.deepEqual(seen.body, { ...room, member_count: 2, my_role: 'member' });
    assert.deepEqual(
      (await call<Page<Room>>(member!, 'GET', '/me/rooms')).body.items.map((r) => r.id),
      [room.id],
    );
    // Adding again keeps one membership.
    assert.equal((await call(owner!, 'POST', `/rooms/${room.id}/members`, { user_id: member!.id })).status, 201);
    assert.deepEqual(await memberIds(owner!, room), [owner!.id, member!.id]);
  });

  test('only the owner manages members: others get 403 forbidden, non-members of private rooms 404', async () => {
    const [owner, member, third, stranger] = await users(4, 'manage');
    for (const visibility of ['public', 'private']) {
      const room = await createRoom(owner!, { visibility });
      await addMember(owner!, room, member!);
      assertProblem(await call(member!, 'POST', `/rooms/${room.id}/members`, { user_id: third!.id }), 403, 'forbidden');
      assertProblem(await call(member!, 'DELETE', `/rooms/${room.id}/members/${owner!.id}`), 403, 'forbidden');
      const code = visibility === 'private' ? 'room_not_found' : 'forbidden';
      const status = visibility === 'private' ? 404 : 403;
      assertProblem(await call(stranger!, 'POST', `/rooms/${room.id}/members`, { user_id: stranger!.id }), status, code);
      assertProblem(await call(stranger!, 'DELETE', `/rooms/${room.id}/members/${member!.id}`), status, code);
      assert.deepEqual(await memberIds(owner!, room), [owner!.id, member!.id]);
    }
  });

  test('adding someone unknown, or someone either side blocks, is 404 user_not_found; bad bodies 400', async () => {
    const [owner, blocker, blocked] = await users(3, 'addbad');
    const room = await createRoom(owner!, { visibility: 'private' });
    assertProblem(await call(owner!, 'POST', `/rooms/${room.id}/members`, { user_id: UNKNOWN_ID }), 404, 'user_not_found');
    await blocker!.client.blocks.add(owner!.id);
    await owner!.client.blocks.add(blocked!.id);
    assertProblem(await call(owner!, 'POST', `/rooms/${room.id}/members`, { user_id: blocker!.id }), 404, 'user_not_found');
    assertProblem(await call(owner!, 'POST', `/rooms/${room.id}/members`, { user_id: blocked!.id }), 404, 'user_not_found');
    assertProblem(await call(owner!, 'POST', `/rooms/${room.id}/members`, {}), 400, 'validation_failed');
    assertProblem(
      await call(owner!, 'POST', `/rooms/${room.id}/members`, { user_id: blocker!.id, role: 'owner' }),
      400,
      'validation_failed',
    );
    assertProblem(await call(owner!, 'POST', `/rooms/${UNKNOWN_ID}/members`, { user_id: blocker!.id }), 404, 'room_not_found');
    assert.deepEqual(await memberIds(owner!, room), [owner!.id]);
  });

  test('the owner removes members (204); removing a non-member is 403, the owner 409', async () => {
    const [owner, member, stranger] = await users(3, 'remove');
    const room = await createRoom(owner!, { visibility: 'private' });
    await addMember(owner!, room, member!);
    const res = await call(owner!, 'DELETE', `/rooms/${room.id}/members/${member!.id}`);
    assert.equal(res.status, 204);
    assertProblem(await call(member!, 'GET', `/rooms/${room.id}`), 404, 'room_not_found');
    assert.deepEqual(await memberIds(owner!, room), [owner!.id]);
    assertProblem(await call(owner!, 'DELETE', `/rooms/${room.id}/members/${member!.id}`), 403, 'not_room_member');
    assertProblem(await call(owner!, 'DELETE', `/rooms/${room.id}/members/${stranger!.id}`), 403, 'not_room_member');
    assertProblem(await call(owner!, 'DELETE', `/rooms/${room.id}/members/${owner!.id}`), 409, 'owner_cannot_leave');
    assertProblem(await call(owner!, 'DELETE', `/rooms/${UNKNOWN_ID}/members/${member!.id}`), 404, 'room_not_found');
  });

  test('a member list hides people the viewer blocks or is blocked by, without breaking paging', async () => {
    const [owner, viewer, blocked, blocker, plain] = await users(5, 'memblock');
    const room = await createRoom(owner!);
    for (const user of [viewer!, blocked!, blocker!, plain!]) {
      now += 1000;
      await join(user, room);
    }
    await viewer!.client.blocks.add(blocked!.id);
    await blocker!.client.blocks.add(viewer!.id);
    for (const limit of [1, 2, 100]) {
      assert.deepEqual(await memberIds(viewer!, room, limit), [owner!.id, viewer!.id, plain!.id], `limit ${limit}`);
    }
    assert.deepEqual(await memberIds(owner!, room), [owner!.id, viewer!.id, blocked!.id, blocker!.id, plain!.id]);
  });
});

describe('rooms over the WebSocket', () => {
  test('a private room refuses non-members with room_not_found; a public one wants members', async () => {
    const [owner, member, stranger] = await users(3, 'wssub');
    const closed = await createRoom(owner!, { visibility: 'private' });
    const open = await createRoom(owner!);
    await addMember(owner!, closed, member!);
    const ws = await connect(stranger!);
    const mine = await connect(member!);
    try {
      await wsFails(ws, { type: 'sub', channel: closed.channel }, 'room_not_found');
      await wsFails(ws, { type: 'sub', channel: `room:${UNKNOWN_ID}` }, 'room_not_found');
      await wsFails(ws, { type: 'sub', channel: open.channel }, 'not_room_member');
      await wsFails(ws, { type: 'pub', channel: closed.channel, data: { text: 'x' } }, 'room_not_found');
      await wsFails(ws, { type: 'pub', channel: open.channel, data: { text: 'x' } }, 'not_room_member');
      const sub = await wsOk(mine, { type: 'sub', channel: closed.channel });
      assert.deepEqual({ ...sub, epoch: '' }, { offset: 0, epoch: '', recovered: true, missed: [] });
      await join(stranger!, open);
      await wsOk(ws, { type: 'sub', channel: open.channel });
      assert.deepEqual((await history(owner!, open)).items, []);
    } finally {
      ws.close();
      mine.close();
    }
  });

  test('removing a member ends their live subscription; nothing reaches them after', async () => {
    const [owner, member] = await users(2, 'wsremove');
    const room = await createRoom(owner!, { visibility: 'private' });
    await addMember(owner!, room, member!);
    const theirs = await connect(member!);
    const ours = await connect(owner!);
    try {
      await wsOk(ours, { type: 'sub', channel: room.channel });
      await wsOk(theirs, { type: 'sub', channel: room.channel });
      const before = await post(owner!, room, 'before');
      await theirs.next((f) => isMsg(f) && f.id === before.id, WAIT_MS);

      assert.equal((await call(owner!, 'DELETE', `/rooms/${room.id}/members/${member!.id}`)).status, 204);
      const ended = (await theirs.next((f) => f.type === 'unsubscribed', WAIT_MS)) as UnsubscribedFrame;
      assert.equal(ended.channel, room.channel);
      assert.equal(ended.error.code, 'channel_forbidden');
      await ours.next((f) => f.type === 'presence.leave' && f.user.id === member!.id, WAIT_MS);

      const afterRemoval = await post(owner!, room, 'after');
      await ours.next((f) => isMsg(f) && f.id === afterRemoval.id, WAIT_MS);
      await barrier(theirs);
      assert.deepEqual(
        theirs.messages(room.channel).map((m) => m.id),
        [before.id],
      );
      await wsFails(theirs, { type: 'sub', channel: room.channel }, 'room_not_found');
      await wsFails(theirs, { type: 'unsub', channel: room.channel }, 'not_subscribed');
    } finally {
      theirs.close();
      ours.close();
    }
  });

  test('leaving a public room ends the live subscription too', async () => {
    const [owner, member] = await users(2, 'wsleave');
    const room = await createRoom(owner!);
    await join(member!, room);
    const ws = await connect(member!);
    try {
      await wsOk(ws, { type: 'sub', channel: room.channel });
      assert.equal((await call(member!, 'POST', `/rooms/${room.id}/leave`)).status, 204);
      const ended = (await ws.next((f) => f.type === 'unsubscribed', WAIT_MS)) as UnsubscribedFrame;
      assert.equal(ended.channel, room.channel);
      await post(owner!, room, 'gone');
      await barrier(ws);
      assert.deepEqual(ws.messages(room.channel), []);
      await wsFails(ws, { type: 'sub', channel: room.channel }, 'not_room_member');
    } finally {
      ws.close();
    }
  });
});
