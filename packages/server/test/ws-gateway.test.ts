import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { AuthResult } from '@lo/client';
import { api } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup, type TestUser } from './helpers/users.js';
import { WsTestClient } from './helpers/ws-client.js';
import { FrameLog, handshake, openSocket } from './helpers/ws-raw.js';
import { assertAlive, assertRefused, closeCode, expectError, login, withTimeout } from './helpers/ws-assert.js';

/** DESIGN sections 5 and 8: the WebSocket gateway's handshake, authentication, bounds and close codes. */

describe('handshake', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ LO_ALLOWED_ORIGINS: 'https://app.example' });
  });
  after(() => server.close());

  test('a path other than /ws is refused with 404 route_not_found; a query string on /ws is fine', async () => {
    for (const path of ['/', '/wss', '/ws/', '/ws/x', '/api/ws', '/WS']) {
      assertRefused(await handshake(server.url, { path }), 404, 'route_not_found');
    }
    assert.equal((await handshake(server.url, { path: '/ws?v=1' })).status, 101);
  });

  test('an upgrade without the lo.v1 subprotocol is refused with 400 validation_failed', async () => {
    for (const protocols of [[], ['lo.v2'], ['lo', 'v1'], ['LO.V1']]) {
      assertRefused(await handshake(server.url, { protocols }), 400, 'validation_failed');
    }
    const offered = await handshake(server.url, { protocols: ['chat', 'lo.v1'] });
    assert.deepEqual([offered.status, offered.protocol], [101, 'lo.v1']);
  });

  test('an Origin not in LO_ALLOWED_ORIGINS is refused with 403 origin_not_allowed', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.evil', 'http://app.example', 'https://app.example:8443', 'null']) {
      assertRefused(await handshake(server.url, { origin }), 403, 'origin_not_allowed');
    }
  });

  test('a listed Origin, no Origin header (not a browser) and the server’s own origin are accepted', async () => {
    const own = new URL(server.url).origin;
    for (const origin of ['https://app.example', undefined, own]) {
      const outcome = await handshake(server.url, origin === undefined ? {} : { origin });
      assert.deepEqual([outcome.status, outcome.protocol], [101, 'lo.v1'], `origin ${String(origin)}`);
    }
  });

  test('a refused origin is checked before the subprotocol (a browser page cannot probe the server)', async () => {
    assertRefused(await handshake(server.url, { origin: 'https://evil.example', protocols: [] }), 403, 'origin_not_allowed');
  });
});

