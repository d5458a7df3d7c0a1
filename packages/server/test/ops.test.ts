import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VERSION } from '../src/version.js';
import { rawRequest, rejectsWith } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup } from './helpers/users.js';

/** DESIGN section 9 and the ops routes of section 4: health, metrics, OpenAPI, CORS. */
const ORIGIN = 'https://app.example';
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
let server: TestServer;
let configured: TestServer;

before(async () => {
  [server, configured] = await Promise.all([startServer(), startServer({ LO_ALLOWED_ORIGINS: ORIGIN, LO_METRICS_TOKEN: METRICS_TOKEN })]);
});
after(() => Promise.all([server?.close(), configured?.close()]));

interface Operation {
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
}
interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
}

test('GET /api/health is 200 application/health+json with status pass and the version', async () => {
  const response = await rawRequest(server.url, '/api/health');
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/health\+json/);
  assert.deepEqual(response.json, { status: 'pass', version: VERSION });
  assert.deepEqual(await server.client().health(), { status: 'pass', version: VERSION });
});

test('GET /api/health/ready is 200 pass with a passing, timed database check', async () => {
  const response = await rawRequest(server.url, '/api/health/ready');
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/health\+json/);
  const body = response.json as { status: string; version: string; checks: Record<string, Array<Record<string, unknown>>> };
  assert.equal(body.status, 'pass');
  assert.equal(body.version, VERSION);
  const database = body.checks['database:responseTime']?.[0];
  assert.ok(database, JSON.stringify(body.checks));
  assert.equal(database.status, 'pass');
  assert.equal(database.componentType, 'datastore');
  assert.equal(typeof database.observedValue, 'number');
  assert.equal(database.observedUnit, 'ms');
});

test('readiness is 503 fail when the database does not answer, while liveness still passes', async () => {
  const broken = await startServer();
  try {
    await broken.app.store.close();
    const ready = await rawRequest(broken.url, '/api/health/ready');
    assert.equal(ready.status, 503);
    assert.match(ready.headers.get('content-type') ?? '', /^application\/health\+json/);
    const body = ready.json as { status: string; checks: Record<string, Array<{ status: string }>> };
    assert.equal(body.status, 'fail');
    assert.equal(body.checks['database:responseTime']?.[0]?.status, 'fail');
    assert.equal((await rawRequest(broken.url, '/api/health')).status, 200);
  } finally {
    await broken.close();
  }
});

test('GET /api/openapi.json is an OpenAPI 3 document listing every route', async () => {
  const response = await rawRequest(server.url, '/api/openapi.json');
  assert.equal(response.status, 200);
  const doc = response.json as OpenApi;
  assert.match(doc.openapi, /^3\.\d+\.\d+$/);
  assert.equal(doc.info.version, VERSION);
  const expected: Record<string, string[]> = {
    '/api/auth/signup': ['post'],
    '/api/auth/login': ['post'],
    '/api/auth/refresh': ['post'],
    '/api/auth/logout': ['post'],
    '/api/auth/sessions': ['get'],
    '/api/auth/sessions/{id}': ['delete'],
    '/api/me': ['get', 'patch', 'delete'],
    '/api/me/location': ['put'],
    '/api/me/export': ['get'],
    '/api/users/{id}': ['get'],
    '/api/friends/requests': ['get', 'post'],
    '/api/friends/requests/{id}/accept': ['post'],
    '/api/friends/requests/{id}/decline': ['post'],
    '/api/friends': ['get'],
    '/api/friends/{userId}': ['delete'],
    '/api/blocks': ['get', 'post'],
    '/api/blocks/{userId}': ['delete'],
    '/api/messages': ['post'],
    '/api/messages/nearby': ['get'],
    '/api/messages/{id}': ['delete', 'get', 'patch'],
    '/api/messages/{id}/reactions': ['post'],
    '/api/messages/{id}/reactions/{emoji}': ['delete'],
    '/api/messages/{id}/reports': ['post'],
    '/api/rpc/get_nearby_messages': ['post'],
    '/api/health': ['get'],
    '/api/health/ready': ['get'],
    '/api/metrics': ['get'],
  };
  for (const [path, methods] of Object.entries(expected)) {
    assert.ok(doc.paths[path], `${path} is documented`);
    for (const method of methods) assert.ok(doc.paths[path][method], `${method.toUpperCase()} ${path} is documented`);
  }
});

