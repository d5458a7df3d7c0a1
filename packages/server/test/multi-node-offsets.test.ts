/**
 * DESIGN section 6: "concurrent publishers on several nodes must not create gaps, duplicates or
 * reorders". Three nodes share one PostgreSQL schema (and an in-process bus, or real Redis); on every
 * node, WebSocket and HTTP publishers write into one room at once, some HTTP posts racing their own
 * retry on another node (same client_msg_id), while subscribers on every node listen. Runs when
 * scripts/run-tests.mjs found PostgreSQL (and Redis for the second bus).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelMessage } from '@lo/client';
import { BUSES, startNodes, STORES, type ClusterNode } from './helpers/cluster.js';
import { rawRequest } from './helpers/http.js';
import { sdkClient } from './helpers/test-server.js';
import { strongPassword, uniqueUsername } from './helpers/users.js';
import { WsTestClient } from './helpers/ws-client.js';
import { until } from './helpers/wait.js';

const WS_PUBLISHERS = 4;
const HTTP_PUBLISHERS = 2;
const PER_PUBLISHER = 25;
/** Every this many HTTP posts, the same post (same client_msg_id) is sent to the next node at the same time. */
const RETRY_EVERY = 5;
const SUBSCRIBERS = 2;
const N = 3 * (WS_PUBLISHERS + HTTP_PUBLISHERS) * PER_PUBLISHER;

const postgres = STORES.find((s) => s.name === 'PostgreSQL')!;

interface Ack {
  id: string;
  offset: number;
}

/** Signs up a member of `roomId` on `url`; resolves with their access token. */
async function member(url: string, roomId: string): Promise<string> {
  const client = sdkClient(url);
  const auth = await client.auth.signup({ username: uniqueUsername('pub'), password: strongPassword() });
  await client.rooms.join(roomId);
  return auth.access_token;
}

/** WS publishers: each connection sends all its `pub` frames at once (the node handles them in order). */
async function wsPublishers(node: ClusterNode, token: string, channel: string, sockets: WsTestClient[]): Promise<Ack[]> {
  const acks = await Promise.all(
    Array.from({ length: WS_PUBLISHERS }, async (_, p) => {
      const ws = await WsTestClient.connect(node.url, token);
      sockets.push(ws);
      // Each reply waits for the connection's earlier pubs: generous time, for slow shared machines.
      const pub = async (i: number): Promise<Ack> => {
        const reply = await ws.request({ type: 'pub', channel, data: { text: `ws ${node.url} ${p}.${i}` } }, 30_000);
        if (!reply.ok) throw new Error(`pub refused: ${reply.error.code}`);
        return reply.result as unknown as Ack;
      };
      return Promise.all(Array.from({ length: PER_PUBLISHER }, (_, i) => pub(i)));
    }),
  );
  return acks.flat();
}

/** HTTP publishers: posts one after another; some race the same post on `other` (a retry that lands elsewhere). */
async function httpPublishers(node: ClusterNode, other: ClusterNode, token: string, roomId: string): Promise<Ack[]> {
  const post = async (url: string, body: Record<string, string>): Promise<Ack> => {
    const res = await rawRequest(url, `/api/rooms/${roomId}/messages`, { token, body });
    assert.ok(res.status === 201 || res.status === 200, `post answered ${res.status}: ${res.text}`);
    const message = res.json as ChannelMessage;
    return { id: message.id, offset: message.offset };
  };
  const acks = await Promise.all(
    Array.from({ length: HTTP_PUBLISHERS }, async (_, p) => {
      const mine: Ack[] = [];
      for (let i = 0; i < PER_PUBLISHER; i++) {
        const body = { text: `http ${node.url} ${p}.${i}`, client_msg_id: `${node.url}-${p}-${i}` };
        if (i % RETRY_EVERY !== 0) {
          mine.push(await post(node.url, body));
          continue;
        }
        const [first, retry] = await Promise.all([post(node.url, body), post(other.url, body)]);
        assert.deepEqual(retry, first, 'a retry with the same client_msg_id on another node gets the same message');
        mine.push(first);
      }
      return mine;
    }),
  );
  return acks.flat();
}

for (const bus of BUSES) {
  const skip = postgres.skip ?? bus.skip;
  test(
    `concurrent publishers on three nodes over one PostgreSQL (${bus.name}): dense offsets, each message once and in order on every node`,
    { ...(skip !== undefined && { skip }), timeout: 60_000 },
    async () => {
      const c = await startNodes({ store: postgres, env: bus.env, shared: bus.shared() });
      const sockets: WsTestClient[] = [];
      try {
        const nodes = c.nodes;
        const owner = sdkClient(nodes[0]!.url);
        await owner.auth.signup({ username: uniqueUsername('owner'), password: strongPassword() });
        const room = await owner.rooms.create({ name: 'busy', visibility: 'public' });
        const tokens = await Promise.all(nodes.map((n) => member(n.url, room.id)));
        const subscribers = (
          await Promise.all(nodes.flatMap((n, i) => Array.from({ length: SUBSCRIBERS }, () => WsTestClient.connect(n.url, tokens[i]!))))
        ).map((s) => (sockets.push(s), s));
        for (const s of subscribers) await s.ok({ type: 'sub', channel: room.channel });

        const acks = (
          await Promise.all(
            nodes.flatMap((n, i) => [
              wsPublishers(n, tokens[i]!, room.channel, sockets),
              httpPublishers(n, nodes[(i + 1) % nodes.length]!, tokens[i]!, room.id),
            ]),
          )
        ).flat();

        // Every acknowledged publish has its own offset, and together they are exactly 1..N.
        const dense = Array.from({ length: N }, (_, i) => i + 1);
        assert.equal(new Set(acks.map((a) => a.id)).size, N);
        assert.deepEqual(
          acks.map((a) => a.offset).sort((x, y) => x - y),
          dense,
        );
        const idAt = new Map(acks.map((a) => [a.offset, a.id]));

        // The store holds exactly those N messages, at the offsets their publishers were told.
        const { state, messages } = await nodes[0]!.app.store.channels.read(room.channel, 0, N + 10);
        assert.equal(state.offset, N);
        assert.deepEqual(
          messages.map((m) => [m.offset, m.id]),
          dense.map((o) => [o, idAt.get(o)]),
        );

        // Every subscriber on every node got 1..N exactly once, in order (and nothing more after a pause).
        await until(() => subscribers.every((s) => s.messages(room.channel).length >= N), 30_000, `${N} messages on every subscriber`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        for (const s of subscribers) {
          assert.deepEqual(
            s.messages(room.channel).map((m) => [m.offset, m.id]),
            dense.map((o) => [o, idAt.get(o)]),
          );
        }
      } finally {
        for (const s of sockets) s.close();
        await c.close();
      }
    },
  );
}
