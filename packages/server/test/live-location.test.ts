/**
 * Live beacons on a real server (DESIGN sections 5 and 7): who may watch `loc:<id>`, at which
 * precision, ghost mode, expiry, friends' locations over REST, and refused beacons. The server runs on
 * a clock the tests move forward (ghost_until, the 10-minute TTL); the rate limits of TEST_ENV are
 * raised, and the real `beacon` limit and travel speed are tested on a second server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GEO_LIMITS, type FriendLocation, type LocEventFrame } from '@lo/protocol';
import { api, assertProblem } from './helpers/http.js';
import { beacon, befriend, flush, locs, northOf, PARIS, person } from './helpers/live-location.js';
import { startServer, TEST_ENV, type TestServer } from './helpers/test-server.js';
import { expectError } from './helpers/ws-assert.js';

let offsetMs = 0;
const clock = { now: () => Date.now() + offsetMs };

let server: TestServer;
before(async () => {
  server = await startServer({}, undefined, clock);
});
after(() => server.close());

const friendsLocations = async (token: string) =>
  (await api<{ items: FriendLocation[] }>(server, 'GET', '/friends/locations', { token })).body.items;
const haversine = (a: { lat: number; lng: number }, b: { lat: number; lng: number }) => {
  const r = Math.PI / 180;
  const s = Math.sin(((b.lat - a.lat) * r) / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(((b.lng - a.lng) * r) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(s));
};

describe('watching a beacon', () => {
  test('an exact owner reaches friends with the exact point; strangers are refused (not_friends) and get nothing', async () => {
    const ana = await person(server, 'ana', { location_sharing: 'friends', location_precision: 'exact' });
    const ben = await person(server, 'ben');
    const eve = await person(server, 'eve');
    await befriend(ana, ben);
    const channel = `loc:${ana.id}`;
    await ben.ws.ok({ type: 'sub', channel });
    expectError(await eve.ws.request({ type: 'sub', channel }), 'not_friends');
    await beacon(ana.ws, PARIS, 8);
    await flush(ben.ws);
    await flush(eve.ws);
    const [seen] = locs(ben.ws, channel);
    assert.deepEqual(seen, {
      type: 'loc',
      channel,
      user: { id: ana.id, username: ana.username },
      ...PARIS,
      accuracy: 8,
      precision: 'exact',
      at: seen?.at,
    });
    assert.ok(Math.abs(Date.parse(seen.at) - clock.now()) < 5000);
    assert.deepEqual(locs(eve.ws), []);
    assert.deepEqual(await friendsLocations(ben.auth.access_token), [
      { user: { id: ana.id, username: ana.username }, ...PARIS, accuracy: 8, precision: 'exact', at: seen.at },
    ]);
    assert.deepEqual(await friendsLocations(eve.auth.access_token), [], 'strangers see no friend locations');
  });

  test('a coarse owner gives friends a stable snapped point, without accuracy, never the exact one', async () => {
    const ana = await person(server, 'coarse', { location_sharing: 'friends' });
    const ben = await person(server, 'ben');
    await befriend(ana, ben);
    await ben.ws.ok({ type: 'sub', channel: `loc:${ana.id}` });
    const here = northOf(PARIS, 2);
    await beacon(ana.ws, here, 5);
    await beacon(ana.ws, northOf(here, 30), 5);
    await flush(ben.ws);
    const [first, second] = locs(ben.ws);
    assert.ok(first && second);
    assert.equal(first.precision, 'coarse');
    assert.equal(first.accuracy, null);
    assert.deepEqual([second.lat, second.lng], [first.lat, first.lng], 'the same 1 km cell gives the same point');
    assert.ok(haversine(first, here) > 250, `the coarse point is ${haversine(first, here)} m from the exact one`);
    const [listed] = await friendsLocations(ben.auth.access_token);
    assert.deepEqual([listed?.lat, listed?.lng, listed?.accuracy, listed?.precision], [first.lat, first.lng, null, 'coarse']);
  });

  test('public sharing: strangers get the coarse point while friends get the exact one', async () => {
    const ana = await person(server, 'public', { location_sharing: 'public', location_precision: 'exact' });
    const ben = await person(server, 'ben');
    const eve = await person(server, 'eve');
    await befriend(ana, ben);
    for (const ws of [ben.ws, eve.ws, ana.ws]) await ws.ok({ type: 'sub', channel: `loc:${ana.id}` });
    await beacon(ana.ws, PARIS, 8);
    for (const ws of [ben.ws, eve.ws, ana.ws]) await flush(ws);
    const [friendView] = locs(ben.ws);
    const [strangerView] = locs(eve.ws);
    const [ownView] = locs(ana.ws);
    assert.deepEqual([friendView?.lat, friendView?.lng, friendView?.precision], [PARIS.lat, PARIS.lng, 'exact']);
    assert.deepEqual([ownView?.lat, ownView?.precision], [PARIS.lat, 'exact'], 'the owner sees what friends see');
    assert.equal(strangerView?.precision, 'coarse');
    assert.equal(strangerView?.accuracy, null);
    assert.ok(haversine(strangerView, PARIS) > 250);
  });

  test('sharing off, a block and an unknown user refuse the subscription with their codes', async () => {
    const off = await person(server, 'off');
    const ana = await person(server, 'ana', { location_sharing: 'public' });
    const ben = await person(server, 'ben');
    await befriend(off, ben);
    expectError(await ben.ws.request({ type: 'sub', channel: `loc:${off.id}` }), 'channel_forbidden');
    await ana.client.blocks.add(ben.id);
    expectError(await ben.ws.request({ type: 'sub', channel: `loc:${ana.id}` }), 'channel_forbidden');
    expectError(await ben.ws.request({ type: 'sub', channel: 'loc:01JAAAAAAAAAAAAAAAAAAAAAAA' }), 'channel_not_found');
  });
});

describe('hidden and expired beacons', () => {
  test('ghost mode hides beacons (live and REST) without refusing anything; ghost_until ends it', async () => {
    const ana = await person(server, 'ghost', { location_sharing: 'friends', location_precision: 'exact' });
    const ben = await person(server, 'ben');
    await befriend(ana, ben);
    await ben.ws.ok({ type: 'sub', channel: `loc:${ana.id}` });
    await beacon(ana.ws, PARIS);
    await ana.client.me.update({ ghost_mode: true, ghost_until: new Date(clock.now() + 60_000).toISOString() });
    assert.deepEqual(await friendsLocations(ben.auth.access_token), [], 'turning ghost on hides the last beacon at once');
    await beacon(ana.ws, northOf(PARIS, 100));
    await flush(ben.ws);
    assert.equal(locs(ben.ws).length, 1, 'only the beacon from before ghost mode');
    assert.deepEqual(await friendsLocations(ben.auth.access_token), []);
    await ben.ws.ok({ type: 'unsub', channel: `loc:${ana.id}` });
    await ben.ws.ok({ type: 'sub', channel: `loc:${ana.id}` });
    await flush(ben.ws);
    assert.equal(locs(ben.ws).length, 1, 'no last beacon is pushed while hidden (subscribing still works)');

    offsetMs += 61_000;
    await beacon(ana.ws, northOf(PARIS, 200));
    await flush(ben.ws);
    assert.equal(locs(ben.ws).at(-1)?.lat, northOf(PARIS, 200).lat, 'visible again once ghost_until passed');
    assert.equal((await friendsLocations(ben.auth.access_token)).length, 1);
  });

  test('the last live beacon is pushed right after subscribing, and expires everywhere after 10 minutes', async () => {
    const ana = await person(server, 'ttl', { location_sharing: 'friends', location_precision: 'exact' });
    const ben = await person(server, 'ben');
    await befriend(ana, ben);
    await beacon(ana.ws, PARIS);
    const channel = `loc:${ana.id}`;
    await ben.ws.ok({ type: 'sub', channel });
    const pushed = await ben.ws.next((f) => f.type === 'loc' && f.channel === channel);
    assert.equal((pushed as LocEventFrame).lat, PARIS.lat);
    await ben.ws.ok({ type: 'unsub', channel });

    offsetMs += GEO_LIMITS.beaconTtlS * 1000 + 1000;
    await ben.ws.ok({ type: 'sub', channel });
    await flush(ben.ws);
    assert.equal(locs(ben.ws).length, 1, 'an expired beacon is not pushed');
    assert.deepEqual(await friendsLocations(ben.auth.access_token), []);
    assert.ok((await server.app.store.beacons.of([ana.id], 0)).length === 1, 'still stored until housekeeping');
  });

  test('GET /me/export holds my own beacon, exact', async () => {
    const ana = await person(server, 'export', { location_sharing: 'friends' });
    await beacon(ana.ws, PARIS, 7);
    const exported = (
      await api<{ beacon: { lat: number; lng: number; accuracy: number } | null }>(server, 'GET', '/me/export', {
        token: ana.auth.access_token,
      })
    ).body;
    assert.deepEqual([exported.beacon?.lat, exported.beacon?.lng, exported.beacon?.accuracy], [PARIS.lat, PARIS.lng, 7]);
  });
});

describe('refused beacons and bad input', () => {
  test('bad frames and fields are refused and change nothing', async () => {
    const ana = await person(server, 'bad', { location_sharing: 'friends', location_precision: 'exact' });
    const ben = await person(server, 'ben');
    await befriend(ana, ben);
    await ben.ws.ok({ type: 'sub', channel: `loc:${ana.id}` });
    expectError(await ana.ws.request({ type: 'loc', lat: 91, lng: 0 }), 'invalid_frame');
    expectError(await ana.ws.request({ type: 'loc', lat: 1, lng: 2, accuracy: -1 }), 'invalid_frame');
    expectError(await ana.ws.request({ type: 'loc', lat: 1, lng: 2, extra: true }), 'invalid_frame');
    expectError(await ana.ws.request({ type: 'area.count', lat: 1, lng: 2, radius: 199 }), 'invalid_frame');
    expectError(await ana.ws.request({ type: 'area.count', lat: 1, lng: 2, radius: 10_001 }), 'invalid_frame');
    const token = ana.auth.access_token;
    assertProblem(await api(server, 'GET', '/areas/count?lat=1&lng=2&radius=50', { token }), 400, 'validation_failed');
    assertProblem(await api(server, 'GET', '/areas/count?lat=1&lng=2', { token }), 400, 'validation_failed');
    for (const proximity_radius of [199, 5001, 300.5, '300']) {
      assertProblem(await api(server, 'PATCH', '/me', { token, body: { proximity_radius } }), 400, 'validation_failed');
    }
    await flush(ben.ws);
    assert.deepEqual(locs(ben.ws), []);
    assert.equal((await ana.client.me.get()).proximity_radius, null);
    assert.equal((await ana.client.me.update({ proximity_radius: 300 })).proximity_radius, 300);
    assert.equal((await ana.client.me.update({ proximity_radius: null })).proximity_radius, null);
  });

  test('with the real limits: beacons under 2 s apart are rate_limited, implausible jumps refused, neither published', async () => {
    const rateLimits = TEST_ENV.LO_RATE_LIMITS!.replace(/,beacon=[^,]*/, '');
    const strict = await startServer({ LO_RATE_LIMITS: rateLimits, LO_LOCATION_MAX_SPEED: '300' });
    try {
      const ana = await person(strict, 'strict', { location_sharing: 'friends', location_precision: 'exact' });
      const ben = await person(strict, 'ben');
      await befriend(ana, ben);
      await ben.ws.ok({ type: 'sub', channel: `loc:${ana.id}` });
      await beacon(ana.ws, PARIS);
      const limited = expectError(await ana.ws.request({ type: 'loc', ...northOf(PARIS, 10) }), 'rate_limited');
      assert.ok((limited.retry_after ?? 0) >= 1 && (limited.retry_after ?? 0) <= GEO_LIMITS.beaconMinIntervalS, JSON.stringify(limited));
      await new Promise((resolve) => setTimeout(resolve, GEO_LIMITS.beaconMinIntervalS * 1000 + 100));
      expectError(await ana.ws.request({ type: 'loc', lat: 40.7128, lng: -74.006 }), 'location_implausible');
      await flush(ben.ws);
      assert.deepEqual(
        locs(ben.ws).map((l) => l.lat),
        [PARIS.lat],
        'only the first beacon was published',
      );
      const listed = (await api<{ items: FriendLocation[] }>(strict, 'GET', '/friends/locations', { token: ben.auth.access_token })).body;
      assert.deepEqual(
        listed.items.map((l) => l.lat),
        [PARIS.lat],
      );
    } finally {
      await strict.close();
    }
  });
});
