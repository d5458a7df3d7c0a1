import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateDecision, RateLimiter, RateRule } from '../core/rate-rules.js';

/**
 * Fixed-window counters through rate-limiter-flexible, one limiter per rule; the store (this process's
 * memory, or Redis shared by every node) is the subclass's choice.
 */
export abstract class FlexibleRateLimiter implements RateLimiter {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  protected abstract make(rule: RateRule): RateLimiterAbstract;

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

  close(): Promise<void> {
    return Promise.resolve();
  }

  private limiter(rule: RateRule): RateLimiterAbstract {
    const id = `${rule.name}:${rule.points}:${rule.durationS}`;
    let limiter = this.limiters.get(id);
    if (limiter === undefined) {
      limiter = this.make(rule);
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

function decision(rule: RateRule, state: RateLimiterRes, allowed: boolean): RateDecision {
  return { allowed, limit: rule.points, remaining: Math.max(0, state.remainingPoints), resetMs: state.msBeforeNext };
}
