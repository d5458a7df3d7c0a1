/** The PresenceTracker contract (core/presence.ts), run against memory presence here and Redis later. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PresenceTracker } from '../../src/core/presence.js';

/** Makes a tracker whose entries live `ttlMs`. */
export type PresenceFactory = (ttlMs: number) => Promise<PresenceTracker>;

const alice = { id: 'u-alice', username: 'alice' };
const bob = { id: 'u-bob', username: 'bob' };

export function runPresenceContract(name: string, factory: PresenceFactory): void {
  describe(`Presence contract: ${name}`, () => {
    test('add reports a join once; re-adding updates the state; remove reports a leave once', async () => {
      const presence = await factory(60_000);
      try {
        assert.equal(await presence.add('room:1', 'c1', { user: alice, state: null }), true);
        assert.equal(await presence.add('room:1', 'c1', { user: alice, state: { mood: 'ok' } }), false);
        assert.deepEqual([...(await presence.list('room:1'))], [['c1', { user: alice, state: { mood: 'ok' } }]]);
        assert.equal(await presence.remove('room:1', 'c1'), true);
        assert.equal(await presence.remove('room:1', 'c1'), false);
        assert.equal((await presence.list('room:1')).size, 0);
      } finally {
        await presence.close();
      }
    });

    test('stats count clients and distinct users; channels are independent', async () => {
      const presence = await factory(60_000);
      try {
        await presence.add('room:1', 'c1', { user: alice, state: null });
        await presence.add('room:1', 'c2', { user: alice, state: null });
        await presence.add('room:1', 'c3', { user: bob, state: null });
        await presence.add('room:2', 'c4', { user: bob, state: null });
        assert.deepEqual(await presence.stats('room:1'), { clients: 3, users: 2 });
        assert.deepEqual(await presence.stats('room:2'), { clients: 1, users: 1 });
        assert.deepEqual(await presence.stats('room:none'), { clients: 0, users: 0 });
      } finally {
        await presence.close();
      }
    });

    test('entries expire unless added again before their time-to-live runs out', async () => {
      const presence = await factory(300);
      try {
        await presence.add('room:1', 'stale', { user: alice, state: null });
        await presence.add('room:1', 'fresh', { user: bob, state: null });
        for (let i = 0; i < 4; i++) {
          await new Promise((resolve) => setTimeout(resolve, 150));
          await presence.add('room:1', 'fresh', { user: bob, state: null });
        }
        assert.deepEqual([...(await presence.list('room:1')).keys()], ['fresh']);
        assert.deepEqual(await presence.stats('room:1'), { clients: 1, users: 1 });
        // An expired entry added again is a new join.
        assert.equal(await presence.add('room:1', 'stale', { user: alice, state: null }), true);
      } finally {
        await presence.close();
      }
    });
  });
}
