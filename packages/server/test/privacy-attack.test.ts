/**
 * The attack test of DESIGN section 7 (issue 4, item 7). An attacker with spoofed positions and many
 * accounts tries to locate people:
 *  - target authors, through feed visibility, distance bands and live geo pushes from many places;
 *  - target users who share their location, through beacons, proximity events and area counts.
 * The attacker here is competent (it finds the point the server computes from, to within tens of
 * metres), and still misses the true position by at least the snapping cell at the median, because
 * everything it can observe is computed from a snapped point. And the probe limits (plausible speed,
 * rate rules, signup limits) bound how fast anyone can measure anything.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { AreaCount, GeoMessageFrame, ProximityFrame } from '@lo/protocol';
import { barrier, befriend, connect, wsFails, wsOk, type Socket } from './helpers/chat.js';
import { api, assertProblem } from './helpers/http.js';
import { beacon, flush, locs, person } from './helpers/live-location.js';
import { move, prng } from './helpers/nearby-oracle.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { bandOf, distance, estimate, localFrame, median, type LatLng, type Observation } from './helpers/trilateration.js';
import { signup } from './helpers/users.js';

const GRID_M = 100;
/** Plausible speed for this server: faster "moves" are refused (the trilateration probe bound). */
const MAX_SPEED = '50';
const AMSTERDAM = { lat: 52.37, lng: 4.895 };
const POST_RADIUS = 1000;
/** The coarse grid of shared locations (beacons, area counts, proximity): about 1 km. */
const COARSE_M = 1000;

let now = Date.UTC(2031, 0, 1);
const clock = { now: () => now };
let server: TestServer;

before(async () => {
  server = await startServer({ LO_PRIVACY_GRID_M: String(GRID_M), LO_LOCATION_MAX_SPEED: MAX_SPEED, LO_AREA_K: '2' }, undefined, clock);
});
after(() => server.close());

/** The public point the server derived for a post: the test reads it to show the attacker found it. */
function publicPointOf(messageId: string): LatLng {
  const db = new BetterSqlite3(path.join(server.dataDir, 'lo.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT public_lat AS lat, public_lng AS lng FROM messages WHERE id = ?').get(messageId) as LatLng;
    return row;
  } finally {
    db.close();
  }
}

/** "Seen at `band` from `at`" or "not seen from `at`", as a test of a candidate position. */
function sighting(frame: ReturnType<typeof localFrame>, at: LatLng, band: string | null): Observation {
  const q = frame.toM(at);
  return (c) => {
    const d = distance(c, q);
    return band === null ? d > POST_RADIUS : d <= POST_RADIUS && bandOf(d) === band;
  };
}

describe('locating a target author', () => {
  test('bands, visibility and geo pushes from 90 places find the public point, not the author: median error >= one grid cell', async (t) => {
    const random = prng(7);
    const errors: number[] = [];
    const toPublic: number[] = [];
    for (let i = 0; i < 15; i++) {
      // The target's true spot, in a neighbourhood of its own; the attacker knows it to within ~300 m.
      const secret = move(AMSTERDAM.lat, AMSTERDAM.lng, (i * 360) / 15, 3000 + (i % 3) * 3000);
      const guess = move(secret.lat, secret.lng, random() * 360, 100 + random() * 200);
      const frame = localFrame(guess);
      const observations: Observation[] = [];

      // Geo pushes: sockets of fresh accounts (a first position is always plausible) around the guess.
      const watchers: Array<{ at: LatLng; ws: Socket }> = [];
      for (let k = 0; k < 6; k++) {
        const at = move(guess.lat, guess.lng, k * 60, 700);
        const ws = await connect(server, await signup(server, 'spy'));
        await wsOk(ws, { type: 'geo.sub', lat: at.lat, lng: at.lng, radius: POST_RADIUS });
        watchers.push({ at, ws });
      }
      const author = await signup(server, 'target');
      const post = await author.client.messages.create({ content: 'here I am', lat: secret.lat, lng: secret.lng, radius: POST_RADIUS });
      for (const { at, ws } of watchers) {
        await barrier(ws);
        const push = ws.pushes.find((p): p is GeoMessageFrame => p.type === 'geo.msg' && p.message.id === post.id);
        assert.equal(push?.message.location, undefined, 'a push carries no coordinates');
        observations.push(sighting(frame, at, push?.message.distance_band ?? null));
        ws.close();
      }

      // The feed: one account walking a 9 x 9 grid at 100 m spacing, at a plausible pace.
      const walker = await signup(server, 'walker');
      for (let gx = -4; gx <= 4; gx++) {
        for (let gy = -4; gy <= 4; gy++) {
          now += 25_000;
          const at = frame.toLatLng({ x: gx * 100, y: gy * 100 });
          const page = await walker.client.messages.nearby({ lat: at.lat, lng: at.lng, radius: POST_RADIUS, limit: 100 });
          const seen = page.items.find((m) => m.id === post.id);
          assert.equal(seen?.location, undefined);
          observations.push(sighting(frame, at, seen?.distance_band ?? null));
        }
      }

      const found = estimate(observations, 1500, 10);
      const foundPoint = frame.toLatLng(found);
      errors.push(distance(frame.toM(foundPoint), frame.toM(secret)));
      toPublic.push(distance(frame.toM(foundPoint), frame.toM(publicPointOf(post.id))));
    }
    t.diagnostic(`median error to the author ${median(errors).toFixed(0)} m, to the public point ${median(toPublic).toFixed(0)} m`);
    // The attack works (it pins the point observations are computed from) ...
    assert.ok(median(toPublic) <= 60, `the attacker should find the public point: median ${median(toPublic).toFixed(0)} m off`);
    // ... and that point is not where the author was.
    assert.ok(median(errors) >= GRID_M, `median error ${median(errors).toFixed(0)} m is under one ${GRID_M} m cell`);
    assert.ok(Math.min(...errors) >= 0.25 * GRID_M, `an estimate came within ${Math.min(...errors).toFixed(0)} m`);
  });
});

