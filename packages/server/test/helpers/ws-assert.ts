/** Assertions and small steps shared by the WebSocket gateway and limits tests. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthResult } from '@lo/client';
import { ERROR_TYPE_PREFIX, type Reply, type ReplyError } from '@lo/protocol';
import { api } from './http.js';
import type { TestServer } from './test-server.js';
import type { TestUser } from './users.js';
import type { WsTestClient } from './ws-client.js';
import type { HandshakeOutcome } from './ws-raw.js';

/** How long a test waits for something the server does on its own (closes, timers); generous: CI is slow. */
export const WAIT_MS = 20_000;

export function expectError(reply: Reply, code: string): ReplyError['error'] {
  assert.equal(reply.ok, false, `expected ${code}, got ${JSON.stringify(reply)}`);
  assert.equal(reply.error.code, code, JSON.stringify(reply));
  assert.equal(typeof reply.error.message, 'string');
  return reply.error;
}

export function assertRefused(outcome: HandshakeOutcome, status: number, code: string): void {
  assert.equal(outcome.status, status, JSON.stringify(outcome.body));
  assert.match(outcome.contentType ?? '', /^application\/problem\+json/);
  const body = outcome.body as { code: string; status: number; type: string };
  assert.deepEqual({ code: body.code, status: body.status, type: body.type }, { code, status, type: ERROR_TYPE_PREFIX + code });
}

/** Retries `check` until it passes (for effects the server applies after the client saw a close). */
export async function eventually(check: () => Promise<void>, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: ${String(error)}`, { cause: error });
      await sleep(50);
    }
  }
}

export function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = WAIT_MS): Promise<T> {
  return Promise.race([
    promise,
    sleep(timeoutMs, undefined, { ref: false }).then(() => {
      throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    }),
  ]);
}

export async function closeCode(client: { closed: Promise<{ code: number }> }, what = 'close'): Promise<number> {
  return (await withTimeout(client.closed, what)).code;
}

/** Still connected and answering: a ping request gets its ok reply. */
export async function assertAlive(client: WsTestClient): Promise<void> {
  const reply = await client.request({ type: 'ping' });
  assert.equal(reply.ok, true, JSON.stringify(reply));
}

export async function room(server: TestServer, owner: TestUser, members: TestUser[] = []): Promise<string> {
  const created = await api<{ id: string; channel: string }>(server, 'POST', '/rooms', {
    token: owner.auth.access_token,
    body: { name: `room ${owner.username}`.slice(0, 60), visibility: 'public' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  for (const member of members) {
    const joined = await api(server, 'POST', `/rooms/${created.body.id}/join`, { token: member.auth.access_token });
    assert.ok(joined.status >= 200 && joined.status < 300, JSON.stringify(joined.body));
  }
  assert.equal(created.body.channel, `room:${created.body.id}`);
  return created.body.channel;
}

export function login(server: TestServer, user: TestUser) {
  return api<AuthResult>(server, 'POST', '/auth/login', { body: { username: user.username, password: user.password } });
}
