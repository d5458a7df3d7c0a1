/**
 * Friend proximity alerts on a real server: `near` at ≤ within and `far` only past within × 1.25, to
 * both friends, carrying the agreed distance and never the measured one; nothing unless both opted in;
 * ghost mode and opting out end the pair silently (a `far` would reveal them).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MePatch, ProximityFrame } from '@lo/protocol';
import { beacon, befriend, flush, northOf, PARIS, person, proximities } from './helpers/live-location.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import type { TestUser } from './helpers/users.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const EXACT: MePatch = { location_sharing: 'friends', location_precision: 'exact' };

type Person = Awaited<ReturnType<typeof person>>;

/** Both sockets' proximity pushes, after everything sent so far arrived. */
async function seen(...people: Person[]): Promise<ProximityFrame[][]> {
  for (const p of people) await flush(p.ws);
  return people.map((p) => proximities(p.ws));
}

const alert = (about: TestUser, state: 'near' | 'far', within: number): ProximityFrame => ({
  type: 'proximity',
  user: { id: about.id, username: about.username },
  state,
  within,
});

describe('proximity alerts', () => {
  test('near within the larger radius, far only past 1.25 × it, to both friends, never with the distance', async () => {
    const ana = await person(server, 'ana', { ...EXACT, proximity_radius: 500 });
    const ben = await person(server, 'ben', { ...EXACT, proximity_radius: 300 });
    await befriend(ana, ben);
    await beacon(ben.ws, PARIS);
    await beacon(ana.ws, northOf(PARIS, 2000));
    assert.deepEqual(await seen(ana, ben), [[], []], 'far apart: nothing');
    await beacon(ana.ws, northOf(PARIS, 400));
    assert.deepEqual(await seen(ana, ben), [[alert(ben, 'near', 500)], [alert(ana, 'near', 500)]]);
    await beacon(ana.ws, northOf(PARIS, 450));
    await beacon(ana.ws, northOf(PARIS, 600));
    assert.equal((await seen(ana))[0]?.length, 1, 'still near, and 600 m is inside the hysteresis band (≤ 625 m)');
    await beacon(ana.ws, northOf(PARIS, 700));
    assert.deepEqual(await seen(ana, ben), [
      [alert(ben, 'near', 500), alert(ben, 'far', 500)],
      [alert(ana, 'near', 500), alert(ana, 'far', 500)],
    ]);
    await beacon(ben.ws, northOf(PARIS, 650));
    assert.deepEqual((await seen(ana))[0]?.at(-1), alert(ben, 'near', 500), "the other friend's move counts too");
  });

  test('nothing when only one of two friends opted in, nor between strangers; opting in starts it', async () => {
    const ana = await person(server, 'ana', { ...EXACT, proximity_radius: 1000 });
    const ben = await person(server, 'ben', EXACT);
    const eve = await person(server, 'eve', { location_sharing: 'public', location_precision: 'exact', proximity_radius: 1000 });
    await befriend(ana, ben);
    await beacon(ben.ws, PARIS);
    await beacon(eve.ws, PARIS);
    await beacon(ana.ws, northOf(PARIS, 10));
    assert.deepEqual(await seen(ana, ben, eve), [[], [], []]);
    await ben.client.me.update({ proximity_radius: 200 });
    await beacon(ana.ws, northOf(PARIS, 20));
    assert.deepEqual(await seen(ana, ben, eve), [[alert(ben, 'near', 1000)], [alert(ana, 'near', 1000)], []]);
  });

  test('ghost mode and opting out end pairs silently; no alerts while hidden', async () => {
    const ana = await person(server, 'ana', { ...EXACT, proximity_radius: 500 });
    const ben = await person(server, 'ben', { ...EXACT, proximity_radius: 500 });
    const cat = await person(server, 'cat', { ...EXACT, proximity_radius: 500 });
    await befriend(ana, ben);
    await befriend(ana, cat);
    await beacon(ben.ws, PARIS);
    await beacon(cat.ws, northOf(PARIS, 5000));
    await beacon(ana.ws, northOf(PARIS, 10));
    assert.equal((await seen(ana))[0]?.length, 1);

    await ana.client.me.update({ ghost_mode: true });
    assert.deepEqual([...(await server.app.store.proximity.nearOf(ana.id))], [], 'the pair is gone');
    await beacon(ana.ws, northOf(PARIS, 3000));
    await beacon(ana.ws, northOf(PARIS, 5000));
    await beacon(cat.ws, northOf(PARIS, 5010));
    await beacon(ben.ws, northOf(PARIS, 20));
    assert.deepEqual(await seen(ana, ben, cat), [[alert(ben, 'near', 500)], [alert(ana, 'near', 500)], []], 'no far, no near while ghost');

    await ana.client.me.update({ ghost_mode: false });
    await beacon(ana.ws, northOf(PARIS, 5005));
    assert.deepEqual((await seen(cat))[0], [alert(ana, 'near', 500)], 'alerts resume when visible again');
    await cat.client.me.update({ proximity_radius: null });
    await beacon(ana.ws, northOf(PARIS, 9000));
    assert.deepEqual((await seen(cat))[0], [alert(ana, 'near', 500)], 'opting out sent no far');
  });

  test('a coarse friend is measured at the coarse point, and within is at least 1 km', async () => {
    const ana = await person(server, 'ana', { location_sharing: 'friends', proximity_radius: 300 });
    const ben = await person(server, 'ben', { ...EXACT, proximity_radius: 300 });
    await befriend(ana, ben);
    await beacon(ana.ws, PARIS);
    const [stored] = await server.app.store.beacons.of([ana.id], 0);
    const coarse = { lat: stored!.publicLat, lng: stored!.publicLng };
    await beacon(ben.ws, northOf(coarse, 900));
    assert.deepEqual(await seen(ana, ben), [[alert(ben, 'near', 1000)], [alert(ana, 'near', 1000)]]);
  });
});
