/**
 * The burst contract (contracts/broker-burst-contract.ts) on every broker: memory always; real Redis
 * and NATS when scripts/run-tests.mjs found the server (LO_TEST_REDIS_URL, LO_TEST_NATS_URL), as in
 * broker-redis-nats.test.ts. Two instances on one server stand for two nodes.
 */
import { test } from 'node:test';
import { MemoryBroker } from '../src/broker/memory-broker.js';
import { NatsBroker } from '../src/broker/nats-broker.js';
import { RedisBroker } from '../src/broker/redis-broker.js';
import type { Broker } from '../src/core/broker.js';
import { runBrokerBurstContract } from './contracts/broker-burst-contract.js';

runBrokerBurstContract('memory', () => {
  const broker = new MemoryBroker();
  return Promise.resolve({ a: broker, b: broker, close: () => broker.close() });
});

const backends: Array<{ name: string; url: string | undefined; make: (url: string) => Broker }> = [
  { name: 'redis', url: process.env.LO_TEST_REDIS_URL, make: (url) => new RedisBroker(url) },
  { name: 'nats', url: process.env.LO_TEST_NATS_URL, make: (url) => new NatsBroker(url) },
];

for (const { name, url, make } of backends) {
  if (url === undefined) {
    test(`Broker bursts: ${name}`, { skip: `no ${name} server (set LO_TEST_${name.toUpperCase()}_URL)` }, () => undefined);
    continue;
  }
  runBrokerBurstContract(name, () => {
    const a = make(url);
    const b = make(url);
    return Promise.resolve({ a, b, close: async () => void (await Promise.all([a.close(), b.close()])) });
  });
}
