/**
 * The SDK's real-time half against a real server on port 0: channels, presence, typing, status,
 * notifications, recovery across broken connections, the offline outbox and token refresh. Broken
 * networks are real: clients go through a TCP proxy whose connections the tests cut.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { LoClient, MessageFrame } from '@lo/client';
import { startServer, sdkClient, type TestServer } from './helpers/test-server.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { strongPassword, uniqueUsername } from './helpers/users.js';
import { until } from './helpers/wait.js';

const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const s = await startServer(env);
  cleanup.push(() => s.close());
  return s;
}

async function proxy(s: TestServer): Promise<TcpProxy> {
  const p = await startTcpProxy(s.url);
  cleanup.push(() => p.close());
  return p;
}

/** A signed-up SDK client talking to `url` (the server or a proxy in front of it). */
async function user(url: string): Promise<LoClient> {
  const client = sdkClient(url);
  await client.auth.signup({ username: uniqueUsername('sdk'), password: strongPassword() });
  cleanup.push(() => client.disconnect());
  return client;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects a channel's messages as the app sees them. */
function collect(client: LoClient, channel: string): MessageFrame[] {
  const seen: MessageFrame[] = [];
  client.channel(channel).on('message', (m) => seen.push(m));
  return seen;
}

describe('SDK real time', () => {
  test('two people chat in a room: connect, subscribe, publish, presence, typing and history', async () => {
    const s = await server();
    const [ana, ben] = await Promise.all([user(s.url), user(s.url)]);
    const room = await ana.rooms.create({ name: 'Plaza', visibility: 'public' });
    await ben.rooms.join(room.id);
    const states: string[] = [];
    ana.on('state', (state) => states.push(state));
    await ana.connect();
    assert.equal(ana.state, 'connected');
    assert.deepEqual(states, ['connecting', 'connected']);

    const anaSeen = collect(ana, room.channel);
    const benSeen = collect(ben, room.channel);
    const typing: string[] = [];
    ben.channel(room.channel).on('typing', (e) => typing.push(e.user.username));
    const joins: string[] = [];
    ana.channel(room.channel).on('presence', (e) => joins.push(`${e.type}:${e.user.username}`));
    await ana.channel(room.channel).subscribe();
    await ben.channel(room.channel).subscribe();
    ana.channel(room.channel).typing();
    const sent = await ana.channel(room.channel).publish({ text: 'hello ben' });
    const reply = await ben.channel(room.channel).publish({ text: 'hi ana' });
    assert.equal(sent.offset, 1);
    assert.equal(reply.offset, 2);
    await until(() => anaSeen.length === 2 && benSeen.length === 2 && typing.length === 1, 5000, 'messages and typing');
    assert.deepEqual(
      benSeen.map((m) => [m.offset, (m.data as { text: string }).text, m.author.id]),
      [
        [1, 'hello ben', ana.user!.id],
        [2, 'hi ana', ben.user!.id],
      ],
    );
    assert.deepEqual(typing, [ana.user!.username]);
    await until(() => joins.includes(`presence.join:${ben.user!.username}`), 5000, 'ben joining');

    ben.channel(room.channel).presence.set({ mood: 'busy' });
    await until(() => joins.includes(`presence.state:${ben.user!.username}`), 5000, 'ben state');
    const here = await ana.channel(room.channel).presence.get();
    assert.deepEqual(here.map((e) => e.user.username).sort(), [ana.user!.username, ben.user!.username].sort());
    assert.deepEqual(here.find((e) => e.user.id === ben.user!.id)?.state, { mood: 'busy' });

    const history = await ben.rooms.history(room.id, { after_offset: 0 });
    assert.deepEqual(
      history.items.map((m) => m.id),
      benSeen.map((m) => m.id),
    );
    await ben.channel(room.channel).unsubscribe();
    await until(() => joins.includes(`presence.leave:${ben.user!.username}`), 5000, 'ben leaving');
  });

  test('friends see each other online, idle and offline; notifications arrive on the user channel', async () => {
    const s = await server();
    const [ana, ben] = await Promise.all([user(s.url), user(s.url)]);
    const notes: unknown[] = [];
    ben.on('notification', (m) => notes.push(m.data));
    await ben.connect();
    const request = await ana.friends.request(ben.user!.id);
    await until(() => notes.length === 1, 5000, 'the friend request notification');
    assert.deepEqual(notes[0], { kind: 'friend_request', request_id: request.id });
    await ben.friends.accept(request.id);

    const statuses: string[] = [];
    ben.on('status', (st) => statuses.push(`${st.user.username}:${st.status}`));
    await ana.connect();
    await until(() => statuses.includes(`${ana.user!.username}:online`), 5000, 'ana online');
    assert.deepEqual(await ben.friendStatuses(), [{ user: ana.user, status: 'online' }]);
    ana.setStatus('idle');
    await until(() => statuses.includes(`${ana.user!.username}:idle`), 5000, 'ana idle');
    ana.disconnect();
    await until(() => statuses.includes(`${ana.user!.username}:offline`), 5000, 'ana offline');
  });

  test('a subscriber whose connection breaks recovers every message it missed, once and in order', async () => {
    const s = await server();
    const p = await proxy(s);
    const [ana, ben] = await Promise.all([user(s.url), user(p.url)]);
    const room = await ana.rooms.create({ name: 'r', visibility: 'public' });
    await ben.rooms.join(room.id);
    const seen = collect(ben, room.channel);
    const recovered: boolean[] = [];
    ben.channel(room.channel).on('subscribed', (e) => recovered.push(e.recovered));
    await ben.channel(room.channel).subscribe();
    for (let i = 1; i <= 5; i++) await ana.channel(room.channel).publish({ text: `before ${i}` });
    await until(() => seen.length === 5, 5000, 'the first five');
    p.cut();
    for (let i = 1; i <= 20; i++) await ana.channel(room.channel).publish({ text: `during ${i}` });
    await until(() => seen.length === 25, 10_000, 'all 25 after reconnecting');
    assert.deepEqual(
      seen.map((m) => m.offset),
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    assert.deepEqual(recovered, [true, true]);
  });

  test('publishes made offline wait in the outbox and go out once after reconnecting', async () => {
    const s = await server();
    const p = await proxy(s);
    const ana = await user(p.url);
    const room = await ana.rooms.create({ name: 'r', visibility: 'public' });
    const seen = collect(ana, room.channel);
    await ana.channel(room.channel).subscribe();
    const states: string[] = [];
    ana.on('state', (state) => states.push(state));
    p.cut();
    const pending = [1, 2, 3].map((i) => ana.channel(room.channel).publish({ text: `queued ${i}` }, { clientMsgId: `q-${i}` }));
    const results = await Promise.all(pending);
    assert.ok(states.includes('reconnecting'), `went through reconnecting: ${states.join(',')}`);
    assert.deepEqual(
      results.map((r) => r.offset),
      [1, 2, 3],
    );
    await until(() => seen.length === 3, 5000, 'the three queued messages');
    const history = await ana.rooms.history(room.id, { after_offset: 0 });
    assert.deepEqual(
      history.items.map((m) => (m.data as { text: string }).text),
      ['queued 1', 'queued 2', 'queued 3'],
    );
  });

  test('the token is refreshed on the open socket before it expires', async () => {
    const s = await server({ LO_ACCESS_TOKEN_TTL: '8' });
    const ana = await user(s.url);
    const closes: Array<number | undefined> = [];
    ana.on('state', (state, info) => {
      if (state !== 'connected') closes.push(info.code);
    });
    await ana.connect();
    await sleep(11_000);
    assert.equal(ana.state, 'connected');
    assert.deepEqual(closes, [undefined], 'never closed (only the first connecting state)');
    const room = await ana.rooms.create({ name: 'r', visibility: 'public' });
    assert.equal((await ana.channel(room.channel).publish({ text: 'still here' })).offset, 1);
  });

  test('a session ended from another device closes the socket for good (session_ended), without reconnecting', async () => {
    const s = await server();
    const username = uniqueUsername('sdk');
    const password = strongPassword();
    const phone = sdkClient(s.url);
    cleanup.push(() => phone.disconnect());
    await phone.auth.signup({ username, password });
    const errors: Array<[string, number | undefined]> = [];
    phone.on('error', (e) => errors.push([e.code, 'closeCode' in e ? (e.closeCode ?? undefined) : undefined]));
    await phone.connect();
    const laptop = sdkClient(s.url);
    await laptop.auth.login({ username, password });
    const { items } = await laptop.auth.sessions();
    const phoneSession = items.find((session) => !session.current);
    assert.ok(phoneSession);
    await laptop.auth.endSession(phoneSession.id);
    await until(() => phone.state === 'closed', 5000, 'the closed state');
    assert.deepEqual(errors, [['session_ended', 4502]]);
    await sleep(500);
    assert.equal(phone.state, 'closed', 'it did not reconnect');
  });
});
