import type { Config } from '../config/config.js';
import type { Broker } from '../core/broker.js';
import { MemoryBroker } from './memory-broker.js';
import { NatsBroker } from './nats-broker.js';
import { RedisBroker } from './redis-broker.js';

/** Builds the broker LO_BROKER_URL names: `memory` (this process), `redis://…` or `nats://…`. */
export function openBroker(config: Pick<Config, 'brokerUrl'>): Broker {
  const url = config.brokerUrl;
  if (url === 'memory') return new MemoryBroker();
  if (url.startsWith('redis://') || url.startsWith('rediss://')) return new RedisBroker(url);
  if (url.startsWith('nats://')) return new NatsBroker(url);
  throw new Error(`LO_BROKER_URL=${url}: expected memory, redis://… or nats://…`);
}
