import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuthResult, SessionInfo } from '@lo/client';
import { api, assertProblem, rejectsWith } from './helpers/http.js';
import { startServer, TEST_ENV, type TestServer } from './helpers/test-server.js';
import { signup, strongPassword, uniqueUsername } from './helpers/users.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** A well-formed id that no session or user has. */
const UNKNOWN_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

function signupRaw(target: TestServer, username: string, password: string, headers: Record<string, string> = {}) {
  return api<AuthResult>(target, 'POST', '/auth/signup', { body: { username, password }, headers });
}

function loginRaw(target: TestServer, username: string, password: string, ip?: string) {
  return api<AuthResult>(target, 'POST', '/auth/login', {
    body: { username, password },
    headers: ip === undefined ? {} : { 'x-forwarded-for': ip },
  });
}

function refreshRaw(refreshToken: string) {
  return api<AuthResult>(server, 'POST', '/auth/refresh', { body: { refresh_token: refreshToken } });
}

function getMe(token: string) {
  return api(server, 'GET', '/me', { token });
}

describe('signup', () => {
  test('answers 201 with the user, a bearer access token, a refresh token and the access lifetime', async () => {
    const username = uniqueUsername('Shape');
    const res = await signupRaw(server, username, strongPassword());
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type', 'user']);
    assert.match(res.body.user.id, ULID_PATTERN);
    assert.deepEqual(res.body.user, { id: res.body.user.id, username });
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(res.body.expires_in, 900);
    assert.equal(res.body.access_token.split('.').length, 3);
    assert.ok(res.body.refresh_token.length >= 43, 'refresh token carries at least 256 bits');
    const me = await getMe(res.body.access_token);
    assert.equal(me.status, 200);
  });

  test('refuses usernames outside the pattern or the 3 to 32 character bounds', async () => {
    const suffix = uniqueUsername('').slice(1, 8);
    for (const bad of ['ab', 'x'.repeat(33), '.starts_with_dot', '-dash' + suffix, 'has space', 'ümlaut' + suffix, 'semi;colon', '']) {
      const res = await signupRaw(server, bad, strongPassword());
      const problem = assertProblem(res, 400, 'validation_failed');
      assert.ok(
        problem.errors?.some((e) => e.path === '/username'),
        `${bad}: ${JSON.stringify(problem.errors)}`,
      );
    }
    const exactBounds = [`a${suffix}`.slice(0, 3), (`b.-_${suffix}` + 'z'.repeat(32)).slice(0, 32)];
    for (const good of exactBounds) {
      const res = await signupRaw(server, good, strongPassword());
      assert.equal(res.status, 201, `${good}: ${JSON.stringify(res.body)}`);
    }
  });

  test('usernames are unique regardless of case (409 username_taken), and login ignores case', async () => {
    const username = uniqueUsername('CaseUser');
    const password = strongPassword();
    assert.equal((await signupRaw(server, username, password)).status, 201);
    assertProblem(await signupRaw(server, username.toLowerCase(), strongPassword()), 409, 'username_taken');
    assertProblem(await signupRaw(server, username.toUpperCase(), strongPassword()), 409, 'username_taken');
    const login = await loginRaw(server, username.toUpperCase(), password);
    assert.equal(login.status, 200);
    assert.equal(login.body.user.username, username, 'the stored spelling is kept');
  });

  test('refuses passwords under 8 or over 128 code points with 400 password_too_weak', async () => {
    const weak = async (password: string) =>
      assertProblem(await signupRaw(server, uniqueUsername('pw'), password), 400, 'password_too_weak');
    await weak('aB3$xY7');
    // Seven astral characters are 14 UTF-16 units but 7 code points: still too short.
    await weak('🔒'.repeat(7));
    await weak('q'.repeat(129));
    await weak('🔒'.repeat(129));
    // The bounds themselves are allowed.
    assert.equal((await signupRaw(server, uniqueUsername('pw'), 'zq9#Lm2!')).status, 201);
    assert.equal((await signupRaw(server, uniqueUsername('pw'), '🔒'.repeat(128))).status, 201);
  });

  test('refuses common passwords, compared without case, with 400 password_too_weak', async () => {
    // All four are in @zxcvbn-ts/language-common's passwords-common list.
    for (const common of ['password', 'qwertyuiop', 'baseball1', 'PassWord1']) {
      assertProblem(await signupRaw(server, uniqueUsername('pw'), common), 400, 'password_too_weak');
    }
  });

  test('refuses a password equal to the username (ignoring case)', async () => {
    const username = uniqueUsername('same');
    assertProblem(await signupRaw(server, username, username.toUpperCase()), 400, 'password_too_weak');
    assertProblem(await loginRaw(server, username, username.toUpperCase()), 401, 'invalid_credentials');
  });

  test('refuses unknown body fields such as a role (400 validation_failed)', async () => {
    const res = await api(server, 'POST', '/auth/signup', {
      body: { username: uniqueUsername('mass'), password: strongPassword(), role: 'admin' },
    });
    const problem = assertProblem(res, 400, 'validation_failed');
    assert.deepEqual(
      problem.errors?.map((e) => e.path),
      ['/role'],
    );
  });
});

