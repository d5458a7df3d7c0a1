import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateDecision, RateLimiter, RateRule } from '../core/rate-rules.js';

/**
 * Fixed-window counters in this process (rate-limiter-flexible's memory store). Right for one node;
 * several nodes share limits through the Redis limiter instead.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly limiters = new Map<string, RateLimiterMemory>();

  async consume(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    try {
      return decision(rule, await this.limiter(rule).consume(key, cost), true);
    } catch (refused) {
      if (refused instanceof RateLimiterRes) return decision(rule, refused, false);
      throw refused;
    }
  }

  async reset(key: string, rule: RateRule): Promise<void> {
    await this.limiter(rule).delete(key);
  }

  private limiter(rule: RateRule): RateLimiterMemory {
    const id = `${rule.name}:${rule.points}:${rule.durationS}`;
    let limiter = this.limiters.get(id);
    if (limiter === undefined) {
      limiter = new RateLimiterMemory({ keyPrefix: rule.name, points: rule.points, duration: rule.durationS });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

function decision(rule: RateRule, state: RateLimiterRes, allowed: boolean): RateDecision {
  return { allowed, limit: rule.points, remaining: Math.max(0, state.remainingPoints), resetMs: state.msBeforeNext };
}
