/**
 * PostgreSQL goes away from one node: node A reaches the real server through a TCP proxy that the test
 * partitions (live connections cut, new ones swallowed: the database hangs rather than refuses, the
 * harder case), node B directly. A must answer clearly (503 problem+json `unavailable`, WebSocket
 * error replies), fail readiness within 5 s and not crash; when the network is back its pool
 * reconnects by itself and it serves again. Runs when scripts/run-tests.mjs found PostgreSQL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inProcessShared, startNodes, STORES, type Cluster } from './helpers/cluster.js';
import { readinessBecomes, watchProcess } from './helpers/faults.js';
import { rawRequest } from './helpers/http.js';
import { POSTGRES_URL } from './helpers/postgres.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { sdkClient } from './helpers/test-server.js';
import { strongPassword, uniqueUsername } from './helpers/users.js';
import { WsTestClient } from './helpers/ws-client.js';
import { until } from './helpers/wait.js';

const postgres = STORES.find((s) => s.name === 'PostgreSQL')!;

test(
  'PostgreSQL cut off from a node: 503 unavailable and WS error replies, not ready within 5 s, no crash; it serves again by itself',
  { ...(postgres.skip !== undefined && { skip: postgres.skip }), timeout: 60_000 },
  async () => {
    const watch = watchProcess();
    const proxy = await startTcpProxy(POSTGRES_URL!.replace(/^postgres(ql)?:/, 'http:'));
    const viaProxy = (url: string) => {
      const u = new URL(url);
      u.host = new URL(proxy.url).host;
      return u.toString();
    };
    let c: Cluster | undefined;
    const sockets: WsTestClient[] = [];
    try {
      c = await startNodes({
        store: postgres,
        shared: inProcessShared(),
        nodes: 2,
        databaseUrl: (i, url) => (i === 0 ? viaProxy(url) : url),
      });
      const [a, b] = c.nodes as [(typeof c.nodes)[0], (typeof c.nodes)[0]];
      const owner = sdkClient(b.url);
      const { access_token: token } = await owner.auth.signup({ username: uniqueUsername('pg'), password: strongPassword() });
      const room = await owner.rooms.create({ name: 'partition', visibility: 'public' });
      const [onA, onB, publisher] = await Promise.all([a.url, b.url, a.url].map((url) => WsTestClient.connect(url, token)));
      sockets.push(onA!, onB!, publisher!);
      for (const s of [onA!, onB!]) await s.ok({ type: 'sub', channel: room.channel });
      const pub = (text: string) => ({ type: 'pub', channel: room.channel, data: { text } });
      assert.equal((await publisher!.ok<{ offset: number }>(pub('before'))).offset, 1);

      proxy.block();
      const took = await readinessBecomes(a.url, 503, 5000);
      assert.ok(took < 5000);
      const health = (await rawRequest(a.url, '/api/health/ready')).json as { checks: Record<string, Array<{ status: string }>> };
      assert.equal(health.checks['database:responseTime']?.[0]?.status, 'fail');

      // HTTP: a clear, retryable error from the one catalogue, not a 500.
      const post = await rawRequest(a.url, `/api/rooms/${room.id}/messages`, { token, body: { text: 'during' } });
      assert.equal(post.status, 503);
      assert.match(post.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal((post.json as { code: string }).code, 'unavailable');
      assert.equal(post.headers.get('retry-after'), '2');
      // WebSocket: the pub gets an error reply; the socket stays open.
      const reply = await publisher!.request(pub('during'), 15_000);
      assert.deepEqual(reply.ok ? 'ok' : [reply.error.code, reply.error.retry_after], ['unavailable', 2]);

      // Node B does not depend on A's network, and A's subscribers still hear what B publishes.
      await readinessBecomes(b.url, 200, 1000);
      const fromB = await rawRequest(b.url, `/api/rooms/${room.id}/messages`, { token, body: { text: 'from B' } });
      assert.equal(fromB.status, 201);
      await until(() => onA!.messages(room.channel).length === 2, 5000, 'B’s message live on A');

      proxy.unblock();
      await readinessBecomes(a.url, 200, 15_000);
      assert.equal((await publisher!.ok<{ offset: number }>(pub('after'))).offset, 3);
      const again = await rawRequest(a.url, `/api/rooms/${room.id}/messages`, { token, body: { text: 'after, over HTTP' } });
      assert.equal(again.status, 201);
      for (const s of [onA!, onB!]) {
        await until(() => s.messages(room.channel).length === 4, 5000, 'every message on both nodes');
        assert.deepEqual(
          s.messages(room.channel).map((m) => m.offset),
          [1, 2, 3, 4],
        );
      }
      assert.deepEqual(watch.stop(), [], 'no unhandled rejection or uncaught exception');
    } finally {
      watch.stop();
      for (const s of sockets) s.close();
      proxy.unblock();
      await c?.close();
      await proxy.close();
    }
  },
);
