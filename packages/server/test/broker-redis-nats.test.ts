/**
 * The broker contract on real Redis and real NATS: two broker instances on one server stand for two
 * nodes. These run when scripts/run-tests.mjs found the server (LO_TEST_REDIS_URL, LO_TEST_NATS_URL);
 * it says loudly when it skipped them, and in CI a missing server fails the run instead.
 */
import { test } from 'node:test';
import type { Broker } from '../src/core/broker.js';
import { NatsBroker } from '../src/broker/nats-broker.js';
import { RedisBroker } from '../src/broker/redis-broker.js';
import { runBrokerContract } from './contracts/broker-contract.js';

const backends: Array<{ name: string; url: string | undefined; make: (url: string) => Broker }> = [
  { name: 'redis', url: process.env.LO_TEST_REDIS_URL, make: (url) => new RedisBroker(url) },
  { name: 'nats', url: process.env.LO_TEST_NATS_URL, make: (url) => new NatsBroker(url) },
];

for (const { name, url, make } of backends) {
  if (url === undefined) {
    test(`Broker contract: ${name}`, { skip: `no ${name} server (set LO_TEST_${name.toUpperCase()}_URL)` }, () => undefined);
    continue;
  }
  runBrokerContract(name, () => {
    const a = make(url);
    const b = make(url);
    return Promise.resolve({ a, b, close: async () => void (await Promise.all([a.close(), b.close()])) });
  });
}