describe('authentication', () => {
  let server: TestServer;
  let quick: TestServer;
  before(async () => {
    [server, quick] = await Promise.all([startServer(), startServer({ LO_WS_AUTH_TIMEOUT: '1' })]);
  });
  after(() => Promise.all([server.close(), quick.close()]));

  test('a socket that sends no auth frame within LO_WS_AUTH_TIMEOUT is closed with 4500 auth_timeout', async () => {
    const client = await WsTestClient.open(quick.url);
    const closed = await withTimeout(client.closed, 'auth timeout close');
    assert.deepEqual(closed, { code: 4500, reason: 'auth_timeout' });
  });

  test('an authenticated socket is not closed by the auth timeout', async () => {
    const user = await signup(quick, 'authed');
    const client = await WsTestClient.connect(quick.url, user.auth.access_token);
    await sleep(2500);
    await assertAlive(client);
    client.close();
  });

  test('the auth reply carries the user, the token lifetime and the connection id', async () => {
    const user = await signup(server, 'reply');
    const client = await WsTestClient.open(server.url);
    const result = await client.ok<{ user: unknown; expires_in: number; client: string }>({ type: 'auth', token: user.auth.access_token });
    assert.deepEqual(result.user, { id: user.id, username: user.username });
    assert.ok(Number.isInteger(result.expires_in) && result.expires_in > 0 && result.expires_in <= 900, String(result.expires_in));
    assert.match(result.client, /^[\w-]{8,}$/);
    client.close();
  });

  test('an invalid token closes the socket with 4501 auth_failed', async () => {
    const user = await signup(server, 'badtoken');
    const [header, payload, signature] = user.auth.access_token.split('.') as [string, string, string];
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
    for (const token of ['garbage', `${header}.${payload}.${flipped}`, user.auth.refresh_token, `${header}.${payload}.`]) {
      const client = await WsTestClient.open(server.url);
      client.send({ type: 'auth', id: 1, token });
      assert.deepEqual(await withTimeout(client.closed, 'auth_failed close'), { code: 4501, reason: 'auth_failed' }, token);
    }
  });

  test('the token of a logged-out session closes the socket with 4502 session_ended', async () => {
    const user = await signup(server, 'loggedout');
    const token = user.auth.access_token;
    await user.client.auth.logout();
    const client = await WsTestClient.open(server.url);
    client.send({ type: 'auth', id: 1, token });
    assert.deepEqual(await withTimeout(client.closed, 'session_ended close'), { code: 4502, reason: 'session_ended' });
  });

  // Guards the reconnect path against serving an earlier, successful check of the same token: a
  // reconnecting client's next socket must see the session end, the ban or the deletion at once.
  test('a token that just opened a socket opens no other once its session ended, its account is banned or deleted', async () => {
    const [loggedOut, banned, deleted] = await Promise.all([
      signup(server, 'againout'),
      signup(server, 'againban'),
      signup(server, 'againdel'),
    ]);
    const first = await Promise.all([loggedOut, banned, deleted].map((u) => WsTestClient.connect(server.url, u.auth.access_token)));
    await loggedOut.client.auth.logout();
    await server.app.store.users.update(banned.id, { bannedAt: Date.now() });
    assert.equal((await api(server, 'DELETE', '/me', { token: deleted.auth.access_token })).status, 204);
    for (const user of [loggedOut, banned, deleted]) {
      const next = await WsTestClient.open(server.url);
      next.send({ type: 'auth', id: 1, token: user.auth.access_token });
      assert.deepEqual(await withTimeout(next.closed, `${user.username} refused`), { code: 4502, reason: 'session_ended' });
    }
    // A ban refuses new sockets but does not end the open one (SECURITY.md); the other two were closed.
    assert.deepEqual(await Promise.all([first[0]!, first[2]!].map((c) => closeCode(c))), [4502, 4502]);
    await assertAlive(first[1]!);
    first[1]!.close();
  });

  test('logging out over HTTP closes that session’s sockets with 4502; the same user’s other session stays connected', async () => {
    const user = await signup(server, 'twosessions');
    const second = await login(server, user);
    assert.equal(second.status, 200);
    const first = await WsTestClient.connect(server.url, user.auth.access_token);
    const firstAgain = await WsTestClient.connect(server.url, user.auth.access_token);
    const other = await WsTestClient.connect(server.url, second.body.access_token);
    const logout = await api(server, 'POST', '/auth/logout', { token: user.auth.access_token });
    assert.ok(logout.status >= 200 && logout.status < 300, JSON.stringify(logout.body));
    assert.deepEqual(await withTimeout(first.closed, 'first close'), { code: 4502, reason: 'session_ended' });
    assert.deepEqual(await withTimeout(firstAgain.closed, 'second socket close'), { code: 4502, reason: 'session_ended' });
    await assertAlive(other);
    // The surviving socket still acts as the user.
    await other.ok({ type: 'sub', channel: `user:${user.id}` });
    other.close();
  });

  test('an auth frame with another user’s token is refused with forbidden and the socket stays with its user', async () => {
    const [alice, bob] = await Promise.all([signup(server, 'alice'), signup(server, 'bob')]);
    const client = await WsTestClient.connect(server.url, alice.auth.access_token);
    expectError(await client.request({ type: 'auth', token: bob.auth.access_token }), 'forbidden');
    await assertAlive(client);
    expectError(await client.request({ type: 'sub', channel: `user:${bob.id}` }), 'channel_forbidden');
    await client.ok({ type: 'sub', channel: `user:${alice.id}` });
    client.close();
  });

  test('a bad token in a later auth frame is an error reply; the socket keeps its authentication', async () => {
    const user = await signup(server, 'reauth');
    const client = await WsTestClient.connect(server.url, user.auth.access_token);
    expectError(await client.request({ type: 'auth', token: 'garbage' }), 'token_invalid');
    await client.ok({ type: 'sub', channel: `user:${user.id}` });
    client.close();
  });

  test('frames before auth get not_authenticated (ping is answered), and auth still works afterwards', async () => {
    const user = await signup(server, 'early');
    const client = await WsTestClient.open(server.url);
    expectError(await client.request({ type: 'sub', channel: 'public:early' }), 'not_authenticated');
    expectError(await client.request({ type: 'pub', channel: 'public:early', data: 1 }), 'not_authenticated');
    expectError(await client.request({ type: 'status.get' }), 'not_authenticated');
    client.send({ type: 'typing', channel: 'public:early' });
    const pushed = await client.next((f) => f.type === 'error');
    assert.equal(pushed.type === 'error' && pushed.error.code, 'not_authenticated');
    await assertAlive(client);
    await client.ok({ type: 'auth', token: user.auth.access_token });
    await client.ok({ type: 'sub', channel: 'public:early' });
    client.close();
  });
});

