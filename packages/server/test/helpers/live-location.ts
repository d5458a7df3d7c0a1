/** Steps shared by the live-location tests (beacons, proximity, area counts). */
import assert from 'node:assert/strict';
import type { LocEventFrame, MePatch, ProximityFrame, ServerPush } from '@lo/protocol';
import { befriend, connect, type Socket } from './chat.js';
import type { TestServer } from './test-server.js';
import { signup, type TestUser } from './users.js';
import type { WsTestClient } from './ws-client.js';

export { befriend, connect, type Socket };

export const PARIS = { lat: 48.8566, lng: 2.3522 };

/** `metres` due north of `p` (along a meridian, where haversine distance is exact). */
export function northOf(p: { lat: number; lng: number }, metres: number): { lat: number; lng: number } {
  return { lat: p.lat + metres / ((6_371_008.8 * Math.PI) / 180), lng: p.lng };
}

/** A signed-up user with these settings, and an authenticated socket. */
export async function person(server: TestServer, prefix: string, patch: MePatch = {}): Promise<TestUser & { ws: Socket }> {
  const user = await signup(server, prefix);
  if (Object.keys(patch).length > 0) await user.client.me.update(patch);
  return Object.assign(user, { ws: await connect(server, user) });
}

/** Sends a beacon and asserts the server took it. */
export async function beacon(ws: WsTestClient, at: { lat: number; lng: number }, accuracy?: number): Promise<void> {
  const reply = await ws.request({ type: 'loc', ...at, ...(accuracy !== undefined && { accuracy }) });
  assert.ok(reply.ok, `loc refused: ${JSON.stringify(reply)}`);
}

/**
 * Resolves once everything the server queued for this socket before now has arrived: a ping's reply
 * follows it (the memory broker delivers during the publish, before the publisher's reply is sent).
 * So after a publisher's reply and then this, a push that did not arrive was never sent.
 */
export async function flush(ws: WsTestClient): Promise<void> {
  const reply = await ws.request({ type: 'ping' });
  assert.ok(reply.ok);
}

export function locs(ws: WsTestClient, channel?: string): LocEventFrame[] {
  return ws.pushes.filter((f): f is LocEventFrame => f.type === 'loc' && (channel === undefined || f.channel === channel));
}

export function proximities(ws: WsTestClient): ProximityFrame[] {
  return ws.pushes.filter((f: ServerPush): f is ProximityFrame => f.type === 'proximity');
}
