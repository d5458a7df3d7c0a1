import type { Config } from '../config/config.js';
import type { Broker } from '../core/broker.js';
import { MemoryBroker } from './memory-broker.js';

/** Builds the broker LO_BROKER_URL names (`memory`: this process only). */
export function openBroker(config: Pick<Config, 'brokerUrl'>): Broker {
  if (config.brokerUrl === 'memory') return new MemoryBroker();
  throw new Error(`LO_BROKER_URL=${config.brokerUrl}: only "memory" is available in this version`);
}