describe('login', () => {
  test('a user logs in with the right password and gets a working, separate session', async () => {
    const user = await signup(server, 'login');
    const res = await loginRaw(server, user.username, user.password);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.user, { id: user.id, username: user.username });
    assert.notEqual(res.body.refresh_token, user.auth.refresh_token);
    assert.equal((await getMe(res.body.access_token)).status, 200);
  });

  test('an unknown user and a wrong password get the same 401 invalid_credentials', async () => {
    const user = await signup(server, 'creds');
    const wrong = assertProblem(await loginRaw(server, user.username, strongPassword()), 401, 'invalid_credentials');
    const unknown = assertProblem(await loginRaw(server, uniqueUsername('ghost'), strongPassword()), 401, 'invalid_credentials');
    assert.equal(wrong.detail, unknown.detail);
    assert.equal(wrong.title, unknown.title);
  });
});

describe('refresh tokens', () => {
  test('refresh rotates both tokens; the new access token works and the old refresh token is spent', async () => {
    const user = await signup(server, 'rotate');
    const res = await refreshRaw(user.auth.refresh_token);
    assert.equal(res.status, 200);
    assert.equal(res.body.user.id, user.id);
    assert.notEqual(res.body.refresh_token, user.auth.refresh_token);
    assert.notEqual(res.body.access_token, user.auth.access_token);
    assert.equal((await getMe(res.body.access_token)).status, 200);
    // A second rotation from the new token works too.
    assert.equal((await refreshRaw(res.body.refresh_token)).status, 200);
  });

  test('reusing a spent refresh token ends the whole session: its access token and its newest refresh token fail', async () => {
    const user = await signup(server, 'reuse');
    const first = await refreshRaw(user.auth.refresh_token);
    assert.equal(first.status, 200);
    assertProblem(await refreshRaw(user.auth.refresh_token), 401, 'refresh_token_reused');
    assertProblem(await getMe(first.body.access_token), 401, 'session_ended');
    assertProblem(await getMe(user.auth.access_token), 401, 'session_ended');
    assertProblem(await refreshRaw(first.body.refresh_token), 401, 'refresh_token_invalid');
    // Other sessions of the same user are not touched.
    const other = await loginRaw(server, user.username, user.password);
    assert.equal((await getMe(other.body.access_token)).status, 200);
  });

  test('an unknown refresh token gets 401 refresh_token_invalid', async () => {
    assertProblem(await refreshRaw('x'.repeat(43)), 401, 'refresh_token_invalid');
    assertProblem(await api(server, 'POST', '/auth/refresh', { body: {} }), 400, 'validation_failed');
  });
});

