/**
 * The Broker contract (core/broker.ts), run against every broker: memory here, Redis and NATS when
 * they exist. Two brokers from one factory stand for two nodes sharing a bus.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Broker, Publication } from '../../src/core/broker.js';

export interface BrokerPair {
  /** Brokers that share one bus (for the memory broker, the same instance twice). */
  a: Broker;
  b: Broker;
  close(): Promise<void>;
}

export type BrokerFactory = () => Promise<BrokerPair>;

interface Heard {
  topic: string;
  publication: Publication;
}

/** Starts a broker that records what it hears. */
async function listening(broker: Broker): Promise<Heard[]> {
  const heard: Heard[] = [];
  await broker.start((topic, publication) => heard.push({ topic, publication }));
  return heard;
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function runBrokerContract(name: string, factory: BrokerFactory, options: { nodes: 1 | 2 } = { nodes: 2 }): void {
  describe(`Broker contract: ${name}`, () => {
    test('a subscribed topic is delivered once, with its publication intact, the publisher included', async () => {
      const pair = await factory();
      try {
        const heard = await listening(pair.a);
        await pair.a.subscribe(['room:1']);
        const publication: Publication = {
          frame: '{"type":"msg","data":{"text":"é ✓"}}',
          offset: 7,
          from: 'u1',
          skip: 'c1',
          sheddable: true,
        };
        await pair.a.publish('room:1', publication);
        await until(() => heard.length === 1);
        assert.deepEqual(heard, [{ topic: 'room:1', publication }]);
      } finally {
        await pair.close();
      }
    });

    test('topics not subscribed are not delivered, and unsubscribe stops delivery', async () => {
      const pair = await factory();
      try {
        const heard = await listening(pair.a);
        await pair.a.subscribe(['room:1', 'room:2']);
        await pair.a.publish('room:3', { frame: '{}' });
        await pair.a.unsubscribe(['room:2']);
        await pair.a.publish('room:2', { frame: '{}' });
        await pair.a.publish('room:1', { frame: '{"last":true}' });
        await until(() => heard.length >= 1);
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.deepEqual(
          heard.map((h) => h.topic),
          ['room:1'],
        );
      } finally {
        await pair.close();
      }
    });

    test('one publisher’s publications on a topic arrive in publish order', async () => {
      const pair = await factory();
      try {
        const heard = await listening(pair.a);
        await pair.a.subscribe(['room:order']);
        for (let i = 1; i <= 500; i++) await pair.a.publish('room:order', { frame: String(i), offset: i });
        await until(() => heard.length === 500);
        assert.deepEqual(
          heard.map((h) => h.publication.offset),
          Array.from({ length: 500 }, (_, i) => i + 1),
        );
      } finally {
        await pair.close();
      }
    });

    test('control events travel like frames', async () => {
      const pair = await factory();
      try {
        const heard = await listening(pair.a);
        await pair.a.subscribe(['user:u1']);
        await pair.a.publish('user:u1', { control: { kind: 'disconnect', sessionId: 's1', reason: 'session_ended' } });
        await until(() => heard.length === 1);
        assert.deepEqual(heard[0]?.publication.control, { kind: 'disconnect', sessionId: 's1', reason: 'session_ended' });
      } finally {
        await pair.close();
      }
    });

    if (options.nodes === 2) {
      test('a publication reaches every node subscribed to its topic, and only those', async () => {
        const pair = await factory();
        try {
          const heardA = await listening(pair.a);
          const heardB = await listening(pair.b);
          await pair.a.subscribe(['room:shared']);
          await pair.b.subscribe(['room:shared', 'room:b-only']);
          await pair.a.publish('room:shared', { frame: 'x' });
          await pair.a.publish('room:b-only', { frame: 'y' });
          await until(() => heardA.length === 1 && heardB.length === 2);
          assert.deepEqual(
            heardB.map((h) => h.topic),
            ['room:shared', 'room:b-only'],
          );
        } finally {
          await pair.close();
        }
      });
    }

    test('ping answers while running', async () => {
      const pair = await factory();
      try {
        await listening(pair.a);
        await pair.a.ping();
      } finally {
        await pair.close();
      }
    });
  });
}
