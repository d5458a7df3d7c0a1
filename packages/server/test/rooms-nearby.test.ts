/**
 * Geofenced rooms in space (DESIGN sections 3, 4, 7): GET /rooms/nearby lists public fenced rooms whose
 * fence reaches the asked circle, nearest first, checked against a brute-force haversine oracle with
 * paging; private and unfenced rooms never appear; distances are bands. And a fence with `join_inside`
 * takes new members only from inside it, judged by the server's record of where they are.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NearbyRoom, Page, Room } from '@lo/protocol';
import { chatApi, type ChatApi } from './helpers/chat.js';
import { assertProblem } from './helpers/http.js';
import { distanceM, move, prng, SEED } from './helpers/nearby-oracle.js';
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

const LISBON = { lat: 38.7223, lng: -9.1393 };

async function nearbyAll(user: TestUser, query: string, limit: number): Promise<NearbyRoom[]> {
  const items: NearbyRoom[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<NearbyRoom> = await chat.expect<Page<NearbyRoom>>(
      200,
      user,
      'GET',
      `/rooms/nearby?${query}&limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    assert.ok(page.items.length <= limit);
    items.push(...page.items);
    cursor = page.next_cursor;
    assert.ok(items.length < 1000, 'paging does not end');
  } while (cursor !== null);
  return items;
}

describe('GET /rooms/nearby', () => {
  test('returns exactly the public fenced rooms reaching the circle, nearest first, across pages (oracle)', async () => {
    const random = prng(SEED);
    const owner = await signup(server, 'fence');
    const rooms: Array<{ room: Room; lat: number; lng: number; radius: number }> = [];
    for (let i = 0; i < 60; i++) {
      const at = move(LISBON.lat, LISBON.lng, random() * 360, random() * 15_000);
      const radius = 300 + Math.floor(random() * 3000);
      const visibility = i % 7 === 0 ? 'private' : 'public';
      const room = await chat.createRoom(owner, { name: `r${i}`, visibility, geofence: { ...at, radius } });
      if (visibility === 'public') rooms.push({ room, ...at, radius });
    }
    await chat.createRoom(owner, { name: 'no fence', visibility: 'public' });
    const viewer = await signup(server, 'viewer');
    for (const [point, radius] of [
      [LISBON, 2000],
      [move(LISBON.lat, LISBON.lng, 45, 4000), 500],
      [move(LISBON.lat, LISBON.lng, 200, 9000), 10_000],
    ] as const) {
      const got = await nearbyAll(viewer, `lat=${point.lat}&lng=${point.lng}&radius=${radius}`, 7);
      const expected = rooms
        .map((r) => ({ ...r, d: distanceM(point.lat, point.lng, r.lat, r.lng) }))
        .filter((r) => r.d <= radius + r.radius)
        .sort((a, b) => a.d - b.d || (a.room.id < b.room.id ? -1 : 1));
      assert.deepEqual(
        got.map((r) => r.id),
        expected.map((r) => r.room.id),
      );
      for (const [i, item] of got.entries()) {
        assert.equal(item.inside, expected[i]!.d <= expected[i]!.radius);
        assert.ok(!('distance' in item), 'no numeric distance');
        assert.match(item.distance_band, /^[<>]/);
        assert.equal(item.visibility, 'public');
      }
    }
  });

  test('bad queries are refused with validation_failed or invalid_cursor', async () => {
    const viewer = await signup(server, 'badq');
    const base = `/rooms/nearby?lat=${LISBON.lat}&lng=${LISBON.lng}`;
    assertProblem(await chat.call(viewer, 'GET', `${base}&radius=100000`), 400, 'validation_failed');
    assertProblem(await chat.call(viewer, 'GET', `/rooms/nearby?lat=91&lng=0`), 400, 'validation_failed');
    assertProblem(await chat.call(viewer, 'GET', `${base}&cursor=xyz`), 400, 'invalid_cursor');
    assertProblem(await chat.call(viewer, 'GET', `${base}&extra=1`), 400, 'validation_failed');
  });
});

describe('fences that take members only from inside', () => {
  test('join_inside needs a fresh location inside to join; members stay when they leave the fence', async () => {
    const owner = await signup(server, 'jowner');
    const walker = await signup(server, 'walker');
    const room = await chat.createRoom(owner, {
      name: 'plaza',
      visibility: 'public',
      geofence: { ...LISBON, radius: 400, join_inside: true },
    });
    assert.deepEqual(room.geofence, { ...LISBON, radius: 400, join_inside: true });
    const join = () => chat.call<Room>(walker, 'POST', `/rooms/${room.id}/join`);

    assertProblem(await join(), 403, 'outside_geofence');
    now += 1000;
    await walker.client.me.setLocation(move(LISBON.lat, LISBON.lng, 90, 1500));
    assertProblem(await join(), 403, 'outside_geofence');
    assert.equal((await chat.expect<Room>(200, owner, 'GET', `/rooms/${room.id}`)).member_count, 1, 'refusals change nothing');

    now += 10 * 60_000;
    await walker.client.me.setLocation(move(LISBON.lat, LISBON.lng, 90, 200));
    const joined = await join();
    assert.equal(joined.status, 200);
    assert.equal(joined.body.my_role, 'member');

    now += 60 * 60_000;
    assert.equal((await join()).status, 200, 'a member rejoining from afar is already in');
  });

  test('without join_inside anyone may join; the fence still guards posting', async () => {
    const owner = await signup(server, 'fowner');
    const room = await chat.createRoom(owner, { name: 'open', visibility: 'public', geofence: { ...LISBON, radius: 400 } });
    assert.equal(room.geofence?.join_inside, false);
    const member = await signup(server, 'far');
    assert.equal((await chat.call<Room>(member, 'POST', `/rooms/${room.id}/join`)).status, 200);
    assertProblem(await chat.call(member, 'POST', `/rooms/${room.id}/messages`, { text: 'hi' }), 403, 'outside_geofence');
  });
});
