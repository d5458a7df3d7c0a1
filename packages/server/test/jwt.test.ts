import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT, type JWTPayload } from 'jose';
import type { ErrorCode } from '@lo/client';
import { api, assertProblem, rejectsWith } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup, type TestUser } from './helpers/users.js';

let server: TestServer;
let secret: Uint8Array;
let user: TestUser;
let sessionId: string;

before(async () => {
  server = await startServer();
  secret = new TextEncoder().encode(fs.readFileSync(path.join(server.dataDir, 'jwt-secret'), 'utf8').trim());
  user = await signup(server, 'jwt');
  const [session] = (await user.client.auth.sessions()).items;
  assert.ok(session);
  sessionId = session.id;
});
after(() => server.close());

const now = () => Math.floor(Date.now() / 1000);

/** The claims the server itself issues, for the test user's live session. */
function validClaims(): JWTPayload {
  return { sub: user.id, sid: sessionId, role: 'user', iss: 'lo', aud: 'lo-api', iat: now(), exp: now() + 600 };
}

interface Forge {
  claims?: JWTPayload;
  header?: { alg?: string; typ?: string | undefined };
  key?: Uint8Array;
}

/** Signs `claims` (default: valid ones) with the server's key and HS256/at+jwt unless told otherwise. */
async function forge({ claims = validClaims(), header = {}, key = secret }: Forge = {}): Promise<string> {
  const { alg = 'HS256', typ = 'at+jwt' } = header;
  // `typ: undefined` in `header` means: no typ header at all.
  const protectedHeader = 'typ' in header && header.typ === undefined ? { alg } : { alg, typ };
  return new SignJWT(claims).setProtectedHeader(protectedHeader).sign(key);
}

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function meWith(authorization: string | undefined) {
  return api(server, 'GET', '/me', authorization === undefined ? {} : { headers: { authorization } });
}

async function refused(token: string, code: ErrorCode = 'token_invalid') {
  assertProblem(await meWith(`Bearer ${token}`), 401, code);
}

