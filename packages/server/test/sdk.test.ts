import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient, LoApiError, type Tokens } from '@lo/client';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup, strongPassword, uniqueUsername } from './helpers/users.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('the SDK refreshes an access token about to expire, once, however many calls wait for it', async () => {
  const user = await signup(server, 'sdk');
  const saved: Array<Tokens | null> = [];
  const session = user.client.session!;
  // A client resumed from saved tokens whose access token expires within the refresh margin.
  const client = createClient({ url: server.url, tokens: { ...session, expires_at: Date.now() + 1000 }, onTokens: (t) => saved.push(t) });
  const [a, b, c] = await Promise.all([client.me.get(), client.me.get(), client.friends.list()]);
  assert.equal(a.id, user.id);
  assert.equal(b.id, user.id);
  assert.deepEqual(c.items, []);
  // One rotation: a second one with the same refresh token would have been detected as reuse.
  assert.equal(saved.length, 1);
  assert.notEqual(saved[0]!.refresh_token, session.refresh_token);
  assert.ok(saved[0]!.expires_at > Date.now() + 60_000);
  assert.equal((await client.me.get()).id, user.id);
});

test('a refresh that the server refuses clears the session and surfaces the problem code', async () => {
  const user = await signup(server, 'sdk');
  const stale = user.client.session!;
  await user.client.auth.refresh(); // rotates: `stale` is now a used token
  const saved: Array<Tokens | null> = [];
  const replay = createClient({ url: server.url, tokens: { ...stale, expires_at: 0 }, onTokens: (t) => saved.push(t) });
  await assert.rejects(
    replay.me.get(),
    (error: unknown) => error instanceof LoApiError && error.code === 'refresh_token_reused' && error.status === 401,
  );
  assert.deepEqual(saved, [null]);
  assert.equal(replay.session, null);
});

test('API errors carry status, code, field errors and Retry-After', async () => {
  const client = createClient({ url: server.url });
  await assert.rejects(
    client.auth.signup({ username: 'x', password: strongPassword() }),
    (error: unknown) =>
      error instanceof LoApiError &&
      error.status === 400 &&
      error.code === 'validation_failed' &&
      error.errors.some((e) => e.path === '/username'),
  );
  const limited = await startServer({ LO_RATE_LIMITS: 'signup=1/60' });
  try {
    const c = limited.client();
    await c.auth.signup({ username: uniqueUsername(), password: strongPassword() });
    await assert.rejects(
      c.auth.signup({ username: uniqueUsername(), password: strongPassword() }),
      (error: unknown) => error instanceof LoApiError && error.code === 'rate_limited' && (error.retryAfter ?? 0) >= 1,
    );
  } finally {
    await limited.close();
  }
});

test('an unreachable server is a network_error, not a hang', async () => {
  const client = createClient({ url: 'http://127.0.0.1:9', timeoutMs: 2000 });
  await assert.rejects(
    client.health(),
    (error: unknown) => error instanceof LoApiError && error.code === 'network_error' && error.status === 0,
  );
});

test('getToken supplies the token for every call', async () => {
  const user = await signup(server, 'sdk');
  let calls = 0;
  const client = createClient({
    url: server.url,
    getToken: () => {
      calls += 1;
      return user.auth.access_token;
    },
  });
  assert.equal((await client.me.get()).username, user.username);
  await client.me.update({ display_name: 'From getToken' });
  assert.equal(calls, 2);
});