describe('locating a target user who shares their location', () => {
  test('area counts with a sybil, a watched beacon and proximity events find the coarse point at best: median error >= 1 km', async (t) => {
    const random = prng(11);
    const errors: number[] = [];
    const toCoarse: number[] = [];
    for (let i = 0; i < 15; i++) {
      const secret = move(AMSTERDAM.lat, AMSTERDAM.lng, (i * 360) / 15 + 7, 20_000 + (i % 3) * 10_000);
      const target = await person(server, 'shy', { location_sharing: 'friends', location_precision: 'coarse', proximity_radius: 200 });
      // Everyone of the previous round has gone quiet (beacons live 10 minutes).
      now += 11 * 60_000;
      await beacon(target.ws, secret);

      // A stranger with one sybil sharing nearby (k = 2 here): a disc holding the sybil's coarse point
      // counts 2 exactly when it holds the target's too, so each area query is a membership test.
      const sybil = await person(server, 'sybil', { location_sharing: 'friends', location_precision: 'coarse' });
      const near = move(secret.lat, secret.lng, random() * 360, 500 + random() * 1000);
      await beacon(sybil.ws, near);
      await wsOk(sybil.ws, { type: 'sub', channel: `loc:${sybil.id}` });
      await flush(sybil.ws);
      const sybilPoint = locs(sybil.ws).at(-1)!;
      const frame = localFrame(near);
      const y = frame.toM(sybilPoint);
      const stranger = await person(server, 'counter');
      const observations: Observation[] = [];
      for (let gx = -6; gx <= 6; gx += 1) {
        for (let gy = -6; gy <= 6; gy += 1) {
          const c = { x: y.x + gx * 500, y: y.y + gy * 500 };
          const radius = Math.max(200, Math.ceil(distance(c, y)) + 150);
          if (radius > 5000) continue;
          const at = frame.toLatLng(c);
          const { count } = await wsOk<AreaCount>(stranger.ws, { type: 'area.count', lat: at.lat, lng: at.lng, radius });
          observations.push((p) => distance(p, c) <= radius === (count !== 'few'));
        }
      }

      // A friend who watches the beacon and walks a ring with proximity alerts on.
      const friend = await person(server, 'friend', { location_sharing: 'friends', proximity_radius: 200 });
      await befriend(friend, target);
      await wsOk(friend.ws, { type: 'sub', channel: `loc:${target.id}` });
      await flush(friend.ws);
      const watched = locs(friend.ws, `loc:${target.id}`).at(-1);
      assert.equal(watched?.precision, 'coarse');
      assert.equal(watched?.accuracy, null);
      const ring = frame.toM(watched);
      // Spiralling out from 700 m to 1,750 m: near at first, far later (the alert distance is 1 km).
      for (let step = 0; step < 8; step++) {
        now += 40_000;
        const r = 700 + 150 * step;
        const at = frame.toLatLng({ x: ring.x + r * Math.cos((step * Math.PI) / 4), y: ring.y + r * Math.sin((step * Math.PI) / 4) });
        const mark = friend.ws.pushes.length;
        await beacon(friend.ws, at);
        await flush(friend.ws);
        const event = friend.ws.pushes.slice(mark).find((f): f is ProximityFrame => f.type === 'proximity');
        const q = frame.toM(at);
        if (event?.state === 'near') observations.push((p) => distance(p, q) <= event.within);
        if (event?.state === 'far') observations.push((p) => distance(p, q) > event.within * 1.25);
      }
      observations.push(
        (p) => distance(p, ring) <= 300,
        (p) => distance(p, ring) <= 300,
      );

      const found = estimate(observations, 8000, 25);
      errors.push(distance(found, frame.toM(secret)));
      toCoarse.push(distance(found, ring));
      for (const ws of [target.ws, sybil.ws, stranger.ws, friend.ws]) ws.close();
    }
    t.diagnostic(`median error to the user ${median(errors).toFixed(0)} m, to the coarse point ${median(toCoarse).toFixed(0)} m`);
    assert.ok(median(toCoarse) <= 300, `the attacker should find the coarse point: median ${median(toCoarse).toFixed(0)} m off`);
    assert.ok(median(errors) >= COARSE_M, `median error ${median(errors).toFixed(0)} m is under one ${COARSE_M} m coarse cell`);
  });
});