describe('logout and sessions', () => {
  test('logout ends the session: its access token gets 401 session_ended and its refresh token fails', async () => {
    const user = await signup(server, 'logout');
    const res = await api(server, 'POST', '/auth/logout', { token: user.auth.access_token });
    assert.equal(res.status, 204);
    assertProblem(await getMe(user.auth.access_token), 401, 'session_ended');
    assertProblem(await refreshRaw(user.auth.refresh_token), 401, 'refresh_token_invalid');
    assert.equal(user.client.session?.access_token, user.auth.access_token, 'the raw logout did not go through the SDK');
  });

  test('the SDK logout drops its tokens and the server ends the session', async () => {
    const user = await signup(server, 'sdklogout');
    await user.client.auth.logout();
    assert.equal(user.client.session, null);
    assertProblem(await getMe(user.auth.access_token), 401, 'session_ended');
  });

  test('GET /auth/sessions lists my live sessions with their device and which one is current', async () => {
    const phone = server.client();
    const username = uniqueUsername('devices');
    const password = strongPassword();
    const phoneAuth = await phone.auth.signup({ username, password, device: 'Pixel 9' });
    const laptop = server.client();
    const laptopAuth = await laptop.auth.login({ username, password, device: 'laptop' });
    const bare = server.client();
    await bare.auth.login({ username, password });
    const ended = server.client();
    await ended.auth.login({ username, password, device: 'old tablet' });
    await ended.auth.logout();

    const { items } = await laptop.auth.sessions();
    assert.equal(items.length, 3, 'the logged-out session is not listed');
    const byDevice = new Map(items.map((s) => [s.device, s]));
    assert.deepEqual([...byDevice.keys()].sort(), ['Pixel 9', 'laptop', null].sort());
    assert.deepEqual(
      items.filter((s) => s.current).map((s) => s.device),
      ['laptop'],
    );
    for (const s of items) {
      assert.deepEqual(Object.keys(s).sort(), ['created_at', 'current', 'device', 'expires_at', 'id', 'last_used_at']);
      assert.match(s.id, ULID_PATTERN);
      assert.ok(Date.parse(s.expires_at) > Date.parse(s.created_at));
    }
    const fromPhone = await phone.auth.sessions();
    assert.deepEqual(
      fromPhone.items.filter((s) => s.current).map((s) => s.device),
      ['Pixel 9'],
    );
    assert.equal(phoneAuth.user.id, laptopAuth.user.id);
  });

  test('DELETE /auth/sessions/:id ends another session of mine at once', async () => {
    const username = uniqueUsername('revoke');
    const password = strongPassword();
    const phone = server.client();
    const phoneAuth = await phone.auth.signup({ username, password, device: 'phone' });
    const laptop = server.client();
    await laptop.auth.login({ username, password, device: 'laptop' });
    const phoneSession = (await laptop.auth.sessions()).items.find((s: SessionInfo) => s.device === 'phone');
    assert.ok(phoneSession);

    const res = await api(server, 'DELETE', `/auth/sessions/${phoneSession.id}`, { token: laptop.session!.access_token });
    assert.equal(res.status, 204);
    assertProblem(await getMe(phoneAuth.access_token), 401, 'session_ended');
    assertProblem(await refreshRaw(phoneAuth.refresh_token), 401, 'refresh_token_invalid');
    assert.deepEqual(
      (await laptop.auth.sessions()).items.map((s) => s.device),
      ['laptop'],
    );
    // Ending it again: it is no longer an active session.
    await rejectsWith(laptop.auth.endSession(phoneSession.id), 404, 'session_not_found');
  });

  test("an unknown session id or another user's session id gets 404 session_not_found and ends nothing", async () => {
    const me = await signup(server, 'mine');
    const other = await signup(server, 'theirs');
    const [otherSession] = (await other.client.auth.sessions()).items;
    assert.ok(otherSession);
    await rejectsWith(me.client.auth.endSession(UNKNOWN_ID), 404, 'session_not_found');
    await rejectsWith(me.client.auth.endSession(otherSession.id), 404, 'session_not_found');
    assert.equal((await getMe(other.auth.access_token)).status, 200, "the other user's session still works");
    await rejectsWith(me.client.auth.endSession('not-a-ulid'), 400, 'validation_failed');
  });
});

/** The tests' generous limits, with the login rules overridden (later items win). */
function loginLimits(overrides: string): Record<string, string> {
  return { LO_TRUST_PROXY: 'true', LO_RATE_LIMITS: `${TEST_ENV.LO_RATE_LIMITS},${overrides}` };
}

