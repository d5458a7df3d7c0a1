import type { FastifyReply, FastifyRequest } from 'fastify';
import { rateLimited, rateLimitInfo } from '../core/rate-limit-error.js';
import type { RateLimiter, RateRuleName, RateRules } from '../core/rate-rules.js';
import type { Metrics } from '../ops/metrics.js';
import { setRateLimitHeaders } from './problem.js';

/**
 * preHandlers that charge a request to a named rule, keyed by the authenticated user (or the client IP
 * before login), and tell the client where it stands with RateLimit / RateLimit-Policy headers.
 */
export function rateLimits(limiter: RateLimiter, rules: RateRules, metrics: Metrics) {
  return function limit(name: RateRuleName) {
    const rule = rules[name];
    return async function rateLimit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      const key = request.principal !== null ? `user:${request.principal.userId}` : `ip:${request.ip}`;
      const decision = await limiter.consume(key, rule);
      if (!decision.allowed) {
        metrics.rateLimited.inc({ rule: rule.name });
        throw rateLimited(rule, decision);
      }
      setRateLimitHeaders(reply, rateLimitInfo(rule, decision));
    };
  };
}

export type Limit = ReturnType<typeof rateLimits>;
