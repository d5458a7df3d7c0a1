/** The RateLimiter contract (core/rate-rules.ts), run against the memory limiter and the Redis one. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { RateLimiter, RateRule } from '../../src/core/rate-rules.js';

export type RateLimiterFactory = () => Promise<{ limiter: RateLimiter; close(): Promise<void> }>;

/** A rule with a unique name, so runs sharing one Redis never share counters. */
const rule = (points: number, durationS: number): RateRule => ({ name: `t${randomBytes(4).toString('hex')}`, points, durationS });

/** Runs `check` on a fresh limiter from `factory`, closing it afterwards. */
async function withLimiter(factory: RateLimiterFactory, check: (limiter: RateLimiter) => Promise<void>): Promise<void> {
  const subject = await factory();
  try {
    await check(subject.limiter);
  } finally {
    await subject.close();
  }
}

export function runRateLimiterContract(name: string, factory: RateLimiterFactory): void {
  describe(`RateLimiter contract: ${name}`, () => {
    test('allows `points` per window, then refuses, counting down what remains and saying when the window resets', () =>
      withLimiter(factory, async (limiter) => {
        const r = rule(3, 60);
        const decisions = [];
        for (let i = 0; i < 4; i++) decisions.push(await limiter.consume('k', r));
        assert.deepEqual(
          decisions.map((d) => [d.allowed, d.remaining, d.limit]),
          [
            [true, 2, 3],
            [true, 1, 3],
            [true, 0, 3],
            [false, 0, 3],
          ],
        );
        for (const d of decisions) assert.ok(d.resetMs > 0 && d.resetMs <= 60_000, `resetMs ${d.resetMs}`);
      }));

    test('keys and rules count separately; a cost charges several points; reset clears one key', () =>
      withLimiter(factory, async (limiter) => {
        const r = rule(2, 60);
        const other = rule(2, 60);
        assert.equal((await limiter.consume('a', r, 2)).allowed, true);
        assert.equal((await limiter.consume('a', r)).allowed, false);
        assert.equal((await limiter.consume('b', r)).allowed, true);
        assert.equal((await limiter.consume('a', other)).allowed, true);
        await limiter.reset('a', r);
        assert.deepEqual([(await limiter.consume('a', r)).allowed, (await limiter.consume('a', r)).remaining], [true, 0]);
      }));

    test('the window ends: after durationS the full quota is back', () =>
      withLimiter(factory, async (limiter) => {
        const r = rule(1, 1);
        assert.equal((await limiter.consume('k', r)).allowed, true);
        const refused = await limiter.consume('k', r);
        assert.equal(refused.allowed, false);
        await new Promise((resolve) => setTimeout(resolve, refused.resetMs + 50));
        assert.equal((await limiter.consume('k', r)).allowed, true);
      }));
  });
}
