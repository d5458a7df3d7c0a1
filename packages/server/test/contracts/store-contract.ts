/**
 * The Store contract (core/store.ts), run against every backend. It uses only the Store interface,
 * so a new backend passes it unchanged: `runStoreContract('postgres', () => ...)` in its own test file.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { AuditEntry, PageAfter } from '../../src/core/store.js';
import { newId } from '../../src/util/ids.js';
import { byTimeDescIdDesc, makeUser, MINUTE, storeTest, T0, walkPages, type StoreFactory } from './contract-kit.js';
import { runChannelContract } from './channels-contract.js';
import { runLiveLocationContract } from './live-location-contract.js';
import { runMessageContract } from './messages-contract.js';
import { runRoomContract } from './rooms-contract.js';
import { runSocialContract } from './social-contract.js';
import { runUserContract } from './users-contract.js';

export type { StoreFactory } from './contract-kit.js';

export function runStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    runUserContract(factory);
    runSocialContract(factory);
    runMessageContract(factory);
    runChannelContract(factory);
    runRoomContract(factory);
    runLiveLocationContract(factory);
    runMiscContract(factory);
  });
}

function runMiscContract(factory: StoreFactory): void {
  describe('locations', () => {
    storeTest(factory, 'a user has no location until one is set; set overwrites it', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      assert.equal(await store.locations.get(a.id), null);
      await store.locations.set(a.id, { lat: 48.85, lng: 2.35, accuracy: 12.5, at: T0 });
      assert.deepEqual(await store.locations.get(a.id), { lat: 48.85, lng: 2.35, accuracy: 12.5, at: T0 });
      await store.locations.set(a.id, { lat: -33.9, lng: 151.2, accuracy: null, at: T0 + MINUTE });
      assert.deepEqual(await store.locations.get(a.id), { lat: -33.9, lng: 151.2, accuracy: null, at: T0 + MINUTE });
      assert.equal(await store.locations.get(b.id), null);
    });
  });

  describe('audit', () => {
    storeTest(factory, 'record stores entries that list pages newest first without repeats or gaps', async (store) => {
      const entries: AuditEntry[] = [];
      const times = [T0, T0 + MINUTE, T0 + MINUTE, T0 + 2 * MINUTE, T0 + MINUTE, T0 - MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE];
      for (const [i, at] of times.entries()) {
        const entry: AuditEntry = {
          id: newId(at),
          at,
          actorId: i % 3 === 0 ? null : newId(at),
          action: `action.${i}`,
          target: i % 2 === 0 ? `target-${i}` : null,
          data: i % 2 === 0 ? { n: i, nested: { ok: true }, list: ['a', 1] } : null,
        };
        entries.push(entry);
        await store.audit.record(entry);
      }
      const expected = [...entries].sort(
        byTimeDescIdDesc<AuditEntry>(
          (e) => e.at,
          (e) => e.id,
        ),
      );
      assert.deepEqual(await store.audit.list(100), expected);
      for (const limit of [1, 3]) {
        const walked = await walkPages<AuditEntry, PageAfter>(
          limit,
          (after) => store.audit.list(limit, after),
          (e): PageAfter => ({ at: e.at, id: e.id }),
        );
        assert.deepEqual(walked, expected, `limit ${limit}`);
      }
    });
  });

  describe('store', () => {
    storeTest(factory, 'secret(name) is 32 random bytes, stable per name and different between names', async (store) => {
      const a1 = await store.secret('alpha');
      const a2 = await store.secret('alpha');
      const b = await store.secret('beta');
      assert.ok(a1 instanceof Uint8Array);
      assert.equal(a1.length, 32);
      assert.equal(b.length, 32);
      assert.deepEqual(Buffer.from(a2), Buffer.from(a1));
      assert.notDeepEqual(Buffer.from(b), Buffer.from(a1));
      assert.ok(a1.some((byte) => byte !== 0));
    });

    storeTest(factory, 'ping answers and migrate can run again without changing data', async (store) => {
      await store.ping();
      const user = await makeUser(store);
      const secret = await store.secret('keep');
      await store.migrate();
      await store.migrate();
      await store.ping();
      assert.deepEqual(await store.users.byId(user.id), user);
      assert.deepEqual(Buffer.from(await store.secret('keep')), Buffer.from(secret));
    });
  });
}
