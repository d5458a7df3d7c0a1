/**
 * Room messages over HTTP (DESIGN sections 4 and 6): posting and its refusals, client_msg_id retries,
 * history pages in both directions, and geofenced posting. The server runs on a pinned clock so a
 * location's freshness can be moved past.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Problem } from '@lo/client';
import type { ChannelMessage, Room } from '@lo/protocol';
import { chatApi, wsFails, wsOk, type ChatApi } from './helpers/chat.js';
import { assertProblem, type RawResponse } from './helpers/http.js';
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
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const PARIS = { lat: 48.8566, lng: 2.3522 };

const call = <T = Problem>(user: TestUser, method: string, path: string, body?: unknown): Promise<RawResponse<T>> =>
  chat.call<T>(user, method, path, body);
const createRoom = (owner: TestUser, input?: Record<string, unknown>) => chat.createRoom(owner, input);
const join = (user: TestUser, room: Room) => chat.join(user, room);
const post = (user: TestUser, room: Room, text: string, clientMsgId?: string) => chat.post(user, room, text, clientMsgId);
const history = (user: TestUser, room: Room, query?: string) => chat.history(user, room, query);
const connect = (user: TestUser) => chat.connect(user);

async function users(n: number, prefix: string): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: n }, () => signup(server, prefix)));
}

/** Follows next_cursor from `first` (a query string) to the last page; returns every page's offsets. */
async function historyPages(user: TestUser, room: Room, first: string): Promise<number[][]> {
  const pages: number[][] = [];
  let query = first;
  for (;;) {
    const page = await history(user, room, query);
    pages.push(page.items.map((m) => m.offset));
    if (page.next_cursor === null) return pages;
    assert.ok(pages.length < 50, 'paging does not end');
    const next = new URLSearchParams(first);
    next.delete('after_offset');
    next.delete('before_offset');
    next.set('cursor', page.next_cursor);
    query = `?${next.toString()}`;
  }
}

describe('room messages over HTTP', () => {
  test('POST /rooms/:id/messages answers 201 with the stored message; offsets count 1, 2, 3', async () => {
    const [owner, member] = await users(2, 'post');
    const room = await createRoom(owner!);
    await join(member!, room);
    const res = await call<ChannelMessage>(member!, 'POST', `/rooms/${room.id}/messages`, { text: 'hello 👋' });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, {
      channel: room.channel,
      offset: 1,
      id: res.body.id,
      author: { id: member!.id, username: member!.username },
      data: { text: 'hello 👋' },
      created_at: new Date(now).toISOString(),
    });
    assert.match(res.body.created_at, ISO);
    assert.equal((await post(owner!, room, 'two')).offset, 2);
    assert.equal((await post(member!, room, 'three')).offset, 3);
    assert.deepEqual((await history(owner!, room)).items, [res.body, ...(await history(owner!, room, '?after_offset=1')).items]);
  });

  test('posting needs membership: public rooms 403 not_room_member, private and missing rooms 404', async () => {
    const [owner, stranger] = await users(2, 'postdeny');
    const open = await createRoom(owner!);
    const closed = await createRoom(owner!, { visibility: 'private' });
    assertProblem(await call(stranger!, 'POST', `/rooms/${open.id}/messages`, { text: 'hi' }), 403, 'not_room_member');
    assertProblem(await call(stranger!, 'GET', `/rooms/${open.id}/messages`), 403, 'not_room_member');
    assertProblem(await call(stranger!, 'POST', `/rooms/${closed.id}/messages`, { text: 'hi' }), 404, 'room_not_found');
    assertProblem(await call(stranger!, 'POST', `/rooms/${UNKNOWN_ID}/messages`, { text: 'hi' }), 404, 'room_not_found');
    assertProblem(await call(stranger!, 'GET', `/rooms/${UNKNOWN_ID}/messages`), 404, 'room_not_found');
    assert.deepEqual((await history(owner!, open)).items, []);
  });

  test('message bodies are checked: blank text invalid_data, over 4096 bytes content_too_long', async () => {
    const [owner] = await users(1, 'postbad');
    const room = await createRoom(owner!);
    const path = `/rooms/${room.id}/messages`;
    assertProblem(await call(owner!, 'POST', path, {}), 400, 'validation_failed');
    assertProblem(await call(owner!, 'POST', path, { text: '' }), 400, 'validation_failed');
    assertProblem(await call(owner!, 'POST', path, { text: 5 }), 400, 'validation_failed');
    assertProblem(await call(owner!, 'POST', path, { text: 'x', extra: 1 }), 400, 'validation_failed');
    assertProblem(await call(owner!, 'POST', path, { text: 'x', client_msg_id: '' }), 400, 'validation_failed');
    assertProblem(await call(owner!, 'POST', path, { text: 'x', client_msg_id: 'has space' }), 400, 'validation_failed');
    assertProblem(await call(owner!, 'POST', path, { text: ' \n\t ' }), 400, 'invalid_data');
    assertProblem(await call(owner!, 'POST', path, { text: 'é'.repeat(2048) + 'x' }), 400, 'content_too_long');
    assert.deepEqual((await history(owner!, room)).items, []);
    const longest = 'é'.repeat(2047) + 'xy';
    assert.equal((await post(owner!, room, longest)).offset, 1);
  });

  test('a repeated client_msg_id answers 200 with the original: one stored message, same offset', async () => {
    const [owner, member] = await users(2, 'idem');
    const room = await createRoom(owner!);
    await join(member!, room);
    const first = await post(member!, room, 'once', 'retry-1');
    const again = await call<ChannelMessage>(member!, 'POST', `/rooms/${room.id}/messages`, { text: 'once', client_msg_id: 'retry-1' });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first);
    // The id names the first message even if a retry's text differs.
    const changed = await call<ChannelMessage>(member!, 'POST', `/rooms/${room.id}/messages`, { text: 'twice?', client_msg_id: 'retry-1' });
    assert.equal(changed.status, 200);
    assert.deepEqual(changed.body, first);
    // Another author's same id is their own message.
    const other = await post(owner!, room, 'mine', 'retry-1');
    assert.equal(other.offset, 2);
    assert.equal((await post(member!, room, 'next')).offset, 3, 'retries leave no gap');
    assert.deepEqual(
      (await history(owner!, room)).items.map((m) => [m.offset, m.author.id, m.data]),
      [
        [1, member!.id, { text: 'once' }],
        [2, owner!.id, { text: 'mine' }],
        [3, member!.id, { text: 'next' }],
      ],
    );
  });

  test('concurrent retries with one client_msg_id store one message', async () => {
    const [owner] = await users(1, 'idemrace');
    const room = await createRoom(owner!);
    const replies = await Promise.all(
      Array.from({ length: 8 }, () =>
        call<ChannelMessage>(owner!, 'POST', `/rooms/${room.id}/messages`, { text: 'race', client_msg_id: 'race-1' }),
      ),
    );
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
    assert.equal(new Set(replies.map((r) => `${r.body.id}@${r.body.offset}`)).size, 1);
    assert.deepEqual(
      (await history(owner!, room)).items.map((m) => m.offset),
      [1],
    );
  });
});

