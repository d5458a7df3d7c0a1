/** Helpers of the live geo tests: raw sockets with their client id, pushes by kind, points at a distance. */
import type { GeoEnterFrame, GeoExitFrame, GeoMessage, GeoMessageFrame, GeoSubResult, ServerPush } from '@lo/protocol';
import { destination, type LatLng } from '../../src/core/geo/haversine.js';
import type { TestServer } from './test-server.js';
import { signup, type TestUser } from './users.js';
import { WsTestClient } from './ws-client.js';

export interface GeoSocket {
  ws: WsTestClient;
  /** The connection's id on the server (the auth reply's `client`). */
  clientId: string;
}

export async function geoSocket(url: string, token: string): Promise<GeoSocket> {
  const ws = await WsTestClient.open(url);
  const reply = await ws.request({ type: 'auth', token });
  if (!reply.ok) throw new Error(`auth failed: ${reply.error.code}`);
  return { ws, clientId: (reply.result as { client: string }).client };
}

export function geoSub(ws: WsTestClient, at: LatLng, extra: { radius?: number; since?: string } = {}): Promise<GeoSubResult> {
  return ws.ok<GeoSubResult>({ type: 'geo.sub', lat: at.lat, lng: at.lng, ...extra });
}

export const geoMessages = (ws: WsTestClient): GeoMessage[] =>
  ws.pushes.filter((f): f is GeoMessageFrame => f.type === 'geo.msg').map((f) => f.message);
export const geoEnters = (ws: WsTestClient): GeoEnterFrame[] => ws.pushes.filter((f): f is GeoEnterFrame => f.type === 'geo.enter');
export const geoExits = (ws: WsTestClient): GeoExitFrame[] => ws.pushes.filter((f): f is GeoExitFrame => f.type === 'geo.exit');
export const isGeoPush = (f: ServerPush): boolean => f.type === 'geo.msg' || f.type === 'geo.enter' || f.type === 'geo.exit';

/** Resolves once every frame the server queued for `ws` before now has arrived (a ping's reply comes after them). */
export async function drained(...sockets: WsTestClient[]): Promise<void> {
  await Promise.all(sockets.map((ws) => ws.request({ type: 'ping' })));
}

/** The point `metres` from `from` towards `bearingDeg` (0 = north). */
export function offset(from: LatLng, bearingDeg: number, metres: number): LatLng {
  return destination(from, (bearingDeg * Math.PI) / 180, metres);
}

/** A post's public (snapped) point, which only the server knows: every visibility distance is measured from it. */
export async function publicPoint(server: TestServer, id: string): Promise<LatLng> {
  const record = await server.app.store.messages.byId(id);
  if (record === null) throw new Error(`no post ${id}`);
  return { lat: record.publicLat, lng: record.publicLng };
}

/**
 * Moves a connection's area as the `loc` beacon does once it accepted a position (node.geo.move), so
 * these tests do not depend on the beacon's own rate limit.
 */
export async function moveArea(server: TestServer, clientId: string, at: LatLng): Promise<void> {
  const area = server.app.realtime.geo.areaOf(clientId);
  if (area === undefined) throw new Error(`connection ${clientId} has no geo area`);
  await server.app.realtime.geo.move(area.client, at);
}

export function post(user: TestUser, at: LatLng, extra: { radius?: number; visibility?: 'public' | 'friends'; content?: string } = {}) {
  return user.client.messages.create({ content: extra.content ?? 'hello', lat: at.lat, lng: at.lng, ...extra });
}

/** Makes two users friends. */
export async function befriend(a: TestUser, b: TestUser): Promise<void> {
  const request = await a.client.friends.request(b.id);
  await b.client.friends.accept(request.id);
}

/** Signs up one user per prefix, concurrently; typed as a tuple of the same length. */
export function signups<const P extends readonly string[]>(server: TestServer, ...prefixes: P): Promise<{ [K in keyof P]: TestUser }> {
  return Promise.all(prefixes.map((prefix) => signup(server, prefix))) as Promise<{ [K in keyof P]: TestUser }>;
}
