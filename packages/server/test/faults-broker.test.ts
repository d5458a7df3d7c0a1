/**
 * The broker goes away under load (DESIGN section 6: durability lives in the database, the broker
 * carries "something happened"). Three nodes on a private Redis or NATS server, started by the test
 * on a free port and killed with SIGKILL (the shared servers are never touched): no crash, readiness
 * fails within 5 s, every publish is still stored and acknowledged, and once the server is back every
 * subscriber on every node has every acknowledged message, in order, with no gap. Node C has only
 * subscribers, so what it missed can come only from the catch-up after the broker reconnects.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startNodes, STORES, type Cluster } from './helpers/cluster.js';
import { readinessBecomes, sleep, watchProcess } from './helpers/faults.js';
import { privateServerSkip, startPrivateServer, type PrivateServer, type ServerKind } from './helpers/private-server.js';
import { publishLoad } from './helpers/publish-load.js';
import { rawRequest } from './helpers/http.js';
import { sdkClient, TEST_ENV } from './helpers/test-server.js';
import { strongPassword, uniqueUsername } from './helpers/users.js';
import { WsTestClient } from './helpers/ws-client.js';
import { until } from './helpers/wait.js';

const KINDS: ServerKind[] = ['redis', 'nats'];

/** Signs up a member of `roomId` on `url`; resolves with their access token. */
async function member(url: string, roomId: string): Promise<string> {
  const client = sdkClient(url);
  const auth = await client.auth.signup({ username: uniqueUsername('m'), password: strongPassword() });
  await client.rooms.join(roomId);
  return auth.access_token;
}

for (const store of STORES)
  for (const kind of KINDS) {
    const skip = store.skip ?? privateServerSkip(kind);
    test(
      `${kind} killed under load (${store.name}): no crash, not ready within 5 s, publishes acknowledged, every one delivered everywhere once it is back`,
      { ...(skip !== undefined && { skip }), timeout: 60_000 },
      async () => {
        const watch = watchProcess();
        const server: PrivateServer = await startPrivateServer(kind);
        let down = false;
        let c: Cluster | undefined;
        const sockets: WsTestClient[] = [];
        try {
          c = await startNodes({ store, env: { LO_BROKER_URL: server.url } });
          const [a, b, cNode] = c.nodes as [(typeof c.nodes)[0], (typeof c.nodes)[0], (typeof c.nodes)[0]];
          const owner = sdkClient(a.url);
          const ownerAuth = await owner.auth.signup({ username: uniqueUsername('owner'), password: strongPassword() });
          const room = await owner.rooms.create({ name: 'outage', visibility: 'public' });
          const tokens = await Promise.all(c.nodes.map((n) => member(n.url, room.id)));
          for (const [i, n] of c.nodes.entries()) {
            for (let k = 0; k < 2; k++) sockets.push(await WsTestClient.connect(n.url, tokens[i]!));
          }
          for (const s of sockets) await s.ok({ type: 'sub', channel: room.channel });
          const onC = sockets.slice(4);

          const load = await publishLoad(
            [
              { url: a.url, token: tokens[0]! },
              { url: b.url, token: tokens[1]! },
            ],
            room,
            { ws: 3, http: 1 },
          );
          await sleep(400);
          const killedAt = Date.now();
          await server.kill();
          down = true;
          const took = await Promise.all(c.nodes.map((n) => readinessBecomes(n.url, 503, 5000)));
          assert.ok(Math.max(...took) < 5000);
          const body = (await rawRequest(a.url, '/api/health/ready')).json as { checks: Record<string, Array<{ status: string }>> };
          assert.equal(body.checks['broker:responseTime']?.[0]?.status, 'fail');
          assert.equal(body.checks['database:responseTime']?.[0]?.status, 'pass');
          if (kind === 'redis') {
            // Presence lives in Redis: asking for it is a clear error, and the connection stays usable.
            const presence = await sockets[0]!.request({ type: 'presence.get', channel: room.channel });
            assert.equal(presence.ok ? 'ok' : presence.error.code, 'unavailable');
          }
          await sleep(1200);
          await load.stop();

          assert.deepEqual(load.failures, [], 'every publish is acknowledged while the broker is down: it is stored');
          const duringOutage = load.acks.filter((ack) => ack.at > killedAt);
          assert.ok(duringOutage.length > 10, `only ${duringOutage.length} acknowledged during the outage`);
          const stored = await a.app.store.channels.read(room.channel, 0, 100_000);
          const n = stored.state.offset;
          const expected = stored.messages.map((m) => [m.offset, m.id]);
          assert.deepEqual(
            expected.map(([offset]) => offset),
            Array.from({ length: n }, (_, i) => i + 1),
          );
          const storedIds = new Map(stored.messages.map((m) => [m.id, m.offset]));
          for (const ack of load.acks) assert.equal(storedIds.get(ack.id), ack.offset, `acknowledged ${ack.id} is stored at its offset`);
          assert.ok(
            onC.every((s) => s.messages(room.channel).length < n),
            'node C (no publishers) cannot have what was published during the outage yet',
          );

          await server.restart();
          down = false;
          await Promise.all(c.nodes.map((node) => readinessBecomes(node.url, 200, 15_000)));
          await until(() => sockets.every((s) => s.messages(room.channel).length >= n), 15_000, `all ${n} messages on every subscriber`);
          for (const s of sockets) {
            assert.deepEqual(
              s.messages(room.channel).map((m) => [m.offset, m.id]),
              expected,
            );
          }
          // Live delivery works again on every node: the broker subscribed the room again after reconnecting.
          const after = await rawRequest(b.url, `/api/rooms/${room.id}/messages`, {
            token: ownerAuth.access_token,
            body: { text: 'back' },
          });
          assert.equal(after.status, 201);
          await until(
            () => sockets.every((s) => s.messages(room.channel).at(-1)?.offset === n + 1),
            10_000,
            'the next message live everywhere',
          );
          assert.ok(cNode.app.realtime.hub.stats.resyncs > 0, 'node C caught up after the reconnection');
          assert.deepEqual(watch.stop(), [], 'no unhandled rejection or uncaught exception');
        } finally {
          watch.stop();
          for (const s of sockets) s.close();
          if (down) await server.restart();
          await c?.close();
          await server.close();
        }
      },
    );
  }

test(
  'rate limits hold while Redis is down: each node counts in its own memory (neither failing open nor refusing everything)',
  { ...(privateServerSkip('redis') !== undefined && { skip: privateServerSkip('redis') }), timeout: 30_000 },
  async () => {
    const server = await startPrivateServer('redis');
    const rules = TEST_ENV.LO_RATE_LIMITS!.replace('login_ip=100000/60', 'login_ip=3/60');
    const c = await startNodes({ store: STORES[0]!, env: { LO_BROKER_URL: server.url, LO_RATE_LIMITS: rules }, nodes: 1 });
    try {
      const url = c.nodes[0]!.url;
      const username = uniqueUsername('rl');
      await sdkClient(url).auth.signup({ username, password: strongPassword() });
      await server.kill();
      await readinessBecomes(url, 503, 5000);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await rawRequest(url, '/api/auth/login', { body: { username, password: 'wrong-password-1' } })).status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 429]);
    } finally {
      await server.restart();
      await c.close();
      await server.close();
    }
  },
);
