/**
 * Live geo subscriptions on one node (DESIGN sections 5 and 7): the `geo.sub` reply, who gets which
 * `geo.msg` push (the feed's rules), deletions, the visibility-radius cap, bad input, and the index
 * checking only the areas of a post's cells.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GEO_LIMITS, type GeoMessage } from '@lo/protocol';
import type { MemoryBroker } from '../src/broker/memory-broker.js';
import { befriend, drained, geoExits, geoMessages, geoSocket, geoSub, offset, post, signups, type GeoSocket } from './helpers/geo.js';
import { newId } from '../src/util/ids.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup, type TestUser } from './helpers/users.js';

const PARIS = { lat: 48.8566, lng: 2.3522 };
const TOKYO = { lat: 35.6762, lng: 139.6503 };

describe('live geo subscriptions', () => {
  let server: TestServer;
  const sockets: GeoSocket[] = [];
  const open = async (user: TestUser) => {
    const socket = await geoSocket(server.url, user.auth.access_token);
    sockets.push(socket);
    return socket;
  };
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const { ws } of sockets) ws.close();
    await server?.close();
  });

  test('geo.sub answers the newest posts as the feed shows them, capped at the visibility radius', async () => {
    const [author, viewer] = [await signup(server, 'a'), await signup(server, 'v')];
    const here = offset(PARIS, 45, 3000);
    for (let i = 0; i < GEO_LIMITS.snapshotMax + 5; i++) await post(author, offset(here, i * 7, 100), { content: `p${i}` });
    const { ws } = await open(viewer);
    const reply = await geoSub(ws, here, { radius: 5000 });
    const feed = await viewer.client.messages.nearby({ lat: here.lat, lng: here.lng, radius: 5000, limit: GEO_LIMITS.snapshotMax });
    assert.equal(reply.radius, 1000, 'capped at the default visibility radius');
    assert.equal(reply.recovered, true);
    assert.equal(reply.items.length, GEO_LIMITS.snapshotMax);
    assert.deepEqual(reply.items, feed.items);
    assert.equal(reply.items[0]!.content, `p${GEO_LIMITS.snapshotMax + 4}`, 'newest first');
  });

  test('a new post reaches exactly the viewers the feed shows it to, as the feed shows it', async () => {
    const [author, near, far, blocker, friend, stranger] = await signups(server, 'author', 'near', 'far', 'blocker', 'friend', 'stranger');
    await blocker.client.blocks.add(author.id);
    await befriend(author, friend);
    const here = offset(PARIS, 90, 8000);
    const spots = {
      author: here,
      near: offset(here, 0, 200),
      far: offset(here, 0, 2500),
      blocker: here,
      friend: offset(here, 180, 300),
      stranger: offset(here, 270, 300),
    };
    const users = { author, near, far, blocker, friend, stranger };
    const socks = Object.fromEntries(
      await Promise.all(
        Object.entries(users).map(async ([name, user]) => {
          const socket = await open(user);
          await geoSub(socket.ws, spots[name as keyof typeof spots]);
          return [name, socket.ws] as const;
        }),
      ),
    );
    const everyone = await post(author, here, { content: 'for everyone' });
    const closed = await post(author, here, { content: 'friends only', visibility: 'friends' });
    await drained(...Object.values(socks));
    const got = (name: keyof typeof users) => geoMessages(socks[name]!).map((m) => m.content);
    assert.deepEqual(got('near'), ['for everyone']);
    assert.deepEqual(got('far'), [], 'beyond the radius');
    assert.deepEqual(got('blocker'), [], 'blocks hide posts either way');
    assert.deepEqual(got('friend'), ['for everyone', 'friends only']);
    assert.deepEqual(got('stranger'), ['for everyone']);
    assert.deepEqual(got('author'), ['for everyone', 'friends only'], 'own posts too');
    // Each push is the feed's view for that viewer at that place: a band, no coordinates unless mine.
    for (const name of ['near', 'friend', 'author'] as const) {
      const feed = await users[name].client.messages.nearby({ lat: spots[name].lat, lng: spots[name].lng });
      const byId = new Map(feed.items.map((m) => [m.id, m]));
      for (const pushed of geoMessages(socks[name]!)) assert.deepEqual(pushed, byId.get(pushed.id));
    }
    const mine = geoMessages(socks.author!).find((m) => m.id === everyone.id)!;
    assert.equal(mine.mine, true);
    assert.deepEqual(mine.location, { lat: here.lat, lng: here.lng });
    assert.equal(geoMessages(socks.near!)[0]!.location, undefined);
    assert.ok(closed.id > everyone.id);
  });

  test('geo.sub with since replays what came after it, keeps exits working, and says recovered: false past the limit', async () => {
    const [author, viewer] = await signups(server, 'author', 'viewer');
    const here = offset(PARIS, 135, 5000);
    const seen = await post(author, here, { content: 'seen before the cut' });
    const first = await open(viewer);
    assert.deepEqual(
      (await geoSub(first.ws, here)).items.map((m) => m.id),
      [seen.id],
    );
    first.ws.close();
    const missed = [await post(author, here, { content: 'm1' }), await post(author, here, { content: 'm2' })];
    const again = await open(viewer);
    const reply = await geoSub(again.ws, here, { since: seen.id.toLowerCase() });
    assert.equal(reply.recovered, true);
    assert.deepEqual(
      reply.items.map((m) => m.id),
      [missed[1]!.id, missed[0]!.id],
    );
    // The post shown before the cut is remembered by the new area: its deletion still reaches the client.
    await author.client.messages.delete(seen.id);
    await drained(again.ws);
    assert.deepEqual(
      geoExits(again.ws).map((e) => e.message_id),
      [seen.id],
    );
    // More than recoveryMax posts after `since`: the newest snapshotMax, and recovered: false.
    await again.ws.ok({ type: 'geo.unsub' });
    const now = Date.now();
    const flood = Array.from({ length: GEO_LIMITS.recoveryMax + 1 }, (_, i) => ({
      id: newId(now + i),
      authorId: author.id,
      kind: 'geo' as const,
      content: `flood ${i}`,
      ...{ lat: here.lat, lng: here.lng, publicLat: here.lat, publicLng: here.lng },
      radius: 1000,
      visibility: 'public' as const,
      createdAt: now + i,
      expiresAt: now + 86_400_000,
      clientMsgId: null,
    }));
    await server.app.store.messages.importGeo(flood);
    const flooded = await geoSub(again.ws, here, { since: missed[1]!.id });
    assert.equal(flooded.recovered, false);
    const feed = await viewer.client.messages.nearby({ lat: here.lat, lng: here.lng, limit: GEO_LIMITS.snapshotMax });
    assert.deepEqual(flooded.items, feed.items);
    await again.ws.ok({ type: 'geo.unsub' });
    const recent = await geoSub(again.ws, here, { since: flood.at(-11)!.id });
    assert.equal(recent.recovered, true);
    assert.deepEqual(
      recent.items.map((m) => m.content),
      flood
        .slice(-10)
        .map((m) => m.content)
        .reverse(),
    );
  });

  test('a deleted post leaves the areas that showed it with geo.exit (deleted)', async () => {
    const [author, viewer, other] = await signups(server, 'author', 'viewer', 'other');
    const here = offset(PARIS, 180, 6000);
    const earlier = await post(author, here, { content: 'in the snapshot' });
    const [v, o] = [await open(viewer), await open(other)];
    await geoSub(v.ws, here);
    await geoSub(o.ws, offset(here, 0, 3000));
    const live = await post(author, here, { content: 'live' });
    await author.client.messages.delete(earlier.id);
    await author.client.messages.delete(live.id);
    await drained(v.ws, o.ws);
    assert.deepEqual(
      geoExits(v.ws).map((e) => [e.message_id, e.reason]),
      [
        [earlier.id, 'deleted'],
        [live.id, 'deleted'],
      ],
    );
    assert.deepEqual(geoExits(o.ws), [], 'an area that never showed the post hears nothing');
  });

  test('the radius is capped at the visibility radius for pushes too', async () => {
    const [author, viewer] = await signups(server, 'author', 'viewer');
    await viewer.client.me.update({ visibility_radius: 500 });
    const here = offset(PARIS, 270, 7000);
    const { ws } = await open(viewer);
    assert.equal((await geoSub(ws, here, { radius: 5000 })).radius, 500);
    const farPost = await post(author, offset(here, 0, 1500), { radius: 3000, content: 'too far' });
    const nearPost = await post(author, offset(here, 0, 100), { radius: 3000, content: 'close' });
    await drained(ws);
    assert.deepEqual(
      geoMessages(ws).map((m) => m.id),
      [nearPost.id],
    );
    assert.ok(farPost.id);
  });

  test('bad input gets a clear error and changes nothing', async () => {
    const viewer = await signup(server, 'bad');
    const { ws } = await open(viewer);
    const areasBefore = server.app.realtime.geo.stats.areas;
    const code = async (frame: Record<string, unknown>) => {
      const reply = await ws.request(frame);
      return reply.ok ? 'ok' : reply.error.code;
    };
    assert.equal(await code({ type: 'geo.sub', lat: 91, lng: 0 }), 'invalid_frame');
    assert.equal(await code({ type: 'geo.sub', lat: 0, lng: -180.5 }), 'invalid_frame');
    assert.equal(await code({ type: 'geo.sub', lat: 0, lng: 0, radius: 20_000 }), 'invalid_frame');
    assert.equal(await code({ type: 'geo.sub', lat: 0, lng: 0, radius: 1 }), 'invalid_frame');
    assert.equal(await code({ type: 'geo.sub', lat: 0, lng: 0, since: 'not-an-id' }), 'invalid_frame');
    assert.equal(await code({ type: 'geo.sub', lat: '1', lng: 0 }), 'invalid_frame');
    assert.equal(await code({ type: 'geo.sub', lat: 0, lng: 0, extra: true }), 'invalid_frame');
    assert.equal(await code({ type: 'geo.unsub' }), 'not_subscribed');
    assert.equal(server.app.realtime.geo.stats.areas, areasBefore);
    assert.equal(await code({ type: 'geo.sub', lat: PARIS.lat, lng: PARIS.lng }), 'ok');
    assert.equal(await code({ type: 'geo.sub', lat: PARIS.lat, lng: PARIS.lng }), 'already_subscribed');
    assert.equal(server.app.realtime.geo.stats.areas, areasBefore + 1);
    assert.equal(await code({ type: 'geo.unsub' }), 'ok');
    assert.equal(await code({ type: 'geo.unsub' }), 'not_subscribed');
    assert.equal(server.app.realtime.geo.stats.areas, areasBefore);
  });

  test('an implausible jump is refused: no area, no location change', async () => {
    const slow = await startServer({ LO_LOCATION_MAX_SPEED: '50' });
    try {
      const viewer = await signup(slow, 'jumper');
      await viewer.client.me.setLocation({ lat: PARIS.lat, lng: PARIS.lng });
      const { ws } = await geoSocket(slow.url, viewer.auth.access_token);
      const reply = await ws.request({ type: 'geo.sub', lat: TOKYO.lat, lng: TOKYO.lng });
      assert.equal(reply.ok ? 'ok' : reply.error.code, 'location_implausible');
      assert.equal(slow.app.realtime.geo.stats.areas, 0);
      const location = await slow.app.store.locations.get(viewer.id);
      assert.deepEqual([location?.lat, location?.lng], [PARIS.lat, PARIS.lng]);
      assert.equal((await geoSub(ws, offset(PARIS, 0, 50))).recovered, true, 'a plausible one still works');
      ws.close();
    } finally {
      await slow.close();
    }
  });

  test('the index checks only the areas in a post’s cells, and the node listens only to covered cells', async () => {
    const [author, ...viewers] = await signups(server, 'idx', 'idx', 'idx', 'idx', 'idx', 'idx', 'idx');
    const paris = offset(PARIS, 0, 9000);
    const tokyo = await Promise.all(viewers.slice(0, 5).map((v) => open(v)));
    for (const [i, s] of tokyo.entries()) await geoSub(s.ws, offset(TOKYO, i * 60, 500));
    const inParis = await open(viewers[5]);
    await geoSub(inParis.ws, paris);
    const topics = () => [...(server.app.realtime.deps.broker as MemoryBroker).subscribed].filter((t) => t.startsWith('geo:'));
    const stats = server.app.realtime.geo.stats;
    const before = { candidates: stats.candidates, publications: stats.publications };
    const posts: GeoMessage[] = [];
    for (let i = 0; i < 3; i++) posts.push(await post(author, offset(paris, i * 120, 200)));
    await drained(inParis.ws);
    assert.equal(geoMessages(inParis.ws).length, 3);
    assert.equal(stats.candidates - before.candidates, 3, 'one area checked per post: the Tokyo ones never');
    assert.ok(
      topics().some((t) => t.startsWith('geo:xn')),
      'Tokyo cells are listened to while covered',
    );
    for (const s of tokyo) await s.ws.ok({ type: 'geo.unsub' });
    assert.equal(topics().filter((t) => t.startsWith('geo:xn')).length, 0, 'no Tokyo cell once nobody covers one');
    // Exactly the cells some area covers are listened to, before and after a socket with an area closes.
    assert.equal(topics().length, stats.cells);
    inParis.ws.close();
    await inParis.ws.closed;
    await drained(tokyo[0]!.ws);
    assert.equal(topics().length, stats.cells);
  });
});