describe('room history paging', () => {
  let owner: TestUser;
  let room: Room;
  const N = 25;
  const all = Array.from({ length: N }, (_, i) => i + 1);

  before(async () => {
    [owner] = (await users(1, 'hist')) as [TestUser];
    room = await createRoom(owner);
    for (let i = 1; i <= N; i++) await post(owner, room, `m${i}`);
  });

  test('without a position the newest messages come, oldest first; cursors walk back to the first', async () => {
    const latest = await history(owner, room, '?limit=10');
    assert.deepEqual(
      latest.items.map((m) => m.offset),
      all.slice(15),
    );
    assert.deepEqual(
      latest.items.map((m) => m.data),
      all.slice(15).map((i) => ({ text: `m${i}` })),
    );
    const pages = await historyPages(owner, room, '?limit=10');
    assert.deepEqual(pages, [all.slice(15), all.slice(5, 15), all.slice(0, 5)]);
    assert.deepEqual(
      (await history(owner, room)).items.map((m) => m.offset),
      all.slice(5),
      'the default page is the newest 20',
    );
  });

  test('after_offset walks forward with cursors, no repeats or gaps, and no empty last page', async () => {
    assert.deepEqual(await historyPages(owner, room, '?after_offset=0&limit=10'), [all.slice(0, 10), all.slice(10, 20), all.slice(20)]);
    assert.deepEqual(await historyPages(owner, room, '?after_offset=5&limit=4'), [
      [6, 7, 8, 9],
      [10, 11, 12, 13],
      [14, 15, 16, 17],
      [18, 19, 20, 21],
      [22, 23, 24, 25],
    ]);
    assert.deepEqual(await historyPages(owner, room, '?after_offset=20&limit=5'), [all.slice(20)]);
    assert.deepEqual(await historyPages(owner, room, '?after_offset=25'), [[]]);
    assert.deepEqual(await historyPages(owner, room, '?after_offset=1000'), [[]]);
  });

  test('before_offset walks backward with cursors to the first message', async () => {
    assert.deepEqual(await historyPages(owner, room, '?before_offset=11&limit=4'), [
      [7, 8, 9, 10],
      [3, 4, 5, 6],
      [1, 2],
    ]);
    assert.deepEqual(await historyPages(owner, room, '?before_offset=6&limit=5'), [[1, 2, 3, 4, 5]]);
    assert.deepEqual(await historyPages(owner, room, '?before_offset=1'), [[]]);
    assert.deepEqual(await historyPages(owner, room, '?before_offset=1000&limit=100'), [all]);
  });

  test('history queries are checked: one position at most, valid cursors and limits', async () => {
    const path = `/rooms/${room.id}/messages`;
    assertProblem(await call(owner, 'GET', `${path}?after_offset=1&before_offset=5`), 400, 'validation_failed');
    assertProblem(await call(owner, 'GET', `${path}?after_offset=1&cursor=a3`), 400, 'validation_failed');
    for (const cursor of ['x3', 'a', 'a-1', 'b1.5', 'a12345678901234567']) {
      assertProblem(await call(owner, 'GET', `${path}?cursor=${cursor}`), 400, 'invalid_cursor');
    }
    for (const query of ['limit=0', 'limit=101', 'after_offset=-1', 'after_offset=x', 'since=3']) {
      assertProblem(await call(owner, 'GET', `${path}?${query}`), 400, 'validation_failed');
    }
  });

  test("pages skip blocked authors' messages without ending early or repeating", async () => {
    const [reader, blocked] = (await users(2, 'histblock')) as [TestUser, TestUser];
    const shared = await createRoom(owner);
    await join(reader, shared);
    await join(blocked, shared);
    // Offsets 1-10: owner at 1, 2, 9, 10; the blocked user in between (whole pages of them).
    const authors = [owner, owner, blocked, blocked, blocked, blocked, blocked, blocked, owner, owner];
    for (const [i, author] of authors.entries()) await post(author, shared, `h${i + 1}`);
    await reader.client.blocks.add(blocked.id);
    await post(reader, shared, 'h11');
    const visible = [1, 2, 9, 10, 11];
    for (const limit of [1, 2, 3, 100]) {
      const forward = await historyPages(reader, shared, `?after_offset=0&limit=${limit}`);
      assert.deepEqual(forward.flat(), visible, `forward, limit ${limit}: ${JSON.stringify(forward)}`);
      const backward = await historyPages(reader, shared, `?limit=${limit}`);
      assert.deepEqual(backward.reverse().flat(), visible, `backward, limit ${limit}: ${JSON.stringify(backward)}`);
    }
    // Blocks hide both ways: the blocked user does not see the reader's message.
    const theirs = await historyPages(blocked, shared, '?after_offset=0&limit=3');
    assert.deepEqual(theirs.flat(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual((await historyPages(owner, shared, '?after_offset=0')).flat(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});

describe('geofenced rooms', () => {
  const fence = { ...PARIS, radius: 500 };
  /** About 1.1 km north of the fence's centre. */
  const outside = { lat: PARIS.lat + 0.01, lng: PARIS.lng };

  test('posting needs a fresh location inside the fence (403 outside_geofence otherwise)', async () => {
    const [owner, member] = await users(2, 'geo');
    const room = await createRoom(owner!, { geofence: fence });
    await join(member!, room);
    const path = `/rooms/${room.id}/messages`;
    assertProblem(await call(member!, 'POST', path, { text: 'nowhere' }), 403, 'outside_geofence');
    assertProblem(await call(owner!, 'POST', path, { text: 'the owner too' }), 403, 'outside_geofence');

    now += 1000;
    await member!.client.me.setLocation(outside);
    assertProblem(await call(member!, 'POST', path, { text: 'too far' }), 403, 'outside_geofence');

    now += 1000;
    await member!.client.me.setLocation({ lat: PARIS.lat + 0.003, lng: PARIS.lng });
    assert.equal((await post(member!, room, 'inside')).offset, 1);

    now += 10 * 60_000;
    assert.equal((await post(member!, room, 'still fresh at ten minutes')).offset, 2);
    now += 1000;
    assertProblem(await call(member!, 'POST', path, { text: 'stale' }), 403, 'outside_geofence');

    // Reading needs no location.
    assert.deepEqual(
      (await history(member!, room)).items.map((m) => m.data),
      [{ text: 'inside' }, { text: 'still fresh at ten minutes' }],
    );
  });

  test('a WebSocket pub is held to the same fence', async () => {
    const [owner] = await users(1, 'geows');
    const room = await createRoom(owner!, { geofence: fence });
    const ws = await connect(owner!);
    try {
      now += 1000;
      await owner!.client.me.setLocation(outside);
      await wsFails(ws, { type: 'pub', channel: room.channel, data: { text: 'out' } }, 'outside_geofence');
      now += 1000;
      await owner!.client.me.setLocation(PARIS);
      const reply = await wsOk(ws, { type: 'pub', channel: room.channel, data: { text: 'in' } });
      assert.equal(reply.offset, 1);
    } finally {
      ws.close();
    }
  });
});
