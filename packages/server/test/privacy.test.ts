import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { DISTANCE_BANDS, type GeoMessage, type Page } from '@lo/client';
import { walkJson } from './helpers/json-walk.js';
import { rejectsWith } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup, type TestUser } from './helpers/users.js';

/**
 * DESIGN section 7: nobody but the author ever learns a post's exact position or an exact distance to
 * it. Everything a viewer observes (bands, visibility) is computed from the stable public point.
 */
const GRID_M = 100;
let server: TestServer;

before(async () => {
  server = await startServer({ LO_PRIVACY_GRID_M: String(GRID_M) });
});
after(() => server.close());

interface LatLng {
  lat: number;
  lng: number;
}

// An oracle of our own (not the server's code): haversine on the same sphere, and the band table.
const EARTH_RADIUS_M = 6_371_008.8;
function distanceM(a: LatLng, b: LatLng): number {
  const rad = Math.PI / 180;
  const s =
    Math.sin(((b.lat - a.lat) * rad) / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lng - a.lng) * rad) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(Math.min(1, s)));
}
const BAND_LIMITS = [100, 500, 1_000, 2_000, 5_000, 10_000];
function band(distance: number): string {
  const index = BAND_LIMITS.findIndex((limit) => distance < limit);
  return DISTANCE_BANDS[index === -1 ? BAND_LIMITS.length : index]!;
}
/** Metres from `distance` to the nearest band edge (candidates too close to an edge are skipped). */
function edgeMargin(distance: number): number {
  return Math.min(...BAND_LIMITS.map((limit) => Math.abs(distance - limit)));
}
/** `from` moved by metres north and east (flat approximation; distances are measured with haversine). */
function offset(from: LatLng, northM: number, eastM: number): LatLng {
  return { lat: from.lat + northM / 111_195, lng: from.lng + eastM / (111_195 * Math.cos((from.lat * Math.PI) / 180)) };
}
/** Points on a grid around `centre` (up to `reachM` away), nearest first. */
function around(centre: LatLng, reachM: number, stepM = 10): LatLng[] {
  const points: Array<{ point: LatLng; d: number }> = [];
  for (let n = -reachM; n <= reachM; n += stepM) {
    for (let e = -reachM; e <= reachM; e += stepM) points.push({ point: offset(centre, n, e), d: Math.hypot(n, e) });
  }
  return points.sort((a, b) => a.d - b.d).map((p) => p.point);
}

function publicPoint(messageId: string): LatLng {
  const db = new BetterSqlite3(path.join(server.dataDir, 'lo.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT public_lat AS lat, public_lng AS lng FROM messages WHERE id = ?').get(messageId) as LatLng | undefined;
    assert.ok(row, `message ${messageId} is stored`);
    return row;
  } finally {
    db.close();
  }
}

