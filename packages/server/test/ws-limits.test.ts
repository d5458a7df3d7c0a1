import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { api } from './helpers/http.js';
import { startServer, TEST_ENV, type TestServer } from './helpers/test-server.js';
import { signup } from './helpers/users.js';
import { WsTestClient } from './helpers/ws-client.js';
import { handshake } from './helpers/ws-raw.js';
import { assertAlive, assertRefused, eventually, expectError, login, room, withTimeout } from './helpers/ws-assert.js';

/** DESIGN section 8 on the WebSocket: caps on connections and subscriptions, and rate limits. */

describe('connection and subscription caps', () => {
  let server: TestServer;
  let perIp: TestServer;
  before(async () => {
    [server, perIp] = await Promise.all([
      startServer({ LO_WS_MAX_CONNECTIONS_PER_USER: '2', LO_WS_MAX_SUBSCRIPTIONS: '3' }),
      startServer({ LO_WS_MAX_CONNECTIONS_PER_IP: '2' }),
    ]);
  });
  after(() => Promise.all([server.close(), perIp.close()]));

  test('a user’s socket over LO_WS_MAX_CONNECTIONS_PER_USER is closed with 4003; closing one frees a slot', async () => {
    const [user, other] = await Promise.all([signup(server, 'capped'), signup(server, 'uncapped')]);
    const first = await WsTestClient.connect(server.url, user.auth.access_token);
    const second = await WsTestClient.connect(server.url, user.auth.access_token);
    const third = await WsTestClient.open(server.url);
    third.send({ type: 'auth', id: 1, token: user.auth.access_token });
    assert.deepEqual(await withTimeout(third.closed, 'cap close'), { code: 4003, reason: 'connection_limit' });
    // The cap is per user: someone else connects, and the first two are untouched.
    const others = await WsTestClient.connect(server.url, other.auth.access_token);
    await assertAlive(first);
    await assertAlive(second);
    first.close();
    await first.closed;
    await eventually(async () => {
      const again = await WsTestClient.connect(server.url, user.auth.access_token);
      again.close();
    }, 'a freed slot');
    second.close();
    others.close();
  });

  test('sockets that go away while their auth frame is being checked do not keep a per-user slot', async () => {
    const user = await signup(server, 'racing');
    // A token the server has not seen yet is verified off the event loop, so the close is handled mid-auth.
    for (let i = 0; i < 6; i++) {
      const fresh = await login(server, user);
      assert.equal(fresh.status, 200);
      const client = await WsTestClient.open(server.url);
      client.send({ type: 'auth', id: 1, token: fresh.body.access_token });
      client.socket.terminate();
      await client.closed;
      // Let the server finish checking the token (should it lag, this test passes without proof; it never fails wrongly).
      await sleep(250);
    }
    await eventually(async () => {
      const a = await WsTestClient.connect(server.url, user.auth.access_token);
      try {
        const b = await WsTestClient.connect(server.url, user.auth.access_token);
        b.close();
        await b.closed;
      } finally {
        a.close();
        await a.closed;
      }
    }, 'two sockets for a user whose earlier sockets went away mid-auth');
  });

  test('a handshake over LO_WS_MAX_CONNECTIONS_PER_IP is refused with 429 rate_limited; closing one frees a slot', async () => {
    const first = await WsTestClient.open(perIp.url);
    const second = await WsTestClient.open(perIp.url);
    assertRefused(await handshake(perIp.url), 429, 'rate_limited');
    await assertAlive(first);
    first.close();
    await first.closed;
    await eventually(async () => assert.equal((await handshake(perIp.url)).status, 101), 'a freed address slot');
    second.close();
  });

  test('a subscription over LO_WS_MAX_SUBSCRIPTIONS is refused with too_many_subscriptions; failed ones do not count', async () => {
    const [user, other] = await Promise.all([signup(server, 'subs'), signup(server, 'subs_other')]);
    const client = await WsTestClient.connect(server.url, user.auth.access_token);
    await client.ok({ type: 'sub', channel: 'public:one' });
    await client.ok({ type: 'sub', channel: 'public:two' });
    expectError(await client.request({ type: 'sub', channel: `user:${other.id}` }), 'channel_forbidden');
    expectError(await client.request({ type: 'sub', channel: 'public:two' }), 'already_subscribed');
    await client.ok({ type: 'sub', channel: 'public:three' });
    expectError(await client.request({ type: 'sub', channel: 'public:four' }), 'too_many_subscriptions');
    await client.ok({ type: 'unsub', channel: 'public:one' });
    await client.ok({ type: 'sub', channel: 'public:four' });
    expectError(await client.request({ type: 'sub', channel: 'public:five' }), 'too_many_subscriptions');
    // The cap is per connection: another socket of the same user starts from zero.
    const second = await WsTestClient.connect(server.url, user.auth.access_token);
    await second.ok({ type: 'sub', channel: 'public:five' });
    client.close();
    second.close();
  });
});

