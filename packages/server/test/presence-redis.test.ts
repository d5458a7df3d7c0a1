/**
 * The presence contract on real Redis (LO_TEST_REDIS_URL, found by scripts/run-tests.mjs; skipped
 * loudly without it, and a failure in CI). Each tracker gets channels of its own.
 */
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { PresenceTracker } from '../src/core/presence.js';
import { RedisPresence } from '../src/presence/redis-presence.js';
import { runPresenceContract } from './contracts/presence-contract.js';

const url = process.env.LO_TEST_REDIS_URL;

/** Prefixes every channel, so runs and tests never see each other's entries in the shared Redis. */
function isolated(inner: PresenceTracker): PresenceTracker {
  const ns = randomBytes(6).toString('hex') + ':';
  return {
    add: (channel, client, info) => inner.add(ns + channel, client, info),
    remove: (channel, client) => inner.remove(ns + channel, client),
    list: (channel) => inner.list(ns + channel),
    stats: (channel) => inner.stats(ns + channel),
    close: () => inner.close(),
  };
}

if (url === undefined) {
  test('Presence contract: redis', { skip: 'no Redis server (set LO_TEST_REDIS_URL)' }, () => undefined);
} else {
  runPresenceContract('redis', (ttlMs) => Promise.resolve(isolated(new RedisPresence(url, ttlMs))));
}
