/**
 * The rate-limiter contract on the memory limiter and on real Redis (LO_TEST_REDIS_URL, found by
 * scripts/run-tests.mjs; skipped loudly without it, and a failure in CI).
 */
import { test } from 'node:test';
import { MemoryRateLimiter } from '../src/ratelimit/memory-rate-limiter.js';
import { RedisRateLimiter } from '../src/ratelimit/redis-rate-limiter.js';
import { runRateLimiterContract } from './contracts/rate-limiter-contract.js';

runRateLimiterContract('memory', () => Promise.resolve({ limiter: new MemoryRateLimiter(), close: () => Promise.resolve() }));

const url = process.env.LO_TEST_REDIS_URL;
if (url === undefined) {
  test('RateLimiter contract: redis', { skip: 'no Redis server (set LO_TEST_REDIS_URL)' }, () => undefined);
} else {
  runRateLimiterContract('redis', () => {
    const limiter = new RedisRateLimiter(url);
    return Promise.resolve({ limiter, close: () => limiter.close() });
  });
}