describe('rate limits', () => {
  let server: TestServer;
  before(async () => {
    const rules = TEST_ENV.LO_RATE_LIMITS!.split(',').filter((r) => !/^(publish|typing)=/.test(r));
    server = await startServer({ LO_RATE_LIMITS: [...rules, 'publish=3/60', 'typing=2/60'].join(',') });
  });
  after(() => server.close());

  test('a publish over the publish limit is refused with rate_limited and retry_after, and stores nothing', async () => {
    const [author, reader] = await Promise.all([signup(server, 'publisher'), signup(server, 'reader')]);
    const channel = await room(server, author, [reader]);
    const client = await WsTestClient.connect(server.url, author.auth.access_token);
    const { epoch } = await client.ok<{ epoch: string }>({ type: 'sub', channel });
    for (let i = 1; i <= 3; i++) {
      const result = await client.ok<{ offset: number }>({ type: 'pub', channel, data: { text: `m${i}` } });
      assert.equal(result.offset, i);
    }
    const error = expectError(await client.request({ type: 'pub', channel, data: { text: 'one too many' } }), 'rate_limited');
    assert.ok(Number.isInteger(error.retry_after) && error.retry_after! >= 1 && error.retry_after! <= 60, JSON.stringify(error));
    assert.match(error.message, /publish/);
    // Someone else is not limited by it, and the refused message was not stored.
    const other = await WsTestClient.connect(server.url, reader.auth.access_token);
    const history = await other.ok<{ missed: Array<{ data: { text: string } }> }>({ type: 'sub', channel, since: { offset: 0, epoch } });
    assert.deepEqual(
      history.missed.map((m) => m.data.text),
      ['m1', 'm2', 'm3'],
    );
    assert.equal((await other.ok<{ offset: number }>({ type: 'pub', channel, data: { text: 'reader' } })).offset, 4);
    client.close();
    other.close();
  });

  test('typing over the typing limit is refused with rate_limited; other channels and other users are not affected', async () => {
    const [typist, watcher] = await Promise.all([signup(server, 'typist'), signup(server, 'watcher')]);
    const channel = await room(server, typist, [watcher]);
    const client = await WsTestClient.connect(server.url, typist.auth.access_token);
    const observer = await WsTestClient.connect(server.url, watcher.auth.access_token);
    await client.ok({ type: 'sub', channel });
    await client.ok({ type: 'sub', channel: 'public:typing' });
    await observer.ok({ type: 'sub', channel });
    await client.ok({ type: 'typing', channel });
    await client.ok({ type: 'typing', channel });
    const error = expectError(await client.request({ type: 'typing', channel }), 'rate_limited');
    assert.ok(Number.isInteger(error.retry_after) && error.retry_after! >= 1, JSON.stringify(error));
    await client.ok({ type: 'typing', channel: 'public:typing' });
    await observer.ok({ type: 'typing', channel });
    // Everything the typist sent before this message has reached the observer by the time it does.
    const sync = await client.ok<{ id: string }>({ type: 'pub', channel, data: { text: 'sync' } });
    await observer.next((f) => f.type === 'msg' && f.id === sync.id);
    const seen = observer.pushes.filter((f) => f.type === 'typing' && f.channel === channel && f.user.id === typist.id);
    assert.equal(seen.length, 2, 'the refused typing event was not delivered');
    client.close();
    observer.close();
  });
});

describe('namespace publish limits', () => {
  test('a namespace publishLimit refuses publishes over it, over WebSocket and HTTP alike, and leaves other namespaces alone', async () => {
    const server = await startServer({ LO_NAMESPACES: JSON.stringify({ room: { publishLimit: '2/60' } }) });
    after(() => server.close());
    const author = await signup(server, 'nslimit');
    const channel = await room(server, author);
    const client = await WsTestClient.connect(server.url, author.auth.access_token);
    await client.ok({ type: 'pub', channel, data: { text: 'one' } });
    await client.ok({ type: 'pub', channel, data: { text: 'two' } });
    const error = expectError(await client.request({ type: 'pub', channel, data: { text: 'three' } }), 'rate_limited');
    assert.match(error.message, /publish:room/);
    const overHttp = await api(server, 'POST', `/rooms/${channel.slice('room:'.length)}/messages`, {
      token: author.auth.access_token,
      body: { text: 'four' },
    });
    assert.equal(overHttp.status, 429);
    assert.ok((await client.ok<{ id: string }>({ type: 'pub', channel: 'public:free', data: { n: 1 } })).id);
    client.close();
  });

  test('a malformed publishLimit is a configuration error', () => {
    assert.throws(() => loadConfig({ LO_NAMESPACES: JSON.stringify({ room: { publishLimit: 'often' } }) }), /room\.publishLimit/);
  });
});
