import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ERROR_TYPE_PREFIX } from '@lo/protocol';
import { rawRequest, type RawExchange } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup, type TestUser } from './helpers/users.js';

/** DESIGN sections 4 and 8: every bound holds, bad input gets a clear problem+json code and changes nothing. */
let server: TestServer;
let limited: TestServer;
let user: TestUser;

before(async () => {
  [server, limited] = await Promise.all([startServer({ LO_BODY_LIMIT: '2048' }), startServer({ LO_RATE_LIMITS: 'post=2/60,write=3/60' })]);
  user = await signup(server, 'limits');
});
after(() => Promise.all([server?.close(), limited?.close()]));

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const HERE = { lat: 59.329323, lng: 18.068581 };

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id?: string;
  errors?: Array<{ path: string; message: string }>;
}

/** The response is an RFC 9457 problem with this status and code; returns its body. */
function assertProblem(response: RawExchange, status: number, code: string): ProblemBody {
  assert.equal(response.status, status, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const body = response.json as ProblemBody;
  assert.equal(body.code, code, response.text);
  assert.equal(body.type, ERROR_TYPE_PREFIX + code);
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.ok(body.title.length > 0);
  assert.equal(typeof body.detail, 'string');
  assert.ok(body.detail.length > 0);
  assert.equal(body.request_id, response.headers.get('x-request-id'));
  return body;
}

function post(target: TestServer, token: string, body: unknown, headers: Record<string, string> = {}) {
  return rawRequest(target.url, '/api/messages', { token, body, headers });
}

async function feedSize(who: TestUser, at = HERE): Promise<number> {
  return (await who.client.messages.nearbyAll(at)).length;
}

test('a body over LO_BODY_LIMIT is 413 payload_too_large and stores nothing; one under it is accepted', async () => {
  const at = { lat: 10.5, lng: 10.5 };
  const under = await post(server, user.auth.access_token, { content: 'u'.repeat(1900), ...at });
  assert.equal(under.status, 201);
  const over = await post(server, user.auth.access_token, { content: 'o'.repeat(2100), ...at });
  assertProblem(over, 413, 'payload_too_large');
  assert.equal(await feedSize(user, at), 1);
});

test('a malformed or empty JSON body is 400 invalid_json', async () => {
  for (const body of ['{"content": "x", "lat": 1,', '{content: 1}', '']) {
    assertProblem(await post(server, user.auth.access_token, body), 400, 'invalid_json');
  }
});

test('a body that is not application/json is 415 unsupported_media_type and stores nothing', async () => {
  const at = { lat: 11.5, lng: 11.5 };
  const json = JSON.stringify({ content: 'as text', ...at });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    assertProblem(await post(server, user.auth.access_token, json, { 'content-type': type }), 415, 'unsupported_media_type');
  }
  assert.equal(await feedSize(user, at), 0);
});

test('an unknown body field is 400 validation_failed with errors[].path naming it', async () => {
  const response = await post(server, user.auth.access_token, { content: 'x', ...HERE, field: 1 });
  const body = assertProblem(response, 400, 'validation_failed');
  assert.deepEqual(
    body.errors?.map((e) => e.path),
    ['/field'],
  );
  // Mass assignment: a role cannot be slipped into a profile update.
  const patch = await rawRequest(server.url, '/api/me', { method: 'PATCH', token: user.auth.access_token, body: { role: 'admin' } });
  assert.deepEqual(
    assertProblem(patch, 400, 'validation_failed').errors?.map((e) => e.path),
    ['/role'],
  );
  assert.equal((await user.client.me.get()).role, 'user');
});

test('a nearby query with limit=101 is 400 validation_failed; limit=100 is accepted', async () => {
  const query = (limit: number) => `/api/messages/nearby?lat=${HERE.lat}&lng=${HERE.lng}&limit=${limit}`;
  const tooMany = await rawRequest(server.url, query(101), { token: user.auth.access_token });
  assert.deepEqual(
    assertProblem(tooMany, 400, 'validation_failed').errors?.map((e) => e.path),
    ['/limit'],
  );
  assert.equal((await rawRequest(server.url, query(100), { token: user.auth.access_token })).status, 200);
  assertProblem(await rawRequest(server.url, '/api/friends?limit=101', { token: user.auth.access_token }), 400, 'validation_failed');
});

