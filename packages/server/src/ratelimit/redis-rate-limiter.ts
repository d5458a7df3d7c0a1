import { createClient, type RedisClientType } from 'redis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { RateRule } from '../core/rate-rules.js';
import { FlexibleRateLimiter } from './flexible-rate-limiter.js';

/**
 * Fixed-window counters in Redis, shared by every node (rate-limiter-flexible's Redis store: one
 * atomic increment with expiry per request). Keys live under `lo:rl:`.
 */
export class RedisRateLimiter extends FlexibleRateLimiter {
  private readonly client: RedisClientType;
  private readonly ready: Promise<unknown>;

  constructor(url: string) {
    super();
    this.client = createClient({ url, socket: { connectTimeout: 5000 } });
    this.client.on('error', () => undefined);
    this.ready = this.client.connect();
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
    });
  }
}