describe('probe limits stop the attacker', () => {
  let strict: TestServer;
  before(async () => {
    // Default rate limits (no test overrides) and a realistic speed bound.
    strict = await startServer({ LO_RATE_LIMITS: '', LO_LOCATION_MAX_SPEED: MAX_SPEED });
  });
  after(() => strict.close());

  test('teleporting probes are refused over HTTP and the WebSocket, and change nothing', async () => {
    const spy = await signup(strict, 'tele');
    await spy.client.me.setLocation(AMSTERDAM);
    const far = move(AMSTERDAM.lat, AMSTERDAM.lng, 90, 5000);
    const token = spy.auth.access_token;
    assertProblem(await api(strict, 'GET', `/messages/nearby?lat=${far.lat}&lng=${far.lng}`, { token }), 422, 'location_implausible');
    assertProblem(await api(strict, 'PUT', '/me/location', { token, body: far }), 422, 'location_implausible');
    const ws = await connect(strict, spy);
    await wsFails(ws, { type: 'geo.sub', lat: far.lat, lng: far.lng, radius: 1000 }, 'location_implausible');
    await wsFails(ws, { type: 'loc', id: 'l1', lat: far.lat, lng: far.lng }, 'location_implausible');
    ws.close();
    const { location } = (await spy.client.me.export()) as { location: LatLng | null };
    assert.deepEqual({ lat: location?.lat, lng: location?.lng }, AMSTERDAM, 'the refused probes did not move the account');
  });

  test('feed probes, signups from one address and beacons are rate limited', async () => {
    const spy = await signup(strict, 'rate');
    await spy.client.me.setLocation(AMSTERDAM);
    const token = spy.auth.access_token;
    let allowed = 0;
    for (let i = 0; i < 70; i++) {
      const res = await api(strict, 'GET', `/messages/nearby?lat=${AMSTERDAM.lat}&lng=${AMSTERDAM.lng}`, { token });
      if (res.status === 429) break;
      allowed++;
    }
    assert.ok(allowed < 70 && allowed >= 50, `${allowed} feed probes were allowed in a burst`);

    let accounts = 1; // this suite already signed up two from this address
    for (; accounts < 30; accounts++) {
      const res = await api(strict, 'POST', '/auth/signup', {
        body: { username: `sybil_${accounts}_${Date.now()}`, password: 'a-long-pass-phrase-9' },
      });
      if (res.status === 429) break;
    }
    assert.ok(accounts <= 10, `${accounts} accounts from one address within an hour`);

    const ws = await connect(strict, spy);
    await wsOk(ws, { type: 'loc', id: 'b1', lat: AMSTERDAM.lat, lng: AMSTERDAM.lng });
    await wsFails(ws, { type: 'loc', id: 'b2', lat: AMSTERDAM.lat, lng: AMSTERDAM.lng }, 'rate_limited');
    ws.close();
  });
});
