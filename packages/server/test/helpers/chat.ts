/**
 * Rooms, DMs and WebSocket helpers for the chat suites. Rooms and DMs go over raw HTTP (not the SDK),
 * so the suites see status codes and bodies exactly as the server sends them.
 */
import assert from 'node:assert/strict';
import type { Problem } from '@lo/client';
import type { ChannelMessage, MessageFrame, Page, Room, RoomMember, ServerPush } from '@lo/protocol';
import { api, type RawResponse } from './http.js';
import type { TestServer } from './test-server.js';
import type { TestUser } from './users.js';
import { WsTestClient } from './ws-client.js';

/** How long to wait for a reply or push: generous, the machine is shared with other suites. */
export const WAIT_MS = 15_000;

export interface ChatApi {
  call<T = Problem>(user: TestUser, method: string, path: string, body?: unknown): Promise<RawResponse<T>>;
  /** Calls and asserts the status; resolves with the body. */
  expect<T>(status: number, user: TestUser, method: string, path: string, body?: unknown): Promise<T>;
  createRoom(owner: TestUser, input?: Record<string, unknown>): Promise<Room>;
  join(user: TestUser, room: Room): Promise<Room>;
  addMember(owner: TestUser, room: Room, user: TestUser): Promise<RoomMember>;
  post(user: TestUser, room: Room, text: string, clientMsgId?: string): Promise<ChannelMessage>;
  history(user: TestUser, room: Room, query?: string): Promise<Page<ChannelMessage>>;
  connect(user: TestUser): Promise<Socket>;
}

/** Room and DM calls as a user of `server`, over raw HTTP. */
export function chatApi(server: TestServer): ChatApi {
  const call = <T = Problem>(user: TestUser, method: string, path: string, body?: unknown): Promise<RawResponse<T>> =>
    api<T>(server, method, path, { token: user.auth.access_token, ...(body !== undefined && { body }) });
  const expect = async <T>(status: number, user: TestUser, method: string, path: string, body?: unknown): Promise<T> => {
    const res = await call<T>(user, method, path, body);
    assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  return {
    call,
    expect,
    createRoom: (owner, input = {}) => expect<Room>(201, owner, 'POST', '/rooms', { name: 'a room', visibility: 'public', ...input }),
    join: (user, room) => expect<Room>(200, user, 'POST', `/rooms/${room.id}/join`),
    addMember: (owner, room, user) => expect<RoomMember>(201, owner, 'POST', `/rooms/${room.id}/members`, { user_id: user.id }),
    post: (user, room, text, clientMsgId) =>
      expect<ChannelMessage>(201, user, 'POST', `/rooms/${room.id}/messages`, {
        text,
        ...(clientMsgId !== undefined && { client_msg_id: clientMsgId }),
      }),
    history: (user, room, query = '') => expect<Page<ChannelMessage>>(200, user, 'GET', `/rooms/${room.id}/messages${query}`),
    connect: (user) => connect(server, user),
  };
}

export async function befriend(a: TestUser, b: TestUser): Promise<void> {
  const request = await a.client.friends.request(b.id);
  await b.client.friends.accept(request.id);
}

/** An authenticated socket and its connection id (as presence entries name it). */
export type Socket = WsTestClient & { clientId: string };

export async function connect(server: TestServer, user: TestUser): Promise<Socket> {
  const ws = await WsTestClient.open(server.url);
  const reply = await ws.request({ type: 'auth', token: user.auth.access_token }, WAIT_MS);
  if (!reply.ok) throw new Error(`auth failed: ${reply.error.code}`);
  return Object.assign(ws, { clientId: (reply.result as { client: string }).client });
}

export async function wsOk<T = Record<string, unknown>>(ws: WsTestClient, frame: Record<string, unknown>): Promise<T> {
  const reply = await ws.request(frame, WAIT_MS);
  assert.ok(reply.ok, `${String(frame.type)} failed: ${JSON.stringify(reply)}`);
  return reply.result as T;
}

export async function wsFails(ws: WsTestClient, frame: Record<string, unknown>, code: string): Promise<void> {
  const reply = await ws.request(frame, WAIT_MS);
  assert.equal(reply.ok, false, `${String(frame.type)} on ${String(frame.channel)} should fail with ${code}`);
  if (!reply.ok) assert.equal(reply.error.code, code, reply.error.message);
}

/**
 * Resolves once every push the server queued for `ws` before this call has arrived. With the
 * in-process broker a publication reaches each socket's queue before the HTTP call or frame that made
 * it is answered; a ping round trip after that answer therefore proves what did not arrive.
 */
export async function barrier(ws: WsTestClient): Promise<void> {
  await wsOk(ws, { type: 'ping' });
}

/** The first push at index `mark` or later (take `mark = ws.pushes.length` before acting) that passes `test`. */
export function pushAfter(ws: WsTestClient, mark: number, test: (frame: ServerPush) => boolean): Promise<ServerPush> {
  return ws.next((f) => ws.pushes.indexOf(f) >= mark && test(f), WAIT_MS);
}

export function isMsg(frame: ServerPush): frame is MessageFrame {
  return frame.type === 'msg';
}