describe('login throttling', () => {
  let limited: TestServer;
  before(async () => {
    limited = await startServer(loginLimits('login_ip=1000/60,login_account_ip=3/600,login_account=6/600'));
  });
  after(() => limited.close());

  async function account(ip: string) {
    const username = uniqueUsername('throttled');
    const password = strongPassword();
    assert.equal((await signupRaw(limited, username, password, { 'x-forwarded-for': ip })).status, 201);
    return { username, password };
  }

  test('repeated wrong passwords for one account from one IP hit 429 with Retry-After and RateLimit headers', async () => {
    const { username, password } = await account('10.0.0.1');
    for (let i = 0; i < 3; i++)
      assertProblem(await loginRaw(limited, username, 'wrong-' + strongPassword(), '10.1.0.1'), 401, 'invalid_credentials');
    // The fourth attempt is refused before the password is even looked at, right or wrong.
    const refused = await loginRaw(limited, username, password, '10.1.0.1');
    assertProblem(refused, 429, 'rate_limited');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 600, `Retry-After ${retryAfter}`);
    assert.equal(refused.headers.get('ratelimit-policy'), '"login_account_ip";q=3;w=600');
    assert.match(refused.headers.get('ratelimit') ?? '', /^"login_account_ip";r=0;t=\d+$/);
    // The owner, from the IP they signed up from, is not affected.
    assert.equal((await loginRaw(limited, username, password, '10.0.0.1')).status, 200);
  });

  test('a successful login clears the failures counted for that account and IP', async () => {
    const { username, password } = await account('10.0.1.1');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++)
        assertProblem(await loginRaw(limited, username, 'nope-' + strongPassword(), '10.0.1.1'), 401, 'invalid_credentials');
      assert.equal((await loginRaw(limited, username, password, '10.0.1.1')).status, 200, `round ${round}`);
    }
  });

  test('failures spread over many IPs exhaust the account-wide limit for new IPs, but not the owner at a known IP', async () => {
    const { username, password } = await account('10.2.0.1');
    for (let i = 1; i <= 6; i++) {
      assertProblem(await loginRaw(limited, username, 'guess-' + strongPassword(), `10.3.0.${i}`), 401, 'invalid_credentials');
    }
    // A fresh IP is refused even with the right password: the attacker cannot tell a right guess.
    const refused = await loginRaw(limited, username, password, '10.3.0.99');
    assertProblem(refused, 429, 'rate_limited');
    assert.equal(refused.headers.get('ratelimit-policy'), '"login_account";q=6;w=600');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assertProblem(await loginRaw(limited, username, 'guess-' + strongPassword(), '10.3.0.100'), 429, 'rate_limited');
    // No lockout: the real user, from the IP they have had a session from, still gets in.
    const owner = await loginRaw(limited, username, password, '10.2.0.1');
    assert.equal(owner.status, 200);
    assert.equal((await api(limited, 'GET', '/me', { token: owner.body.access_token })).status, 200);
    // Other accounts are not affected by this account's limit.
    const bystander = await account('10.4.0.1');
    assert.equal((await loginRaw(limited, bystander.username, bystander.password, '10.3.0.99')).status, 200);
  });

  test('a burst of concurrent guesses gets no more password checks than the limits allow', async () => {
    const statuses = async (attempts: Array<Promise<{ status: number }>>) => (await Promise.all(attempts)).map((r) => r.status).sort();
    // One IP, one account: only login_account_ip=3 guesses are checked, however many arrive at once.
    const pair = await account('10.0.9.1');
    const fromOneIp = Array.from({ length: 12 }, (_, i) => loginRaw(limited, pair.username, `guess-${i}-${strongPassword()}`, '10.5.0.1'));
    assert.deepEqual(await statuses(fromOneIp), [...Array<number>(3).fill(401), ...Array<number>(9).fill(429)]);
    // Many IPs, one account: only login_account=6 guesses are checked.
    const spread = await account('10.0.9.2');
    const fromManyIps = Array.from({ length: 12 }, (_, i) =>
      loginRaw(limited, spread.username, `guess-${i}-${strongPassword()}`, `10.6.0.${i + 1}`),
    );
    assert.deepEqual(await statuses(fromManyIps), [...Array<number>(6).fill(401), ...Array<number>(6).fill(429)]);
    assert.equal((await loginRaw(limited, spread.username, spread.password, '10.0.9.2')).status, 200, 'the owner still gets in');
  });

  test('the per-IP limit refuses an IP that tries many different accounts, while other IPs still log in', async () => {
    const perIp = await startServer(loginLimits('login_ip=5/60'));
    try {
      const username = uniqueUsername('sprayed');
      const password = strongPassword();
      assert.equal((await signupRaw(perIp, username, password, { 'x-forwarded-for': '10.8.0.1' })).status, 201);
      for (let i = 0; i < 5; i++) {
        assertProblem(await loginRaw(perIp, uniqueUsername('victim'), 'Spray-2024!x', '10.9.9.9'), 401, 'invalid_credentials');
      }
      const refused = await loginRaw(perIp, username, password, '10.9.9.9');
      assertProblem(refused, 429, 'rate_limited');
      assert.equal(refused.headers.get('ratelimit-policy'), '"login_ip";q=5;w=60');
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      assert.equal((await loginRaw(perIp, username, password, '10.8.0.2')).status, 200);
    } finally {
      await perIp.close();
    }
  });
});