test('every request body in the OpenAPI document is JSON that refuses unknown fields', async () => {
  const doc = (await rawRequest(server.url, '/api/openapi.json')).json as OpenApi;
  const withBodies: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (operation.requestBody === undefined) continue;
      withBodies.push(`${method} ${path}`);
      assert.deepEqual(Object.keys(operation.requestBody.content), ['application/json'], `${method} ${path}`);
      const schema = operation.requestBody.content['application/json']!.schema;
      assert.equal(schema.type, 'object', `${method} ${path}`);
      assert.equal(schema.additionalProperties, false, `${method} ${path} refuses unknown fields`);
    }
  }
  for (const route of ['post /api/auth/signup', 'patch /api/me', 'put /api/me/location', 'post /api/messages', 'post /api/blocks']) {
    assert.ok(withBodies.includes(route), `${route} documents its body`);
  }
  assert.ok(withBodies.includes('post /api/rpc/get_nearby_messages'));
});

test('GET /api/metrics is Prometheus text with request latency by route pattern, never by id', async () => {
  const user = await signup(server, 'metrics');
  await user.client.users.get(user.id);
  const response = await rawRequest(server.url, '/api/metrics');
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  assert.match(response.text, /^# TYPE lo_http_request_duration_seconds histogram$/m);
  assert.match(response.text, /^lo_http_request_duration_seconds_count\{method="GET",route="\/api\/users\/:id",status_code="200"\} 1$/m);
  assert.ok(!response.text.includes(user.id), 'no user id in any label');
  assert.match(response.text, /^lo_process_resident_memory_bytes \d+/m);
});

test('with LO_METRICS_TOKEN set, /api/metrics needs that bearer token', async () => {
  const none = await rawRequest(configured.url, '/api/metrics');
  assert.equal(none.status, 401);
  assert.equal((none.json as { code: string }).code, 'unauthenticated');
  assert.match(none.headers.get('content-type') ?? '', /^application\/problem\+json/);
  for (const authorization of [`Bearer ${METRICS_TOKEN}x`, `Bearer ${METRICS_TOKEN.slice(1)}`, METRICS_TOKEN, `Basic ${METRICS_TOKEN}`]) {
    const wrong = await rawRequest(configured.url, '/api/metrics', { headers: { authorization } });
    assert.equal(wrong.status, 401, authorization);
    assert.ok(!wrong.text.includes('lo_http_request_duration_seconds'));
  }
  const right = await rawRequest(configured.url, '/api/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(right.status, 200);
  assert.match(right.text, /lo_http_request_duration_seconds/);
});

test('CORS: an allowed origin gets Access-Control-Allow-Origin and can read the RateLimit headers', async () => {
  const user = await signup(configured, 'cors');
  const posted = await rawRequest(configured.url, '/api/messages', {
    token: user.auth.access_token,
    body: { content: 'from the browser', lat: 1.5, lng: 1.5 },
    headers: { origin: ORIGIN },
  });
  assert.equal(posted.status, 201);
  assert.equal(posted.headers.get('access-control-allow-origin'), ORIGIN);
  assert.ok(posted.headers.get('ratelimit'));
  const exposed = (posted.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
  for (const header of ['ratelimit', 'ratelimit-policy', 'retry-after', 'x-request-id']) assert.ok(exposed.includes(header), header);
  assert.match(posted.headers.get('vary') ?? '', /Origin/i);

  const preflight = await rawRequest(configured.url, '/api/messages', {
    method: 'OPTIONS',
    headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), ORIGIN);
  assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
  assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/i);
});

test('CORS: another origin gets no Access-Control-Allow-Origin', async () => {
  for (const origin of ['https://evil.example', 'http://app.example', 'https://app.example.evil.test']) {
    const response = await rawRequest(configured.url, '/api/health', { headers: { origin } });
    assert.equal(response.headers.get('access-control-allow-origin'), null, origin);
    const preflight = await rawRequest(configured.url, '/api/messages', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null, origin);
  }
});

test('CORS: with no LO_ALLOWED_ORIGINS no origin gets Access-Control-Allow-Origin', async () => {
  const response = await rawRequest(server.url, '/api/health', { headers: { origin: ORIGIN } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('access-control-allow-origin'), null);
});

test('POST /api/rpc/<unknown> is 404 rpc_not_found, and needs authentication like every function', async () => {
  const user = await signup(server, 'rpc');
  await rejectsWith(user.client.rpc('unknown_fn', {}), 404, 'rpc_not_found');
  const anonymous = await rawRequest(server.url, '/api/rpc/unknown_fn', { body: {} });
  assert.equal(anonymous.status, 401);
  // The named function still works next to the catch-all.
  const page = await user.client.rpc<{ items: unknown[]; next_cursor: null }>('get_nearby_messages', {
    lat: 2,
    lng: 2,
    radius_meters: 500,
  });
  assert.deepEqual(page, { items: [], next_cursor: null });
});