describe('token expiry', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ LO_ACCESS_TOKEN_TTL: '5' });
  });
  after(() => server.close());

  test('a socket is closed with 4001 when its token expires, unless a fresh auth frame renewed it first', async () => {
    const user = await signup(server, 'expiry');
    const stale = await WsTestClient.connect(server.url, user.auth.access_token);
    const renewed = await WsTestClient.connect(server.url, user.auth.access_token);
    // Tokens carry whole seconds: wait long enough that the refreshed token expires clearly later.
    await sleep(3500);
    const refreshed = await api<AuthResult>(server, 'POST', '/auth/refresh', { body: { refresh_token: user.auth.refresh_token } });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    const result = await renewed.ok<{ user: { id: string } }>({ type: 'auth', token: refreshed.body.access_token });
    assert.equal(result.user.id, user.id);

    assert.deepEqual(await withTimeout(stale.closed, 'token expiry close'), { code: 4001, reason: 'token_expired' });
    await assertAlive(renewed);
    // The renewed socket's own (later) expiry is enforced too.
    assert.deepEqual(await withTimeout(renewed.closed, 'renewed token expiry close'), { code: 4001, reason: 'token_expired' });

    // An already expired token in the first auth frame closes with the same reconnect code.
    const late = await WsTestClient.open(server.url);
    late.send({ type: 'auth', id: 1, token: user.auth.access_token });
    assert.deepEqual(await withTimeout(late.closed, 'expired token close'), { code: 4001, reason: 'token_expired' });
  });
});