test('a non-numeric lat in the query string is 400 validation_failed naming /lat', async () => {
  const response = await rawRequest(server.url, `/api/messages/nearby?lat=abc&lng=${HERE.lng}`, { token: user.auth.access_token });
  assert.deepEqual(
    assertProblem(response, 400, 'validation_failed').errors?.map((e) => e.path),
    ['/lat'],
  );
});

test('a malformed :id is 400 validation_failed on every route that takes one', async () => {
  const token = user.auth.access_token;
  for (const [method, path] of [
    ['GET', '/api/messages/not-a-ulid'],
    ['PATCH', '/api/messages/01ARZ3NDEKTSV4RRFFQ69G5FA'],
    ['DELETE', '/api/messages/01ARZ3NDEKTSV4RRFFQ69G5FAVX'],
    ['GET', '/api/users/lower01arz3ndektsv4rrffq69g'],
    ['DELETE', '/api/friends/..%2F..'],
  ] as const) {
    const body = method === 'PATCH' ? { content: 'x' } : undefined;
    const response = await rawRequest(server.url, path, { method, token, body });
    assertProblem(response, 400, 'validation_failed');
  }
});

test('the third post in the window is 429 rate_limited with Retry-After, RateLimit and RateLimit-Policy headers', async () => {
  const poster = await signup(limited, 'poster');
  const token = poster.auth.access_token;
  const first = await post(limited, token, { content: 'one', ...HERE });
  const second = await post(limited, token, { content: 'two', ...HERE });
  assert.deepEqual([first.status, second.status], [201, 201]);
  assert.equal(first.headers.get('ratelimit-policy'), '"post";q=2;w=60');
  assert.match(first.headers.get('ratelimit') ?? '', /^"post";r=1;t=\d+$/);
  assert.match(second.headers.get('ratelimit') ?? '', /^"post";r=0;t=\d+$/);

  const third = await post(limited, token, { content: 'three', ...HERE });
  const body = assertProblem(third, 429, 'rate_limited');
  assert.match(body.detail, /post/);
  const retryAfter = third.headers.get('retry-after') ?? '';
  assert.match(retryAfter, /^\d+$/);
  assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, retryAfter);
  const rateLimit = /^"post";r=0;t=(\d+)$/.exec(third.headers.get('ratelimit') ?? '');
  assert.ok(rateLimit, third.headers.get('ratelimit') ?? 'no RateLimit header');
  assert.ok(Number(rateLimit[1]) >= 1 && Number(rateLimit[1]) <= 60);
  assert.equal(third.headers.get('ratelimit-policy'), '"post";q=2;w=60');
  assert.equal(await feedSize(poster), 2);
});

