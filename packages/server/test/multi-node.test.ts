/**
 * Three nodes in one process over one database (DESIGN section 2: one delivery path for one node and
 * many), on each store (one SQLite file; one PostgreSQL schema, LO_TEST_POSTGRES_URL) and each bus (an
 * in-process bus; real Redis, LO_TEST_REDIS_URL). Backends that do not answer are skipped loudly by
 * scripts/run-tests.mjs (a failure in CI). Each node is a whole server on its own port.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { MessageFrame } from '@lo/client';
import { createClient } from 'redis';
import type { MemoryBroker } from '../src/broker/memory-broker.js';
import { BUSES, startNodes, STORES, type Cluster, type ClusterNode as Node } from './helpers/cluster.js';
import { sdkClient } from './helpers/test-server.js';
import { strongPassword, uniqueUsername } from './helpers/users.js';
import { WsTestClient } from './helpers/ws-client.js';
import { until } from './helpers/wait.js';

for (const { store, bus } of STORES.flatMap((store) => BUSES.map((bus) => ({ store, bus })))) {
  const skip = store.skip ?? bus.skip;
  describe(`three nodes on ${store.name} and ${bus.name}`, { ...(skip !== undefined && { skip }) }, () => {
    let c: Cluster;
    const closers: Array<() => void> = [];
    after(async () => {
      for (const close of closers) close();
      await c?.close();
    });

    test('publishes on every node reach subscribers on every node, all in the same order', async () => {
      c = await startNodes({ store, env: bus.env, shared: bus.shared() });
      const [a, b, cc] = c.nodes as [Node, Node, Node];
      const owner = sdkClient(a.url);
      const auth = await owner.auth.signup({ username: uniqueUsername('node'), password: strongPassword() });
      const room = await owner.rooms.create({ name: 'cluster', visibility: 'public' });
      const subscribers = await Promise.all(c.nodes.map((n) => WsTestClient.connect(n.url, auth.access_token)));
      closers.push(() => subscribers.forEach((s) => s.close()));
      for (const s of subscribers) await s.ok({ type: 'sub', channel: room.channel });
      const publishers = await Promise.all([a, b, cc].map((n) => WsTestClient.connect(n.url, auth.access_token)));
      closers.push(() => publishers.forEach((p) => p.close()));
      await Promise.all(
        publishers.map(async (p, n) => {
          for (let i = 0; i < 50; i++) await p.ok({ type: 'pub', channel: room.channel, data: { text: `node${n} #${i}` } });
        }),
      );
      await until(() => subscribers.every((s) => s.messages(room.channel).length === 150), 15_000, '150 messages everywhere');
      const orders = subscribers.map((s) => s.messages(room.channel).map((m) => `${m.offset}:${m.id}`));
      assert.deepEqual(
        orders[0]!.map((o) => Number(o.split(':')[0])),
        Array.from({ length: 150 }, (_, i) => i + 1),
      );
      assert.deepEqual(orders[1], orders[0]);
      assert.deepEqual(orders[2], orders[0]);
    });

    test('ending a session on one node closes its sockets on every node', async () => {
      const [a, b, cc] = c.nodes as [Node, Node, Node];
      const client = sdkClient(a.url);
      const auth = await client.auth.signup({ username: uniqueUsername('node'), password: strongPassword() });
      const sockets = await Promise.all([b, cc].map((n) => WsTestClient.connect(n.url, auth.access_token)));
      await client.auth.logout();
      const codes = await Promise.all(sockets.map((s) => s.closed));
      assert.deepEqual(
        codes.map((x) => x.code),
        [4502, 4502],
      );
    });

    test('a user is online on a friend’s node while connected to another, and offline after', async () => {
      const [a, b] = c.nodes as [Node, Node, Node];
      const ana = sdkClient(a.url);
      const ben = sdkClient(b.url);
      closers.push(
        () => ana.disconnect(),
        () => ben.disconnect(),
      );
      await ana.auth.signup({ username: uniqueUsername('ana'), password: strongPassword() });
      await ben.auth.signup({ username: uniqueUsername('ben'), password: strongPassword() });
      const request = await ana.friends.request(ben.user!.id);
      await ben.friends.accept(request.id);
      const seen: string[] = [];
      ben.on('status', (s) => seen.push(s.status));
      await ben.connect();
      await ana.connect();
      await until(() => seen.includes('online'), 10_000, 'online on the other node');
      assert.deepEqual(await ben.friendStatuses(), [{ user: ana.user, status: 'online' }]);
      ana.disconnect();
      await until(() => seen.includes('offline'), 10_000, 'offline on the other node');
    });

    test('a client that moves from one node to another recovers with no gap; a node listens only to topics its sockets need', async () => {
      const [a, b, cc] = c.nodes as [Node, Node, Node];
      const writer = sdkClient(a.url);
      await writer.auth.signup({ username: uniqueUsername('w'), password: strongPassword() });
      const room = await writer.rooms.create({ name: 'moving', visibility: 'public' });
      const reader = sdkClient(b.url);
      const auth = await reader.auth.signup({ username: uniqueUsername('r'), password: strongPassword() });
      await reader.rooms.join(room.id);
      const onB = await WsTestClient.connect(b.url, auth.access_token);
      const first = await onB.ok<{ epoch: string }>({ type: 'sub', channel: room.channel });
      for (let i = 1; i <= 5; i++) await writer.channel(room.channel).publish({ text: `m${i}` });
      await until(() => onB.messages(room.channel).length === 5, 10_000, 'five on B');
      onB.close();
      for (let i = 6; i <= 10; i++) await writer.channel(room.channel).publish({ text: `m${i}` });
      const onC = await WsTestClient.connect(cc.url, auth.access_token);
      closers.push(
        () => onC.close(),
        () => writer.disconnect(),
      );
      const moved = await onC.ok<{ recovered: boolean; missed: MessageFrame[] }>({
        type: 'sub',
        channel: room.channel,
        since: { offset: 5, epoch: first.epoch },
      });
      assert.equal(moved.recovered, true);
      assert.deepEqual(
        moved.missed.map((m) => m.offset),
        [6, 7, 8, 9, 10],
      );
      await writer.channel(room.channel).publish({ text: 'm11' });
      await until(() => onC.messages(room.channel).length === 1, 10_000, 'live on C');
      assert.equal(onC.messages(room.channel)[0]?.offset, 11);
      // Node B's only socket on the room left: B no longer listens to it, while C (subscribed) does.
      if (bus.name === 'in-process bus') {
        const topics = (n: Node) => (n.app.realtime.deps.broker as MemoryBroker).subscribed;
        await until(() => !topics(b).has(room.channel), 5000, 'B to unsubscribe');
        assert.equal(topics(cc).has(room.channel), true);
        assert.equal(topics(a).has(room.channel), false, 'the writer only publishes: A does not listen to the room');
      } else {
        // Redis counts the connections subscribed to the room's channel: only node C's.
        const redis = createClient({ url: process.env.LO_TEST_REDIS_URL! });
        await redis.connect();
        const count = async () => Object.values(await redis.pubSubNumSub('lo:' + room.channel))[0];
        for (let i = 0; i < 100 && (await count()) !== 1; i++) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(await count(), 1);
        await redis.close();
      }
    });
  });
}