describe('frames', () => {
  let server: TestServer;
  let user: TestUser;
  before(async () => {
    server = await startServer();
    user = await signup(server, 'frames');
  });
  after(() => server.close());

  const connect = () => WsTestClient.connect(server.url, user.auth.access_token);

  test('a frame over 16 KiB closes the socket with 1009; one of exactly 16 KiB is read and answered', async () => {
    const client = await connect();
    const frame = (size: number) => {
      const head = '{"type":"pub","id":"big","channel":"public:big","data":"';
      return head + 'x'.repeat(size - head.length - 2) + '"}';
    };
    assert.equal(Buffer.byteLength(frame(16 * 1024)), 16 * 1024);
    const log = new FrameLog(client.socket);
    client.send(frame(16 * 1024));
    // Its data is over the 4 KiB publication bound: an ordinary error reply, not a close.
    const reply = await log.reply('big');
    assert.ok(reply !== null && 're' in reply && !reply.ok, JSON.stringify(reply));
    assert.equal(reply.error.code, 'content_too_long');
    await assertAlive(client);

    client.send(frame(16 * 1024 + 1));
    assert.equal(await closeCode(client), 1009);
  });

  test('data nested too deeply to measure gets an invalid_frame reply, before and after auth, and the server stays up', async () => {
    const deep = (id: string, depth: number) =>
      `{"type":"pub","id":"${id}","channel":"public:deep","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const anonymous = await WsTestClient.open(server.url);
    const log = new FrameLog(anonymous.socket);
    anonymous.send(deep('before', 8000));
    const early = await log.reply('before');
    assert.ok(early !== null && 're' in early && !early.ok, JSON.stringify(early));
    assert.equal(early.error.code, 'invalid_frame');

    const client = await connect();
    const replies = new FrameLog(client.socket);
    for (const depth of [65, 1000, 5000, 8000]) {
      client.send(deep(`d${depth}`, depth));
      const reply = await replies.reply(`d${depth}`);
      assert.ok(reply !== null && 're' in reply && !reply.ok, `depth ${depth}: ${JSON.stringify(reply)}`);
      assert.equal(reply.error.code, 'invalid_frame', `depth ${depth}`);
    }
    // Ordinary nesting is fine.
    await client.ok({ type: 'sub', channel: 'public:deep' });
    const nested = JSON.parse('['.repeat(20) + '"x"' + ']'.repeat(20)) as unknown;
    await client.ok({ type: 'pub', channel: 'public:deep', data: nested });
    await assertAlive(anonymous);
    assert.equal((await api(server, 'GET', '/health/ready')).status, 200);
    anonymous.close();
    client.close();
  });

  test('a binary frame closes the socket with 4503 protocol_error', async () => {
    const client = await connect();
    client.socket.send(Buffer.from(JSON.stringify({ type: 'ping', id: 1 })), { binary: true });
    assert.deepEqual(await withTimeout(client.closed, 'close'), { code: 4503, reason: 'protocol_error' });
  });

  test('text that is not JSON, or JSON that is not an object, closes the socket with 4503 protocol_error', async () => {
    for (const text of ['hello', '{"type":"ping"', '', '[{"type":"ping","id":1}]', '"ping"', '42', 'null', 'true', "{'type':'ping'}"]) {
      const client = await connect();
      client.send(text);
      assert.deepEqual(await withTimeout(client.closed, 'close'), { code: 4503, reason: 'protocol_error' }, text);
    }
  });

  test('an unauthenticated socket that sends a non-object is closed with 4503 too', async () => {
    const client = await WsTestClient.open(server.url);
    client.send('[]');
    assert.equal(await closeCode(client), 4503);
  });

  const long = 'public:' + 'x'.repeat(122);
  /** [frame, the `re` of the invalid_frame reply (undefined: an error push), what the message mentions]. */
  const MALFORMED: Array<[unknown, string | number | undefined, RegExp]> = [
    [{ type: 'nope', id: 1 }, 1, /type/],
    [{ id: 2 }, 2, /type/],
    [{ type: 'toString', id: 3 }, 3, /type/],
    [{ type: '__proto__', id: 4 }, 4, /type/],
    [{ type: 'sub', channel: 'public:x' }, undefined, /needs an id/],
    [{ type: 'unsub', channel: 'public:x' }, undefined, /needs an id/],
    [{ type: 'pub', channel: 'public:x', data: 1 }, undefined, /needs an id/],
    [{ type: 'sub', id: 'u', channel: 'public:x', extra: true }, 'u', /unknown field "extra"/],
    [JSON.parse('{"type":"sub","id":"p","channel":"public:x","__proto__":{"admin":true}}'), 'p', /unknown field "__proto__"/],
    [{ type: 'ping', id: 'c', constructor: 1 }, 'c', /unknown field "constructor"/],
    [{ type: 'sub', id: 5, channel: 5 }, 5, /channel/],
    [{ type: 'sub', id: 6, channel: long }, 6, /channel/],
    [{ type: 'sub', id: 7, channel: 'public:a b' }, 7, /channel/],
    [{ type: 'sub', id: 8, channel: 'nowhere:x' }, 8, /channel/],
    [{ type: 'sub', id: 9, channel: 'public:' }, 9, /channel/],
    [{ type: 'sub', id: 10, channel: 'public:x', since: { offset: -1, epoch: 'e' } }, 10, /since/],
    [{ type: 'sub', id: 11, channel: 'public:x', since: { offset: 1.5, epoch: 'e' } }, 11, /since/],
    [{ type: 'sub', id: 12, channel: 'public:x', since: { offset: 1 } }, 12, /since/],
    [{ type: 'sub', id: 13, channel: 'public:x', since: { offset: 1, epoch: 'e', x: 1 } }, 13, /since/],
    [{ type: 'sub', id: 14, channel: 'public:x', since: null }, 14, /since/],
    [{ type: 'sub', id: 15, channel: 'public:x', since: '0' }, 15, /since/],
    [{ type: 'sub', id: 16, channel: 'public:x', since: { offset: '1', epoch: 'e' } }, 16, /since/],
    [{ type: 'sub', id: 17, channel: 'public:x', since: { offset: 1e300, epoch: 'e' } }, 17, /since/],
    [{ type: 'pub', id: 18, channel: 'public:x' }, 18, /data/],
    [{ type: 'pub', id: 19, channel: 'public:x', data: {}, client_msg_id: 'c'.repeat(65) }, 19, /client_msg_id/],
    [{ type: 'pub', id: 20, channel: 'public:x', data: {}, client_msg_id: '' }, 20, /client_msg_id/],
    [{ type: 'pub', id: 21, channel: 'public:x', data: {}, client_msg_id: 7 }, 21, /client_msg_id/],
    [{ type: 'presence', id: 22, channel: 'public:x' }, 22, /state/],
    [{ type: 'presence', id: 23, channel: 'public:x', state: 'x'.repeat(600) }, 23, /state/],
    [{ type: 'status', id: 24, status: 'away' }, 24, /status/],
    [{ type: 'status', id: 25 }, 25, /status/],
    [{ type: 'auth', id: 26 }, 26, /token/],
    [{ type: 'auth', id: 27, token: 42 }, 27, /token/],
    [{ type: 'typing', id: 28 }, 28, /channel/],
    [{ type: 'ping', id: 1.5 }, undefined, /id/],
    [{ type: 'ping', id: 'i'.repeat(65) }, undefined, /id/],
    [{ type: 'ping', id: '' }, undefined, /id/],
    [{ type: 'ping', id: {} }, undefined, /id/],
    [{ type: 'ping', id: null }, undefined, /id/],
    [{ type: 'sub', id: 2 ** 53, channel: 'public:x' }, undefined, /id/],
    [{ type: 7, id: 29 }, 29, /type/],
  ];

  test('malformed frames get invalid_frame replies with the right re (or an error push without a usable id); the socket keeps working', async () => {
    const client = await connect();
    const log = new FrameLog(client.socket);
    for (const [frame, re, mentions] of MALFORMED) {
      const from = log.frames.length;
      client.send(frame);
      const index = await log.waitFor((f) => ('re' in f && f.re !== 'sync') || ('type' in f && f.type === 'error'), from);
      assert.notEqual(index, null, `socket closed after ${JSON.stringify(frame)}`);
      const answer = log.frames[index!]!;
      const label = JSON.stringify(frame).slice(0, 120);
      if (re === undefined) {
        assert.ok('type' in answer && answer.type === 'error', `${label}: expected an error push, got ${JSON.stringify(answer)}`);
        assert.equal(answer.error.code, 'invalid_frame', label);
        assert.match(answer.error.message, mentions, label);
      } else {
        assert.ok('re' in answer && !answer.ok, `${label}: expected an error reply, got ${JSON.stringify(answer)}`);
        assert.deepEqual([answer.re, answer.error.code], [re, 'invalid_frame'], label);
        assert.match(answer.error.message, mentions, label);
      }
    }
    // One answer per malformed frame, nothing else, and the socket still works.
    client.send({ type: 'ping', id: 'sync' });
    await log.reply('sync');
    assert.equal(log.frames.length, MALFORMED.length + 1);
    await client.ok({ type: 'sub', channel: 'public:after-junk' });
    const published = await client.ok<{ id: string }>({ type: 'pub', channel: 'public:after-junk', data: { ok: true } });
    const message = await client.next((f) => f.type === 'msg' && f.id === published.id);
    assert.deepEqual(message.type === 'msg' && message.data, { ok: true });
    client.close();
  });
});

describe('heartbeat', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ LO_WS_PING_INTERVAL: '1' });
  });
  after(() => server.close());

  test('a peer that does not answer pings is dropped while a normal client stays connected', async () => {
    const user = await signup(server, 'heartbeat');
    const healthy = await WsTestClient.connect(server.url, user.auth.access_token);
    const silent = new FrameLog(await openSocket(server.url, { autoPong: false }));
    let pings = 0;
    silent.socket.on('ping', () => pings++);
    silent.send({ type: 'auth', id: 'a', token: user.auth.access_token });
    const reply = await silent.reply('a');
    assert.ok(reply !== null && 're' in reply && reply.ok, JSON.stringify(reply));

    const closed = await withTimeout(silent.closed, 'the silent peer being dropped');
    assert.equal(closed.code, 1006, 'terminated without a close frame');
    assert.ok(pings >= 1, 'the server pinged before dropping it');
    // A few more beats: the answering client is still there.
    await sleep(2500);
    await assertAlive(healthy);
    const outcome = await Promise.race([healthy.closed, sleep(0).then(() => 'open')]);
    assert.equal(outcome, 'open');
    healthy.close();
  });
});

describe('shutdown', () => {
  test('closing the app closes open sockets with 4000 server_shutdown and refuses new ones', async () => {
    const server = await startServer();
    try {
      const user = await signup(server, 'shutdown');
      const authed = await WsTestClient.connect(server.url, user.auth.access_token);
      const pending = await WsTestClient.open(server.url);
      await withTimeout(server.app.close(), 'app.close()');
      assert.deepEqual(await withTimeout(authed.closed, 'close'), { code: 4000, reason: 'server_shutdown' });
      assert.deepEqual(await withTimeout(pending.closed, 'close'), { code: 4000, reason: 'server_shutdown' });
      await assert.rejects(WsTestClient.open(server.url));
    } finally {
      fs.rmSync(server.dataDir, { recursive: true, force: true });
    }
  });
});