describe('access token verification', () => {
  test('positive control: a token signed like the server signs it is accepted', async () => {
    const res = await api<{ id: string }>(server, 'GET', '/me', { token: await forge() });
    assert.equal(res.status, 200);
    assert.equal(res.body.id, user.id);
  });

  test('the server-issued token carries the expected header and claims', async () => {
    const [header, payload] = user.auth.access_token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
    assert.deepEqual(header, { alg: 'HS256', typ: 'at+jwt' });
    assert.equal(payload?.sub, user.id);
    assert.equal(payload?.sid, sessionId);
    assert.equal(payload?.iss, 'lo');
    assert.equal(payload?.aud, 'lo-api');
    assert.equal(typeof payload?.jti, 'string');
    assert.equal((payload?.exp as number) - (payload?.iat as number), 900);
  });

  test("alg 'none' (an unsigned token) is refused with token_invalid", async () => {
    const unsigned = `${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(validClaims())}.`;
    await refused(unsigned);
    // Same, with a bogus signature segment kept.
    await refused(`${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(validClaims())}.AAAA`);
  });

  test('correct claims signed with another key are refused', async () => {
    await refused(await forge({ key: new TextEncoder().encode('k'.repeat(64)) }));
  });

  test('HS512 with the right key is refused: only HS256 is allowed', async () => {
    await refused(await forge({ header: { alg: 'HS512' } }));
  });

  test('a token whose payload was edited after signing is refused', async () => {
    const [h, , s] = (await forge()).split('.');
    await refused(`${h}.${b64url({ ...validClaims(), role: 'admin' })}.${s}`);
  });

  test('an expired token is refused with token_expired', async () => {
    await refused(await forge({ claims: { ...validClaims(), iat: now() - 3600, exp: now() - 60 } }), 'token_expired');
  });

  test('a token without exp, sub or sid is refused', async () => {
    for (const missing of ['exp', 'sub', 'sid']) {
      const claims = Object.fromEntries(Object.entries(validClaims()).filter(([name]) => name !== missing));
      await refused(await forge({ claims }));
    }
  });

  test('a wrong audience or issuer is refused', async () => {
    await refused(await forge({ claims: { ...validClaims(), aud: 'other-api' } }));
    await refused(await forge({ claims: { ...validClaims(), iss: 'someone-else' } }));
    const { aud: _aud, ...noAudience } = validClaims();
    await refused(await forge({ claims: noAudience }));
  });

  test('a missing or wrong typ header is refused', async () => {
    await refused(await forge({ header: { typ: undefined } }));
    await refused(await forge({ header: { typ: 'JWT' } }));
    await refused(await forge({ header: { typ: 'refresh+jwt' } }));
  });

  test('an unknown role claim is refused', async () => {
    await refused(await forge({ claims: { ...validClaims(), role: 'root' } }));
  });

  test('a refresh token presented as a bearer access token is refused', async () => {
    await refused(user.auth.refresh_token);
  });

  test('garbage tokens are refused with token_invalid', async () => {
    for (const garbage of ['garbage', 'a.b.c', 'x'.repeat(4096), '...']) await refused(garbage);
    // Outside the bearer token syntax, or too long: still token_invalid.
    assertProblem(await meWith('Bearer not a token'), 401, 'token_invalid');
    assertProblem(await meWith(`Bearer ${'x'.repeat(4097)}`), 401, 'token_invalid');
    assertProblem(await meWith('Bearer '), 401, 'token_invalid');
  });

  test('no Authorization header gets 401 unauthenticated', async () => {
    assertProblem(await meWith(undefined), 401, 'unauthenticated');
  });

  test("the 'Basic' scheme, or a bare token without a scheme, gets token_invalid", async () => {
    assertProblem(await meWith(`Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`), 401, 'token_invalid');
    assertProblem(await meWith(user.auth.access_token), 401, 'token_invalid');
  });

  test('a validly signed token naming another user than its session owner gets session_ended', async () => {
    const other = await signup(server, 'jwtother');
    await refused(await forge({ claims: { ...validClaims(), sub: other.id } }), 'session_ended');
    await refused(await forge({ claims: { ...validClaims(), sid: '01ARZ3NDEKTSV4RRFFQ69G5FAV' } }), 'session_ended');
  });

  test('a role claim of admin does not grant admin: the role comes from the account', async () => {
    const res = await api<{ role: string }>(server, 'GET', '/me', { token: await forge({ claims: { ...validClaims(), role: 'admin' } }) });
    assert.equal(res.status, 200);
    assert.equal(res.body.role, 'user');
  });
});

describe('banned accounts', () => {
  test('a banned user gets 403 account_banned on requests, on refresh and on login', async () => {
    const banned = await signup(server, 'banned');
    assert.equal((await banned.client.me.get()).id, banned.id);
    await server.app.store.users.update(banned.id, { bannedAt: Date.now() });

    await rejectsWith(banned.client.me.get(), 403, 'account_banned');
    assertProblem(await api(server, 'GET', '/auth/sessions', { token: banned.auth.access_token }), 403, 'account_banned');
    assertProblem(
      await api(server, 'POST', '/auth/refresh', { body: { refresh_token: banned.auth.refresh_token } }),
      403,
      'account_banned',
    );
    const login = await api(server, 'POST', '/auth/login', { body: { username: banned.username, password: banned.password } });
    assertProblem(login, 403, 'account_banned');
    // A wrong password still says only invalid_credentials: the ban is not revealed to a guesser.
    const guess = await api(server, 'POST', '/auth/login', { body: { username: banned.username, password: 'wrong-password-123' } });
    assertProblem(guess, 401, 'invalid_credentials');

    // Lifting the ban restores the existing session.
    await server.app.store.users.update(banned.id, { bannedAt: null });
    assert.equal((await api(server, 'GET', '/me', { token: banned.auth.access_token })).status, 200);
  });
});
