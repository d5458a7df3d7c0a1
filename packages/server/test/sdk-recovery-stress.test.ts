/**
 * DESIGN section 6 under stress, with the real SDK: 8 publishers send 10,000 messages into one room
 * while the network under a subscriber (and, now and then, under the publishers) is cut again and
 * again. The subscriber must see every message exactly once, in offset order, and the room must hold
 * exactly the 10,000 acknowledged messages (retries deduplicated by client_msg_id).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { LoClient, MessageFrame } from '@lo/client';
import { sdkClient, startServer } from './helpers/test-server.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { strongPassword, uniqueUsername } from './helpers/users.js';

const PUBLISHERS = 8;
const PER_PUBLISHER = 1250;
const TOTAL = PUBLISHERS * PER_PUBLISHER;

const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function user(url: string): Promise<LoClient> {
  const client = sdkClient(url);
  await client.auth.signup({ username: uniqueUsername('stress'), password: strongPassword() });
  cleanup.push(() => client.disconnect());
  return client;
}

test(
  '10,000 messages from 8 publishers reach a subscriber whose connection keeps breaking: 0 gaps, 0 duplicates, 0 reorders',
  { timeout: 240_000 },
  async () => {
    const server = await startServer();
    cleanup.push(() => server.close());
    const subscriberNet = await startTcpProxy(server.url);
    const publisherNet = await startTcpProxy(server.url);
    cleanup.push(
      () => subscriberNet.close(),
      () => publisherNet.close(),
    );

    const owner = await user(server.url);
    const room = await owner.rooms.create({ name: 'stress', visibility: 'public' });
    const subscriber = await user(subscriberNet.url);
    const publishers = await Promise.all(Array.from({ length: PUBLISHERS }, () => user(publisherNet.url)));
    for (const member of [subscriber, ...publishers]) await member.rooms.join(room.id);

    const seen: MessageFrame[] = [];
    const recoveries: boolean[] = [];
    subscriber.channel(room.channel).on('message', (m) => seen.push(m));
    subscriber.channel(room.channel).on('subscribed', (e) => recoveries.push(e.recovered));
    await subscriber.channel(room.channel).subscribe();

    let publishing = true;
    let subscriberCuts = 0;
    let publisherCuts = 0;
    const chaos = (async () => {
      for (let round = 0; publishing; round++) {
        await new Promise((resolve) => setTimeout(resolve, 150 + ((round * 37) % 200)));
        if (subscriberNet.cut() > 0) subscriberCuts++;
        // Every third round the publishers' connections break too: pubs in flight are retried with
        // their client_msg_id, and must not be stored twice.
        if (round % 3 === 2 && publisherNet.cut() > 0) publisherCuts++;
      }
    })();

    const acked = await Promise.all(
      publishers.map(async (publisher, n) => {
        const ids: string[] = [];
        for (let i = 0; i < PER_PUBLISHER; i++) {
          const result = await publisher.channel(room.channel).publish({ text: `p${n} #${i}` }, { clientMsgId: `p${n}-${i}` });
          ids.push(result.id);
        }
        return ids;
      }),
    );
    publishing = false;
    await chaos;

    const deadline = Date.now() + 60_000;
    while (seen.length < TOTAL && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

    assert.ok(subscriberCuts >= 10, `the subscriber's connection was cut ${subscriberCuts} times`);
    assert.ok(publisherCuts >= 3, `the publishers' connections were cut ${publisherCuts} times`);
    assert.ok(recoveries.length > 5 && recoveries.every((r) => r), `every resubscription recovered: ${recoveries.length}`);
    const offsets = seen.map((m) => m.offset);
    assert.equal(new Set(seen.map((m) => m.id)).size, seen.length, 'no duplicates');
    assert.deepEqual(
      offsets,
      Array.from({ length: TOTAL }, (_, i) => i + 1),
      'every offset once, in order',
    );
    const stored = await owner.rooms.history(room.id, { before_offset: TOTAL + 1, limit: 1 });
    assert.equal(stored.items[0]?.offset, TOTAL, 'the room holds exactly the acknowledged messages');
    assert.deepEqual(new Set(seen.map((m) => m.id)), new Set(acked.flat()), 'what was seen is what was acknowledged');
    // Each publisher's messages arrive in the order it sent them.
    for (let n = 0; n < PUBLISHERS; n++) {
      const mine = seen.map((m) => (m.data as { text: string }).text).filter((t) => t.startsWith(`p${n} `));
      assert.deepEqual(
        mine,
        Array.from({ length: PER_PUBLISHER }, (_, i) => `p${n} #${i}`),
      );
    }
  },
);
