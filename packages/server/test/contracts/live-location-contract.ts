/** The live-location part of the Store contract (core/live-location-repos.ts): beacons and proximity pairs. */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { BeaconRecord } from '../../src/core/live-location-repos.js';
import type { Store } from '../../src/core/store.js';
import { newId } from '../../src/util/ids.js';
import { EARTH_RADIUS_M, HOUR, makeUser, MINUTE, sortedIds, storeTest, T0, type StoreFactory } from './contract-kit.js';

const M_PER_DEG = (EARTH_RADIUS_M * Math.PI) / 180;
const CENTRE = { lat: 48.8566, lng: 2.3522 };

/** A beacon whose public point is `northM` metres due north of the centre (a meridian: haversine is exact). */
function beacon(userId: string, northM: number, at = T0, centre = CENTRE): BeaconRecord {
  const publicLat = centre.lat + northM / M_PER_DEG;
  return { userId, lat: publicLat + 0.003, lng: centre.lng - 0.002, accuracy: 12, publicLat, publicLng: centre.lng, at };
}

async function sharing(store: Store, prefix: string) {
  const user = await makeUser(store, prefix);
  return (await store.users.update(user.id, { locationSharing: 'friends' }))!;
}

export function runLiveLocationContract(factory: StoreFactory): void {
  describe('beacons', () => {
    storeTest(factory, 'set keeps one beacon per user (the latest); of filters by user and age; delete removes it', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const first = beacon(a.id, 0, T0);
      await store.beacons.set(first);
      assert.deepEqual(await store.beacons.of([a.id], T0), [first]);
      const moved = { ...beacon(a.id, 500, T0 + MINUTE), accuracy: null };
      await store.beacons.set(moved);
      await store.beacons.set(beacon(b.id, 10, T0));
      assert.deepEqual(await store.beacons.of([a.id], 0), [moved], 'replaced, not added');
      assert.deepEqual(await store.beacons.of([a.id, b.id], T0 + 1), [moved], 'older than since: left out');
      assert.deepEqual(await store.beacons.of([], 0), []);
      assert.deepEqual(await store.beacons.of([newId(T0)], 0), []);
      assert.equal(await store.beacons.delete(a.id), true);
      assert.equal(await store.beacons.delete(a.id), false);
      assert.deepEqual(
        (await store.beacons.of([a.id, b.id], 0)).map((x) => x.userId),
        [b.id],
      );
    });

    storeTest(factory, 'of takes long id lists (more than one statement can bind)', async (store) => {
      const users = [await makeUser(store), await makeUser(store)];
      for (const u of users) await store.beacons.set(beacon(u.id, 0));
      const ids = [...Array.from({ length: 1200 }, () => newId(T0)), ...users.map((u) => u.id)];
      assert.deepEqual(sortedIds((await store.beacons.of(ids, 0)).map((x) => x.userId)), sortedIds(users.map((u) => u.id)));
    });

    storeTest(factory, 'count: public points within the radius by haversine, live, shared and not ghost, asker left out', async (store) => {
      const inside = await sharing(store, 'inside');
      const edgeIn = await sharing(store, 'edge_in');
      const edgeOut = await sharing(store, 'edge_out');
      const old = await sharing(store, 'old');
      const off = await makeUser(store, 'off');
      const ghost = await sharing(store, 'ghost');
      const ghostEnded = await sharing(store, 'ghost_ended');
      const ghostUntilLater = await sharing(store, 'ghost_later');
      const asker = await sharing(store, 'asker');
      await store.users.update(ghost.id, { ghostMode: true });
      await store.users.update(ghostEnded.id, { ghostMode: true, ghostUntil: T0 + MINUTE });
      await store.users.update(ghostUntilLater.id, { ghostMode: true, ghostUntil: T0 + HOUR });
      await store.beacons.set(beacon(inside.id, 100));
      await store.beacons.set(beacon(edgeIn.id, 999));
      await store.beacons.set(beacon(edgeOut.id, 1001));
      await store.beacons.set(beacon(old.id, 10, T0 - 11 * MINUTE));
      await store.beacons.set(beacon(off.id, 10));
      await store.beacons.set(beacon(ghost.id, 10));
      await store.beacons.set(beacon(ghostEnded.id, 10));
      await store.beacons.set(beacon(ghostUntilLater.id, 10));
      await store.beacons.set(beacon(asker.id, 10));
      const area = { ...CENTRE, radiusM: 1000, since: T0 - 10 * MINUTE, now: T0 + 2 * MINUTE };
      assert.equal(await store.beacons.count(area), 4, 'inside, edge_in, ghost_ended, asker');
      assert.equal(await store.beacons.count({ ...area, exclude: asker.id }), 3);
      assert.equal(await store.beacons.count({ ...area, radiusM: 2000 }), 5, 'edge_out too');
      assert.equal(await store.beacons.count({ ...area, since: T0 + 1 }), 0, 'none updated since');
      assert.equal(await store.beacons.count({ ...area, now: T0 }), 3, 'ghost_ended still a ghost before its end');
    });

    storeTest(factory, 'count across the antimeridian', async (store) => {
      const east = await sharing(store, 'east');
      const west = await sharing(store, 'west');
      await store.beacons.set({ ...beacon(east.id, 0, T0, { lat: 0, lng: 179.999 }) });
      await store.beacons.set({ ...beacon(west.id, 0, T0, { lat: 0, lng: -179.999 }) });
      assert.equal(await store.beacons.count({ lat: 0, lng: 180, radiusM: 500, since: 0, now: T0 }), 2);
    });

    storeTest(factory, 'purge removes beacons older than the cut and the proximity pairs of their users', async (store) => {
      const stale = await makeUser(store);
      const live = await makeUser(store);
      const other = await makeUser(store);
      await store.beacons.set(beacon(stale.id, 0, T0 - HOUR));
      await store.beacons.set(beacon(live.id, 0, T0));
      await store.beacons.set(beacon(other.id, 0, T0));
      await store.proximity.set(stale.id, live.id, true, T0);
      await store.proximity.set(live.id, other.id, true, T0);
      assert.equal(await store.beacons.purge(T0 - MINUTE), 1);
      assert.deepEqual(
        sortedIds((await store.beacons.of([stale.id, live.id, other.id], 0)).map((b) => b.userId)),
        sortedIds([live.id, other.id]),
      );
      assert.deepEqual([...(await store.proximity.nearOf(live.id))], [other.id]);
      assert.equal(await store.beacons.purge(T0 - MINUTE), 0);
    });
  });

  describe('proximity pairs', () => {
    storeTest(
      factory,
      'set reports only real changes, in either order; nearOf sees both sides; clear drops all of a user',
      async (store) => {
        const [a, b, c] = [await makeUser(store), await makeUser(store), await makeUser(store)];
        assert.deepEqual([...(await store.proximity.nearOf(a.id))], []);
        assert.equal(await store.proximity.set(b.id, a.id, true, T0), true);
        assert.equal(await store.proximity.set(a.id, b.id, true, T0 + 1), false, 'already near');
        assert.equal(await store.proximity.set(a.id, c.id, true, T0), true);
        assert.deepEqual(sortedIds(await store.proximity.nearOf(a.id)), sortedIds([b.id, c.id]));
        assert.deepEqual([...(await store.proximity.nearOf(b.id))], [a.id]);
        assert.equal(await store.proximity.set(a.id, b.id, false, T0 + 2), true);
        assert.equal(await store.proximity.set(b.id, a.id, false, T0 + 3), false, 'already far');
        assert.equal(await store.proximity.set(b.id, c.id, true, T0), true);
        assert.equal(await store.proximity.clear(c.id), 2);
        assert.deepEqual([...(await store.proximity.nearOf(a.id))], []);
        assert.deepEqual([...(await store.proximity.nearOf(b.id))], []);
        assert.equal(await store.proximity.clear(c.id), 0);
      },
    );
  });
}
