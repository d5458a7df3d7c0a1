import { LoError } from '../errors/lo-error.js';
import type { RateDecision, RateRule } from './rate-rules.js';

export function rateLimitInfo(rule: RateRule, decision: RateDecision) {
  return {
    policy: rule.name,
    limit: rule.points,
    windowS: rule.durationS,
    remaining: decision.remaining,
    resetS: Math.max(0, Math.ceil(decision.resetMs / 1000)),
  };
}

/** The 429 for a refused decision; Retry-After is when the window lets the next request through. */
export function rateLimited(rule: RateRule, decision: RateDecision): LoError {
  const info = rateLimitInfo(rule, decision);
  return new LoError('rate_limited', `Rate limit "${rule.name}" reached: ${rule.points} per ${rule.durationS} s.`, {
    retryAfter: Math.max(1, info.resetS),
    rateLimit: info,
  });
}