/** A base64url string that decodes to a JSON object (such as a page cursor), or undefined. */
function decodeOpaque(text: string): unknown {
  if (!/^[A-Za-z0-9_-]{16,}$/.test(text)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

interface Secrets {
  exact: LatLng;
  /** Exact distances the viewer must not learn (metres): to the exact and to the public point. */
  distances: number[];
}

/** Walks a response (and anything opaque strings in it decode to) for the author's position or an exact distance. */
function assertRevealsNothing(label: string, body: unknown, secrets: Secrets): void {
  for (const node of walkJson(body)) {
    const where = `${label} ${node.path}`;
    assert.notEqual(node.key, 'location', `${where}: has a location`);
    if (typeof node.value === 'number') {
      const n = node.value;
      assert.ok(Math.abs(n - secrets.exact.lat) >= 0.01 && Math.abs(n - secrets.exact.lng) >= 0.01, `${where}: ${n} is near a coordinate`);
      for (const d of secrets.distances) assert.ok(Math.abs(n - d) > 0.5, `${where}: ${n} is an exact distance (${d} m)`);
    }
    if (node.key !== null && node.key.toLowerCase().includes('dist')) {
      assert.ok(
        typeof node.value === 'string' && (DISTANCE_BANDS as readonly string[]).includes(node.value),
        `${where}: ${JSON.stringify(node.value)} is not a distance band`,
      );
    }
    if (typeof node.value === 'string') {
      for (const coordinate of [secrets.exact.lat, secrets.exact.lng]) {
        assert.ok(!node.value.includes(String(coordinate)), `${where}: contains ${coordinate}`);
      }
      const decoded = decodeOpaque(node.value);
      if (decoded !== undefined) assertRevealsNothing(`${where} (decoded)`, decoded, secrets);
    }
  }
}

async function at(user: TestUser, where: LatLng): Promise<void> {
  await user.client.me.setLocation(where);
}

const EXACT: LatLng = { lat: 52.520008, lng: 13.404954 };

test("every response a nearby stranger gets about a post is free of the author's position and of exact distances", async () => {
  const author = await signup(server, 'author');
  const viewer = await signup(server, 'stranger');
  const first = await author.client.messages.create({ content: 'first post here', ...EXACT, radius: 2000 });
  const second = await author.client.messages.create({ content: 'second post here', ...EXACT, radius: 2000 });
  const publicAt = publicPoint(first.id);
  const viewerAt = offset(EXACT, 170, -230);
  const secrets: Secrets = { exact: EXACT, distances: [distanceM(viewerAt, EXACT), distanceM(viewerAt, publicAt)] };
  const query = { ...viewerAt, radius: 2000 };

  const responses: Array<[string, unknown]> = [];
  const recent = await viewer.client.messages.nearby({ ...query, sort: 'recent', limit: 1 });
  responses.push(['nearby recent', recent]);
  responses.push([
    'nearby recent page 2',
    await viewer.client.messages.nearby({ ...query, sort: 'recent', limit: 1, cursor: recent.next_cursor! }),
  ]);
  const byDistance = await viewer.client.messages.nearby({ ...query, sort: 'distance', limit: 1 });
  assert.notEqual(byDistance.next_cursor, null, 'a second page exists, so the distance cursor is checked too');
  responses.push(['nearby distance', byDistance]);
  const byDistance2 = await viewer.client.messages.nearby({ ...query, sort: 'distance', limit: 1, cursor: byDistance.next_cursor! });
  responses.push(['nearby distance page 2', byDistance2]);
  // Paging still works with cursors the viewer cannot read.
  assert.deepEqual([...byDistance.items, ...byDistance2.items].map((m) => m.id).sort(), [first.id, second.id].sort());
  const rpcArgs = { ...viewerAt, radius_meters: 2000, sort: 'distance', limit: 1 };
  const rpc = await viewer.client.rpc<Page<GeoMessage>>('get_nearby_messages', rpcArgs);
  responses.push(['rpc get_nearby_messages', rpc]);
  responses.push(['rpc page 2', await viewer.client.rpc('get_nearby_messages', { ...rpcArgs, cursor: rpc.next_cursor })]);
  responses.push(['rpc recent', await viewer.client.rpc('get_nearby_messages', { ...viewerAt, radius_meters: 2000 })]);
  responses.push(['GET message', await viewer.client.messages.get(first.id)]);
  responses.push(['GET user', await viewer.client.users.get(author.id)]);
  responses.push(['react', await viewer.client.messages.react(second.id, '👀')]);
  responses.push(['GET message after reacting', await viewer.client.messages.get(second.id)]);
  responses.push(['report', await viewer.client.messages.report(second.id, 'checking what a report reveals')]);

  const seen = new Set<string>();
  for (const [label, body] of responses) {
    assertRevealsNothing(label, body, secrets);
    for (const node of walkJson(body)) if (node.key === 'id' && typeof node.value === 'string') seen.add(node.value);
  }
  // The walk covered both posts, as the viewer really saw them, with bands.
  assert.ok(seen.has(first.id) && seen.has(second.id));
  assert.ok(recent.items[0]?.distance_band !== undefined);
});

test("a post's public point is 0.25 to 3 grid cells from where it was posted", async () => {
  const spots = [EXACT, { lat: -33.856784, lng: 151.215297 }, { lat: 64.146582, lng: -21.942635 }, { lat: 0.000123, lng: -0.000456 }];
  for (const spot of spots) {
    const author = await signup(server, 'snapped');
    const post = await author.client.messages.create({ content: 'where am I', ...spot });
    const shift = distanceM(spot, publicPoint(post.id));
    assert.ok(shift >= 0.25 * GRID_M, `public point only ${shift.toFixed(1)} m from the exact one`);
    assert.ok(shift <= 3 * GRID_M, `public point ${shift.toFixed(1)} m from the exact one`);
  }
});

test('posts by one author from one spot share one public point; another author there gets another', async () => {
  const author = await signup(server, 'regular');
  const spot = { lat: 48.858093, lng: 2.294694 };
  const posts = [];
  for (let i = 0; i < 4; i += 1) posts.push(await author.client.messages.create({ content: `visit ${i}`, ...spot }));
  const points = posts.map((p) => publicPoint(p.id));
  for (const point of points) assert.deepEqual(point, points[0]);
  // Not an average of anything: still well away from the spot after several posts.
  assert.ok(distanceM(spot, points[0]!) >= 0.25 * GRID_M);

  const other = await signup(server, 'neighbour');
  const theirs = publicPoint((await other.client.messages.create({ content: 'me too', ...spot })).id);
  assert.ok(distanceM(theirs, points[0]!) > 1, 'another author at the same spot has a public point of their own');
});

test('the distance band a viewer sees is measured to the public point, not to the exact one', async () => {
  const author = await signup(server, 'author');
  const viewer = await signup(server, 'prober');
  const spot = { lat: 45.464211, lng: 9.191383 };
  const post = await author.client.messages.create({ content: 'how far?', ...spot, radius: 1500 });
  const publicAt = publicPoint(post.id);
  // Viewer positions where the two distances fall in different bands, clear of band edges.
  const probes = around(publicAt, 900, 15)
    .filter((p) => {
      const toPublic = distanceM(p, publicAt);
      const toExact = distanceM(p, spot);
      return toPublic < 950 && band(toPublic) !== band(toExact) && edgeMargin(toPublic) > 5 && edgeMargin(toExact) > 5;
    })
    .filter((_, i) => i % 40 === 0)
    .slice(0, 4);
  assert.ok(probes.length >= 2, 'geometry with differing bands exists');
  for (const probe of probes) {
    await at(viewer, probe);
    const expected = band(distanceM(probe, publicAt));
    const seen = await viewer.client.messages.get(post.id);
    assert.equal(seen.distance_band, expected, `from ${JSON.stringify(probe)}`);
    assert.notEqual(seen.distance_band, band(distanceM(probe, spot)));
    const inFeed = (await viewer.client.messages.nearby({ ...probe, radius: 2000 })).items.find((m) => m.id === post.id);
    assert.equal(inFeed?.distance_band, expected);
  }
});

test("a post's radius is measured from its public point: visibility follows it, not the exact spot", async () => {
  const author = await signup(server, 'author');
  const viewer = await signup(server, 'edge');
  const spot = { lat: 41.390205, lng: 2.154007 };
  const post = await author.client.messages.create({ content: 'only close by', ...spot, radius: 300 });
  const publicAt = publicPoint(post.id);
  const candidates = around(spot, 700, 10);
  const inExactOnly = candidates.find((p) => distanceM(p, spot) < 290 && distanceM(p, publicAt) > 310);
  const inPublicOnly = candidates.find((p) => distanceM(p, spot) > 310 && distanceM(p, publicAt) < 290);
  assert.ok(inExactOnly && inPublicOnly, 'both kinds of positions exist');

  await at(viewer, inExactOnly);
  await rejectsWith(viewer.client.messages.get(post.id), 404, 'message_not_found');
  assert.equal((await viewer.client.messages.nearby({ ...inExactOnly, radius: 2000 })).items.length, 0);
  await at(viewer, inPublicOnly);
  assert.equal((await viewer.client.messages.get(post.id)).id, post.id);
  assert.deepEqual(
    (await viewer.client.messages.nearby({ ...inPublicOnly, radius: 2000 })).items.map((m) => m.id),
    [post.id],
  );
});

test("a friend's view of a post has no location either", async () => {
  const author = await signup(server, 'author');
  const friend = await signup(server, 'friend');
  const request = await friend.client.friends.request(author.id);
  await author.client.friends.accept(request.id);
  const spot = { lat: 40.416775, lng: -3.70379 };
  const post = await author.client.messages.create({ content: 'for my friends', ...spot, visibility: 'friends' });
  const friendAt = offset(spot, 40, 60);
  const secrets: Secrets = { exact: spot, distances: [distanceM(friendAt, spot), distanceM(friendAt, publicPoint(post.id))] };
  await at(friend, friendAt);
  assertRevealsNothing('friend GET', await friend.client.messages.get(post.id), secrets);
  assertRevealsNothing('friend feed', await friend.client.messages.nearby(friendAt), secrets);
});

test("the author's own views carry the exact location they posted from", async () => {
  const author = await signup(server, 'self');
  const spot = { lat: 35.689487, lng: 139.691706 };
  const created = await author.client.messages.create({ content: 'mine', ...spot });
  assert.deepEqual(created.location, spot);
  assert.equal(created.mine, true);
  assert.deepEqual((await author.client.messages.get(created.id)).location, spot);
  const feed = await author.client.messages.nearby(offset(spot, 100, 100));
  assert.deepEqual(feed.items.find((m) => m.id === created.id)?.location, spot);
  assert.notDeepEqual(publicPoint(created.id), spot);
});
