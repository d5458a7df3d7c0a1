import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup } from './helpers/users.js';

/**
 * Every route the OpenAPI document marks as needing a bearer token, called by someone who is not
 * (or no longer) allowed: the answer is a 401 problem with the right code, for every one of them.
 */
let server: TestServer;
let routes: Array<{ method: string; path: string }>;
const SOME_ID = '01JD3Q4Z5X6Y7W8V9T0S1R2Q3P';

before(async () => {
  server = await startServer();
  const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { security?: unknown[] }>>;
  };
  routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([, op]) => Array.isArray(op.security) && op.security.length > 0)
      .map(([method, op]) => {
        void op;
        return {
          method: method.toUpperCase(),
          path: path.replace(/\{[^}]+\}/g, (name) =>
            name === '{emoji}' ? '%F0%9F%91%8D' : name === '{fn}' ? 'get_nearby_messages' : SOME_ID,
          ),
        };
      }),
  );
});
after(() => server.close());

async function call(route: { method: string; path: string }, headers: Record<string, string>) {
  const hasBody = ['POST', 'PUT', 'PATCH'].includes(route.method);
  const response = await fetch(`${server.url}/api${route.path.replace(/^\/api/, '')}`, {
    method: route.method,
    headers: { ...headers, ...(hasBody && { 'content-type': 'application/json' }) },
    body: hasBody ? JSON.stringify({}) : null,
  });
  const body = (await response.json()) as { code?: string };
  return { status: response.status, code: body.code };
}

test('the OpenAPI document lists the secured routes', () => {
  assert.ok(routes.length >= 25, `only ${routes.length} secured routes`);
  assert.ok(routes.some((r) => r.method === 'GET' && r.path.includes('/messages/nearby')));
});

test('every secured route refuses a request without a token, before looking at its input', async () => {
  // Authentication runs first (onRequest), so even an empty body or missing query gets 401, not 400.
  for (const route of routes) {
    const { status, code } = await call(route, {});
    assert.deepEqual({ status, code }, { status: 401, code: 'unauthenticated' }, `${route.method} ${route.path}`);
  }
});

test('every secured route refuses the token of a logged-out session and of a deleted account', async () => {
  const gone = await signup(server, 'gone');
  const out = await signup(server, 'out');
  const goneToken = gone.auth.access_token;
  const outToken = out.auth.access_token;
  await gone.client.me.delete();
  await out.client.auth.logout();
  for (const route of routes) {
    for (const token of [goneToken, outToken]) {
      const { status, code } = await call(route, { authorization: `Bearer ${token}` });
      assert.deepEqual({ status, code }, { status: 401, code: 'session_ended' }, `${route.method} ${route.path}`);
    }
  }
});
