/**
 * Live geo fan-out across nodes by cell (DESIGN section 7), on an in-process bus and on real Redis
 * (LO_TEST_REDIS_URL; skipped without it): a post made through one node reaches a viewer on another,
 * a deletion follows, and each node listens only to the cell topics its own connections cover.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createClient } from 'redis';
import type { MemoryBroker } from '../src/broker/memory-broker.js';
import { cellTopic } from '../src/core/geo/cells.js';
import { startCluster, inProcessShared, type Cluster, type ClusterNode } from './helpers/cluster.js';
import { geoSocket, geoSub, offset, type GeoSocket } from './helpers/geo.js';
import { sdkClient } from './helpers/test-server.js';
import { strongPassword, uniqueUsername } from './helpers/users.js';

const buses: Array<{ name: string; skip?: string; start: () => Promise<Cluster> }> = [
  { name: 'in-process bus', start: () => startCluster({}, inProcessShared()) },
  {
    name: 'Redis',
    ...(process.env.LO_TEST_REDIS_URL === undefined && { skip: 'no Redis server (set LO_TEST_REDIS_URL)' }),
    start: () => startCluster({ LO_BROKER_URL: process.env.LO_TEST_REDIS_URL ?? '' }, () => ({})),
  },
];

for (const bus of buses) {
  describe(`live geo across three nodes on ${bus.name}`, { ...(bus.skip !== undefined && { skip: bus.skip }) }, () => {
    let c: Cluster | undefined;
    const sockets: GeoSocket[] = [];
    after(async () => {
      for (const { ws } of sockets) ws.close();
      await c?.close();
    });

    /** How many nodes listen to a cell topic: the memory brokers' sets, or Redis's own count. */
    async function listeners(topic: string): Promise<number> {
      if (bus.name === 'in-process bus') {
        return c!.nodes.filter((n) => (n.app.realtime.deps.broker as MemoryBroker).subscribed.has(topic)).length;
      }
      const redis = createClient({ url: process.env.LO_TEST_REDIS_URL! });
      await redis.connect();
      try {
        return Object.values(await redis.pubSubNumSub('lo:' + topic))[0] ?? 0;
      } finally {
        await redis.close();
      }
    }

    test('posts and deletions reach viewers on other nodes, and nodes listen only to the cells they cover', async () => {
      c = await bus.start();
      const [a, b, cc] = c.nodes as [ClusterNode, ClusterNode, ClusterNode];
      // A place of its own per run: the Redis server may be shared with other runs.
      const centre = { lat: -30 + Math.random() * 60, lng: -170 + Math.random() * 340 };
      const elsewhere = offset(centre, 90, 500_000);
      const signupOn = async (node: ClusterNode) => {
        const client = sdkClient(node.url);
        const auth = await client.auth.signup({ username: uniqueUsername('geo'), password: strongPassword() });
        return { client, auth };
      };
      const [author, near, far] = [await signupOn(a), await signupOn(b), await signupOn(cc)];
      const onB = await geoSocket(b.url, near.auth.access_token);
      const onC = await geoSocket(cc.url, far.auth.access_token);
      sockets.push(onB, onC);
      await geoSub(onB.ws, centre);
      await geoSub(onC.ws, elsewhere);
      const bCells = [...b.app.realtime.geo.areaOf(onB.clientId)!.cells].map(cellTopic);
      const cCells = [...cc.app.realtime.geo.areaOf(onC.clientId)!.cells].map(cellTopic);
      for (const topic of bCells) assert.equal(await listeners(topic), 1, `${topic}: node B only`);
      if (bus.name === 'in-process bus') {
        const geoTopics = (n: ClusterNode) =>
          [...(n.app.realtime.deps.broker as MemoryBroker).subscribed].filter((t) => t.startsWith('geo:'));
        assert.deepEqual(geoTopics(a), [], 'A has no area: it publishes geo posts but listens to no cell');
        assert.deepEqual(geoTopics(b).sort(), [...bCells].sort());
        assert.deepEqual(geoTopics(cc).sort(), [...cCells].sort());
      }

      const message = await author.client.messages.create({ content: 'across nodes', lat: centre.lat, lng: centre.lng });
      const pushed = await onB.ws.next((f) => f.type === 'geo.msg', 10_000);
      assert.equal(pushed.type === 'geo.msg' && pushed.message.id, message.id);
      const marker = await author.client.messages.create({ content: 'marker', lat: elsewhere.lat, lng: elsewhere.lng });
      await onC.ws.next((f) => f.type === 'geo.msg', 10_000);
      assert.deepEqual(
        onC.ws.pushes.filter((f) => f.type === 'geo.msg').map((f) => f.type === 'geo.msg' && f.message.id),
        [marker.id],
        'the far viewer gets only the post near it',
      );

      await author.client.messages.delete(message.id);
      const exit = await onB.ws.next((f) => f.type === 'geo.exit', 10_000);
      assert.deepEqual(exit, { type: 'geo.exit', message_id: message.id, reason: 'deleted' });

      await onB.ws.ok({ type: 'geo.unsub' });
      for (const topic of bCells) {
        for (let i = 0; i < 100 && (await listeners(topic)) !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(await listeners(topic), 0, `nobody listens to ${topic} once the area is gone`);
      }
      author.client.disconnect();
    });
  });
}
