/**
 * Live geo areas that follow the viewer (DESIGN section 7): moving sends `geo.exit` (moved) for posts
 * left behind and `geo.enter` for posts come into range, cells follow the area, GPS jitter around the
 * edge does not make posts flap (hysteresis), and expired posts are forgotten without an exit.
 * Moves go through node.geo.move, which is what the `loc` beacon calls once it accepted a position.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MemoryBroker } from '../src/broker/memory-broker.js';
import { haversineM, type LatLng } from '../src/core/geo/haversine.js';
import { exitMarginM } from '../src/realtime/geo-sub.js';
import {
  drained,
  geoEnters,
  geoExits,
  geoMessages,
  geoSocket,
  geoSub,
  moveArea,
  offset,
  post,
  publicPoint,
  type GeoSocket,
  signups,
} from './helpers/geo.js';
import { startServer, type TestServer } from './helpers/test-server.js';

const BERLIN = { lat: 52.52, lng: 13.405 };

describe('moving live geo areas', () => {
  let server: TestServer;
  /** Added to real time: the expiry test moves the server's clock forward. */
  let skew = 0;
  const sockets: GeoSocket[] = [];
  before(async () => {
    server = await startServer({}, undefined, { now: () => Date.now() + skew });
  });
  after(async () => {
    for (const { ws } of sockets) ws.close();
    await server?.close();
  });
  const open = async (token: string) => {
    const socket = await geoSocket(server.url, token);
    sockets.push(socket);
    return socket;
  };

  test('moving away exits what was shown, moving closer enters what came into range, and the cells follow', async () => {
    const [author, viewer] = await signups(server, 'author', 'viewer');
    const home = offset(BERLIN, 0, 4000);
    const left = await post(author, home, { content: 'left behind' });
    const found = await post(author, offset(home, 90, 1600), { content: 'found' });
    const [pLeft, pFound] = [await publicPoint(server, left.id), await publicPoint(server, found.id)];
    const { ws, clientId } = await open(viewer.auth.access_token);
    assert.deepEqual(
      (await geoSub(ws, pLeft)).items.map((m) => m.id),
      [left.id],
    );
    const cellsBefore = new Set(server.app.realtime.geo.areaOf(clientId)!.cells);
    await moveArea(server, clientId, pFound);
    await drained(ws);
    assert.deepEqual(
      geoExits(ws).map((e) => [e.message_id, e.reason]),
      [[left.id, 'moved']],
    );
    assert.deepEqual(
      geoEnters(ws).map((e) => e.message_id),
      [found.id],
    );
    const feed = await viewer.client.messages.nearby({ lat: pFound.lat, lng: pFound.lng });
    assert.deepEqual(
      geoEnters(ws)[0]!.message,
      feed.items.find((m) => m.id === found.id),
      'entered as the feed shows it there',
    );
    // Live posts are now judged from the new centre.
    const there = await post(author, offset(pFound, 0, 50), { content: 'here now' });
    const back = await post(author, pLeft, { content: 'back there' });
    await drained(ws);
    assert.deepEqual(
      geoMessages(ws).map((m) => m.id),
      [there.id],
    );
    assert.ok(back.id);
    // Far away the area has other cells, and the node listens to exactly the cells areas cover.
    await moveArea(server, clientId, offset(pFound, 90, 30_000));
    const cellsAfter = server.app.realtime.geo.areaOf(clientId)!.cells;
    assert.ok(![...cellsAfter].some((c) => cellsBefore.has(c)));
    const topics = [...(server.app.realtime.deps.broker as MemoryBroker).subscribed];
    assert.equal(topics.filter((t) => t.startsWith('geo:')).length, server.app.realtime.geo.stats.cells);
    await drained(ws);
    assert.deepEqual(
      geoExits(ws).map((e) => e.message_id),
      [left.id, found.id, there.id],
      'what was shown at the second place exits too',
    );
  });

  test('GPS jitter of ±20 m around the edge makes no enter/exit storm; beyond the margin a post exits', async () => {
    const [author, ...viewers] = await signups(server, 'author', 'inside', 'outside', 'walker');
    const edgePost = await post(author, offset(BERLIN, 180, 5000), { radius: 300 });
    const p = await publicPoint(server, edgePost.id);
    const radius = 200; // the area's; the post's is 300, so its range is 200 and the exit margin 30 m
    const margin = exitMarginM(radius);
    const random = seeded(7);
    const jitter = (at: LatLng) => offset(at, random() * 360, random() * 20);
    const [inside, outside, walker] = await Promise.all(viewers.map((v) => open(v.auth.access_token)));
    const insideAt = offset(p, 0, radius - 10);
    const outsideAt = offset(p, 0, radius + 10);
    assert.equal((await geoSub(inside!.ws, insideAt, { radius })).items.length, 1);
    assert.equal((await geoSub(outside!.ws, outsideAt, { radius })).items.length, 0);
    // The walker circles the post just outside its range, jittering: it passes many store reads.
    const walkAt = (step: number) => offset(p, step * 1.5, radius + 5);
    await geoSub(walker!.ws, walkAt(0), { radius });
    for (let step = 1; step <= 60; step++) {
      await moveArea(server, inside!.clientId, jitter(insideAt));
      await moveArea(server, outside!.clientId, jitter(outsideAt));
      await moveArea(server, walker!.clientId, jitter(walkAt(step)));
    }
    await drained(inside!.ws, outside!.ws, walker!.ws);
    const flips = (s: GeoSocket) => geoEnters(s.ws).length + geoExits(s.ws).length;
    assert.equal(flips(inside!), 0, 'the post stays shown');
    assert.equal(flips(outside!), 0, 'the post stays hidden');
    assert.ok(geoEnters(walker!.ws).length <= 1 && geoExits(walker!.ws).length === 0, `walker: ${flips(walker!)} flips`);
    // Inside the margin it stays; beyond it, it exits.
    await moveArea(server, inside!.clientId, offset(p, 0, radius + margin - 5));
    await drained(inside!.ws);
    assert.equal(geoExits(inside!.ws).length, 0);
    await moveArea(server, inside!.clientId, offset(p, 0, radius + margin + 5));
    await drained(inside!.ws);
    assert.deepEqual(
      geoExits(inside!.ws).map((e) => [e.message_id, e.reason]),
      [[edgePost.id, 'moved']],
    );
    assert.ok(haversineM(p.lat, p.lng, outsideAt.lat, outsideAt.lng) > radius);
  });

  test('an expired post is forgotten silently: no geo.exit when the area moves away', async () => {
    const [author, viewer] = await signups(server, 'author', 'viewer');
    const here = offset(BERLIN, 270, 6000);
    await author.client.messages.create({ content: 'one minute', lat: here.lat, lng: here.lng, expires_in: 60 });
    const lasting = await post(author, here, { content: 'a week' });
    const { ws, clientId } = await open(viewer.auth.access_token);
    assert.equal((await geoSub(ws, here)).items.length, 2);
    skew += 61_000;
    await moveArea(server, clientId, offset(here, 0, 3000));
    await drained(ws);
    assert.deepEqual(
      geoExits(ws).map((e) => e.message_id),
      [lasting.id],
    );
  });
});

/** A small deterministic random generator, so a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}
