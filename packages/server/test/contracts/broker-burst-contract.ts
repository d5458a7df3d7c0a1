/**
 * Bursts through a Broker (core/broker.ts): publications issued back to back without awaiting each
 * one, as a node publishes when several are ready in one turn. They must arrive complete and in
 * per-topic publish order, and a burst must reach the handler in a few turns of the event loop, not
 * one turn per publication: each subscriber socket's queue (realtime/outbound.ts) is written once per
 * turn, so a turn per publication costs a WebSocket write per delivery (~15 µs instead of ~1 µs, see
 * "Fan-out across nodes" in bench/results.md). Node-redis and the NATS client hand over every
 * publication parsed from one socket read before the turn ends; these tests keep it that way.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Publication } from '../../src/core/broker.js';
import type { BrokerFactory, BrokerPair } from './broker-contract.js';

const BURST = 1000;
/** About the size of a chat message frame, so a burst spans several socket reads as it would live. */
const FRAME = JSON.stringify({ type: 'msg', channel: 'public:burst', data: { text: 'x'.repeat(240) } });
/**
 * Fewest publications per handler turn, on average. A networked broker gets a burst in socket reads of
 * several KB (tens of publications each); a turn per publication would make it 1.
 */
const MIN_PER_TURN = 10;

interface Heard {
  topic: string;
  offset: number;
  /** The event-loop turn it was handled in (a new one after each setImmediate). */
  turn: number;
}

/** Starts both brokers of the pair; `b` records what it hears and in which turn. */
async function listening(pair: BrokerPair): Promise<{ heard: Heard[]; turns: () => number }> {
  const heard: Heard[] = [];
  let turn = 0;
  let open = false;
  await pair.b.start((topic, publication) => {
    if (!open) {
      open = true;
      setImmediate(() => {
        open = false;
        turn++;
      });
    }
    heard.push({ topic, offset: publication.offset ?? -1, turn });
  });
  // The memory broker's pair is one instance: started once.
  if (pair.a !== pair.b) await pair.a.start(() => undefined);
  return { heard, turns: () => new Set(heard.map((h) => h.turn)).size };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Issues every publication before awaiting any (one node's publications of one turn). */
function burst(pair: BrokerPair, items: Array<{ topic: string; offset: number }>): Promise<void[]> {
  return Promise.all(items.map(({ topic, offset }) => pair.a.publish(topic, { frame: FRAME, offset } satisfies Publication)));
}

export function runBrokerBurstContract(name: string, factory: BrokerFactory): void {
  describe(`Broker bursts: ${name}`, () => {
    test(`${BURST} publications issued back to back on one topic arrive complete, in publish order, in a few turns`, async () => {
      const pair = await factory();
      try {
        const { heard, turns } = await listening(pair);
        await pair.b.subscribe(['room:burst']);
        await burst(
          pair,
          Array.from({ length: BURST }, (_, i) => ({ topic: 'room:burst', offset: i + 1 })),
        );
        await until(() => heard.length >= BURST);
        assert.deepEqual(
          heard.map((h) => h.offset),
          Array.from({ length: BURST }, (_, i) => i + 1),
        );
        assert.ok(turns() * MIN_PER_TURN <= BURST, `${BURST} publications reached the handler in ${turns()} turns`);
      } finally {
        await pair.close();
      }
    });

    test('interleaved topics each keep their publish order', async () => {
      const pair = await factory();
      try {
        const topics = ['room:t0', 'room:t1', 'room:t2', 'user:t3'];
        const { heard } = await listening(pair);
        await pair.b.subscribe(topics);
        const perTopic = BURST / topics.length;
        await burst(
          pair,
          Array.from({ length: BURST }, (_, i) => ({ topic: topics[i % topics.length]!, offset: Math.floor(i / topics.length) + 1 })),
        );
        await until(() => heard.length >= BURST);
        for (const topic of topics) {
          assert.deepEqual(
            heard.filter((h) => h.topic === topic).map((h) => h.offset),
            Array.from({ length: perTopic }, (_, i) => i + 1),
            topic,
          );
        }
      } finally {
        await pair.close();
      }
    });
  });
}
