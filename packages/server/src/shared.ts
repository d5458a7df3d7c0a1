/**
 * What the nodes of a deployment share: fan-out, presence and rate limits. In this process by default;
 * in Redis for every node when LO_BROKER_URL is redis:// (NATS carries fan-out only).
 */
import { openBroker } from './broker/open-broker.js';
import type { Config } from './config/config.js';
import type { Broker } from './core/broker.js';
import type { PresenceTracker } from './core/presence.js';
import type { RateLimiter } from './core/rate-rules.js';
import { MemoryPresence } from './presence/memory-presence.js';
import { RedisPresence } from './presence/redis-presence.js';
import { MemoryRateLimiter } from './ratelimit/memory-rate-limiter.js';
import { RedisRateLimiter } from './ratelimit/redis-rate-limiter.js';

export interface Shared {
  broker: Broker;
  presence: PresenceTracker;
  limiter: RateLimiter;
}

/** What `given` does not provide (tests share an in-process bus), built from LO_BROKER_URL. */
export function openShared(config: Config, given: Partial<Shared>): Shared {
  // Presence entries outlive two missed heartbeats, then expire.
  const presenceTtlMs = config.wsPingIntervalS * 2500;
  const redis = /^rediss?:\/\//.test(config.brokerUrl) ? config.brokerUrl : null;
  return {
    broker: given.broker ?? openBroker(config),
    presence: given.presence ?? (redis === null ? new MemoryPresence(presenceTtlMs) : new RedisPresence(redis, presenceTtlMs)),
    limiter: given.limiter ?? (redis === null ? new MemoryRateLimiter() : new RedisRateLimiter(redis)),
  };
}
