/**
 * Delivery guarantees of DESIGN sections 2 and 6 on a real server: fan-out to many subscribers in
 * order, a slow consumer cut off without hurting the others, and acknowledged publishes surviving
 * kill -9 of the process.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { createClient } from '@lo/client';
import type WebSocket from 'ws';
import { api } from './helpers/http.js';
import { killAllCli, startCliServer, within, type CliServer } from './helpers/spawn-cli.js';
import { startServer, tempDir, type TestServer } from './helpers/test-server.js';
import { signup, strongPassword, uniqueUsername, type TestUser } from './helpers/users.js';
import { WsTestClient } from './helpers/ws-client.js';
import { until } from './helpers/wait.js';

const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  killAllCli();
  for (const step of cleanup.reverse()) await step();
});

async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const s = await startServer({ LO_WS_MAX_CONNECTIONS_PER_USER: '1000', ...env });
  cleanup.push(() => s.close());
  return s;
}

/** An HTTP call below /api that must succeed; resolves with its body. */
async function call<T>(s: Pick<TestServer, 'url'>, method: string, path: string, token: string, body?: unknown): Promise<T> {
  const response = await api<T>(s as TestServer, method, path, { token, ...(body !== undefined && { body }) });
  assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** A public room with `members` joined. */
async function roomWith(s: TestServer, owner: TestUser, members: TestUser[]): Promise<{ id: string; channel: string }> {
  const room = await call<{ id: string; channel: string }>(s, 'POST', '/rooms', owner.auth.access_token, {
    name: 'r',
    visibility: 'public',
  });
  for (const m of members) await call(s, 'POST', `/rooms/${room.id}/join`, m.auth.access_token);
  return room;
}

describe('fan-out', () => {
  test('200 subscribers each get all 300 messages of 3 publishers, every one once and in offset order', async () => {
    const s = await server();
    const users = await Promise.all([signup(s), signup(s), signup(s), signup(s)]);
    const room = await roomWith(s, users[0], users.slice(1));
    const subscribers: WsTestClient[] = [];
    for (let i = 0; i < 200; i++) {
      const client = await WsTestClient.connect(s.url, users[i % users.length]!.auth.access_token);
      await client.ok({ type: 'sub', channel: room.channel });
      subscribers.push(client);
    }
    cleanup.push(() => subscribers.forEach((c) => c.close()));
    const publishers = await Promise.all(users.slice(0, 3).map((u) => WsTestClient.connect(s.url, u.auth.access_token)));
    await Promise.all(
      publishers.map(async (p, n) => {
        for (let i = 0; i < 100; i++) await p.ok({ type: 'pub', channel: room.channel, data: { text: `p${n} m${i}` } });
      }),
    );
    await until(() => subscribers.every((c) => c.messages(room.channel).length >= 300), 30_000, 'every delivery');
    const expected = Array.from({ length: 300 }, (_, i) => i + 1);
    for (const client of subscribers) {
      assert.deepEqual(
        client.messages(room.channel).map((m) => m.offset),
        expected,
      );
    }
    // Per publisher, its own messages keep the order it sent them in.
    const texts = subscribers[0]!.messages(room.channel).map((m) => (m.data as { text: string }).text);
    for (let n = 0; n < 3; n++) {
      assert.deepEqual(
        texts.filter((t) => t.startsWith(`p${n} `)),
        Array.from({ length: 100 }, (_, i) => `p${n} m${i}`),
      );
    }
  });

  test('messages posted over HTTP and over WebSocket interleave into one gap-free stream', async () => {
    const s = await server();
    const [a, b] = await Promise.all([signup(s), signup(s)]);
    const room = await roomWith(s, a, [b]);
    const watcher = await WsTestClient.connect(s.url, b.auth.access_token);
    cleanup.push(() => watcher.close());
    await watcher.ok({ type: 'sub', channel: room.channel });
    const ws = await WsTestClient.connect(s.url, a.auth.access_token);
    cleanup.push(() => ws.close());
    await Promise.all([
      (async () => {
        for (let i = 0; i < 50; i++) await call(s, 'POST', `/rooms/${room.id}/messages`, a.auth.access_token, { text: `http ${i}` });
      })(),
      (async () => {
        for (let i = 0; i < 50; i++) await ws.ok({ type: 'pub', channel: room.channel, data: { text: `ws ${i}` } });
      })(),
    ]);
    await until(() => watcher.messages(room.channel).length >= 100, 10_000, '100 messages');
    assert.deepEqual(
      watcher.messages(room.channel).map((m) => m.offset),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
  });
});

describe('write delay', () => {
  test('LO_WS_WRITE_DELAY holds frames so that a burst reaches a socket in one WebSocket message', async () => {
    const s = await server({ LO_WS_WRITE_DELAY: '200' });
    const [a, b] = await Promise.all([signup(s), signup(s)]);
    const room = await roomWith(s, a, [b]);
    const watcher = await WsTestClient.connect(s.url, b.auth.access_token);
    cleanup.push(() => watcher.close());
    await watcher.ok({ type: 'sub', channel: room.channel });
    let socketMessages = 0;
    watcher.socket.on('message', () => socketMessages++);
    // One HTTP post after the other: without a delay, each would be written on its own.
    for (let n = 1; n <= 5; n++) await call(s, 'POST', `/rooms/${room.id}/messages`, a.auth.access_token, { text: `n${n}` });
    await until(() => watcher.messages(room.channel).length === 5, 5000, 'five messages');
    assert.deepEqual(
      watcher.messages(room.channel).map((m) => m.offset),
      [1, 2, 3, 4, 5],
    );
    assert.ok(socketMessages <= 2, `five frames came in ${socketMessages} WebSocket messages`);
  });
});

describe('backpressure', () => {
  test('a subscriber that stops reading is closed as a slow consumer (4002); the others get everything', async () => {
    const s = await server({ LO_WS_QUEUE_MAX_BYTES: '65536' });
    const [a, b] = await Promise.all([signup(s), signup(s)]);
    const room = await roomWith(s, a, [b]);
    const fast = await Promise.all([0, 1, 2].map(() => WsTestClient.connect(s.url, b.auth.access_token)));
    const slow = await WsTestClient.connect(s.url, b.auth.access_token);
    cleanup.push(() => [...fast, slow].forEach((c) => c.close()));
    for (const c of [...fast, slow]) await c.ok({ type: 'sub', channel: room.channel });
    // The slow client's process stops reading its socket: the server's writes pile up.
    (slow.socket as WebSocket & { _socket: { pause(): void; resume(): void } })._socket.pause();

    const publisher = await WsTestClient.connect(s.url, a.auth.access_token);
    cleanup.push(() => publisher.close());
    const text = 'x'.repeat(3000);
    const total = 1500;
    // Pipelined in batches of 100, each acknowledged before the next: the fast subscribers read in this
    // same process, and one unbroken 4.5 MB burst could keep the server writing to them until their
    // socket buffers were as full as the slow one's (seen: all four closed at the same publish).
    for (let sent = 0; sent < total; sent += 100) {
      await Promise.all(Array.from({ length: 100 }, () => publisher.ok({ type: 'pub', channel: room.channel, data: { text } })));
    }
    await until(() => fast.every((c) => c.messages(room.channel).length === total), 60_000, 'fast subscribers');
    for (const c of fast) {
      assert.deepEqual(
        c.messages(room.channel).map((m) => m.offset),
        Array.from({ length: total }, (_, i) => i + 1),
      );
    }
    await until(() => (s.app.realtime.closeReasons.get('slow_consumer') ?? 0) === 1, 10_000, 'the slow consumer to be closed');
    (slow.socket as WebSocket & { _socket: { resume(): void } })._socket.resume();
    assert.equal((await within(slow.closed, 10_000, 'slow socket close')).code, 4002);
    assert.ok(slow.messages(room.channel).length < total, 'the slow consumer did not get everything queued for it');
  });
});

describe('durability', () => {
  const dir = tempDir('lo-ws-durable-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let cli: CliServer | undefined;
  after(() => cli?.child.kill('SIGKILL'));

  test('every acknowledged pub survives kill -9 of the server, with its offset', async () => {
    const env = { LO_DATA_DIR: dir, LO_RATE_LIMITS: 'signup=1000/60,publish=100000/1,write=100000/60' };
    cli = await startCliServer(env);
    const client = createClient({ url: cli.url });
    const auth = await client.auth.signup({ username: uniqueUsername('durable'), password: strongPassword() });
    const room = await call<{ id: string; channel: string }>(cli, 'POST', '/rooms', auth.access_token, {
      name: 'durable',
      visibility: 'public',
    });
    const ws = await WsTestClient.connect(cli.url, auth.access_token);
    const acked: Array<{ offset: number; id: string }> = [];
    for (let i = 0; i < 100; i++) acked.push(await ws.ok({ type: 'pub', channel: room.channel, data: { text: `durable ${i}` } }));
    assert.deepEqual(await cli.stop('SIGKILL', 5000), { code: null, signal: 'SIGKILL' });

    cli = await startCliServer(env);
    // The token outlives the process: its secret and session are in the data dir.
    const history = await call<{ items: Array<{ offset: number; id: string }> }>(
      cli,
      'GET',
      `/rooms/${room.id}/messages?after_offset=0&limit=100`,
      auth.access_token,
    );
    assert.deepEqual(
      history.items.map((m) => [m.offset, m.id]),
      acked.map((m) => [m.offset, m.id]),
    );
  });
});
