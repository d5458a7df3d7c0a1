import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { RateRule } from '../core/rate-rules.js';
import { FlexibleRateLimiter } from './flexible-rate-limiter.js';

/**
 * Fixed-window counters in this process (rate-limiter-flexible's memory store). Right for one node;
 * several nodes share limits through the Redis limiter instead.
 */
export class MemoryRateLimiter extends FlexibleRateLimiter {
  protected make(rule: RateRule): RateLimiterMemory {
    return new RateLimiterMemory({ keyPrefix: rule.name, points: rule.points, duration: rule.durationS });
  }
}