test('successful writes carry RateLimit headers whose remaining count goes down to 0, then 429', async () => {
  const writer = await signup(limited, 'writer');
  const remaining: string[] = [];
  for (const name of ['a', 'b', 'c']) {
    const response = await rawRequest(limited.url, '/api/me', {
      method: 'PATCH',
      token: writer.auth.access_token,
      body: { display_name: name },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('ratelimit-policy'), '"write";q=3;w=60');
    remaining.push(/^"write";r=(\d+);t=\d+$/.exec(response.headers.get('ratelimit') ?? '')?.[1] ?? 'missing');
  }
  assert.deepEqual(remaining, ['2', '1', '0']);
  const refused = await rawRequest(limited.url, '/api/me', {
    method: 'PATCH',
    token: writer.auth.access_token,
    body: { display_name: 'd' },
  });
  assertProblem(refused, 429, 'rate_limited');
  assert.equal((await writer.client.me.get()).display_name, 'c');
});

test('rate limits are per user: once one user is limited, another can still post', async () => {
  const [busy, other] = await Promise.all([signup(limited, 'busy'), signup(limited, 'other')]);
  for (const content of ['1', '2']) assert.equal((await post(limited, busy.auth.access_token, { content, ...HERE })).status, 201);
  assertProblem(await post(limited, busy.auth.access_token, { content: '3', ...HERE }), 429, 'rate_limited');
  const theirs = await post(limited, other.auth.access_token, { content: 'still allowed', ...HERE });
  assert.equal(theirs.status, 201);
  assert.match(theirs.headers.get('ratelimit') ?? '', /^"post";r=1;/);
});

test('a valid X-Request-Id is echoed in the header and in problem bodies', async () => {
  const id = 'client-trace.42_ABC';
  const ok = await rawRequest(server.url, '/api/health', { headers: { 'x-request-id': id } });
  assert.equal(ok.headers.get('x-request-id'), id);
  const failed = await rawRequest(server.url, '/api/messages/nope', { token: user.auth.access_token, headers: { 'x-request-id': id } });
  assert.equal(assertProblem(failed, 400, 'validation_failed').request_id, id);
});

test('an invalid X-Request-Id (over 64 characters, spaces, other characters) is replaced by a server id', async () => {
  for (const given of ['a'.repeat(200), 'has spaces in it', 'semi;colon', '../../etc/passwd', 'a'.repeat(65)]) {
    const response = await rawRequest(server.url, '/api/does-not-exist', { headers: { 'x-request-id': given } });
    assert.notEqual(response.headers.get('x-request-id'), given);
    const body = assertProblem(response, 404, 'route_not_found');
    assert.notEqual(body.request_id, given);
    assert.match(body.request_id ?? '', ULID);
  }
  // Without one, every response still gets an id.
  const plain = await rawRequest(server.url, '/api/health');
  assert.match(plain.headers.get('x-request-id') ?? '', ULID);
});

test('an unknown route is 404 route_not_found as application/problem+json', async () => {
  const body = assertProblem(await rawRequest(server.url, '/api/nothing/here?x=1'), 404, 'route_not_found');
  assert.match(body.detail, /GET \/api\/nothing\/here$/);
  assertProblem(await rawRequest(server.url, '/api/messages', { method: 'PUT', body: {} }), 404, 'route_not_found');
  assertProblem(await rawRequest(server.url, '/not-api'), 404, 'route_not_found');
});

test('every error response is application/problem+json with type, title, status, detail and code', async () => {
  const token = user.auth.access_token;
  const stranger = await signup(server, 'stranger');
  const theirs = await user.client.messages.create({ content: 'for error checks', lat: 12.5, lng: 12.5 });
  const cases: Array<[Promise<RawExchange>, number, string]> = [
    [rawRequest(server.url, '/api/me'), 401, 'unauthenticated'],
    [rawRequest(server.url, '/api/me', { headers: { authorization: 'Bearer not.a.jwt' } }), 401, 'token_invalid'],
    [rawRequest(server.url, '/api/me', { headers: { authorization: 'Basic abc' } }), 401, 'token_invalid'],
    [
      rawRequest(server.url, '/api/auth/login', { body: { username: 'nobody_here', password: 'wrong-password' } }),
      401,
      'invalid_credentials',
    ],
    [post(server, token, '{'), 400, 'invalid_json'],
    [post(server, token, { content: 'x' }), 400, 'validation_failed'],
    [post(server, token, { content: 'x'.repeat(2100), ...HERE }), 413, 'payload_too_large'],
    [post(server, token, 'x', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
    [rawRequest(server.url, `/api/messages/${theirs.id}`, { token: stranger.auth.access_token }), 409, 'location_unknown'],
    [
      rawRequest(server.url, `/api/messages/${theirs.id}`, { method: 'DELETE', token: stranger.auth.access_token }),
      409,
      'location_unknown',
    ],
    [rawRequest(server.url, '/api/rpc/nope', { token, body: {} }), 404, 'rpc_not_found'],
    [rawRequest(server.url, '/api/nope'), 404, 'route_not_found'],
  ];
  for (const [response, status, code] of cases) assertProblem(await response, status, code);

  await stranger.client.me.setLocation({ lat: 12.5, lng: 12.5 });
  assertProblem(
    await rawRequest(server.url, `/api/messages/${theirs.id}`, {
      method: 'PATCH',
      token: stranger.auth.access_token,
      body: { content: 'y' },
    }),
    403,
    'forbidden',
  );
  const busy = await signup(limited, 'busy');
  for (let i = 0; i < 2; i += 1) await post(limited, busy.auth.access_token, { content: String(i), ...HERE });
  assertProblem(await post(limited, busy.auth.access_token, { content: 'x', ...HERE }), 429, 'rate_limited');
});
