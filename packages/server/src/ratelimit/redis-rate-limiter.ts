import { createClient, type RedisClientType } from 'redis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { RateDecision, RateRule } from '../core/rate-rules.js';
import { FlexibleRateLimiter } from './flexible-rate-limiter.js';

/**
 * Fixed-window counters in Redis, shared by every node (rate-limiter-flexible's Redis store: one
 * atomic increment with expiry per request). Keys live under `lo:rl:`.
 *
 * While Redis is unreachable each node counts in its own memory instead (rate-limiter-flexible's
 * insurance limiter), with the same quotas: limits keep holding, per node rather than per cluster (N
 * nodes let through up to N times a quota), and nothing fails for want of a counter. Failing closed
 * would turn a Redis outage into a total one (every publish and login is rate limited); failing open
 * would drop the brute-force protection of logins exactly when something is wrong.
 */
export class RedisRateLimiter extends FlexibleRateLimiter {
  private readonly client: RedisClientType;
  private readonly ready: Promise<unknown>;

  constructor(url: string) {
    super();
    // Not queued while offline: a queued command would wait for Redis instead of falling back at once.
    this.client = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 5000 } });
    this.client.on('error', () => undefined);
    this.ready = this.client.connect();
  }

  /** The first connection is awaited (the node does not start without Redis); later outages fall back. */
  override async consume(key: string, rule: RateRule, cost?: number): Promise<RateDecision> {
    await this.ready;
    return super.consume(key, rule, cost);
  }

  override async reset(key: string, rule: RateRule): Promise<void> {
    await this.ready;
    return super.reset(key, rule);
  }

  override async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.client.close().catch(() => undefined);
  }

  protected make(rule: RateRule): RateLimiterRedis {
    return new RateLimiterRedis({
      storeClient: this.client,
      useRedisPackage: true,
      keyPrefix: `lo:rl:${rule.name}`,
      points: rule.points,
      duration: rule.durationS,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: `lo:rl:${rule.name}`, points: rule.points, duration: rule.durationS }),
    });
  }
}
