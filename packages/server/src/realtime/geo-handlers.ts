/**
 * The `geo.sub` and `geo.unsub` frames (DESIGN section 5): one live geo area per connection, which then
 * follows the viewer's `loc` beacon (GeoAreas.move). What an area does is in geo-areas.ts.
 */
import type { GeoSubFrame, GeoUnsubFrame } from '@lo/protocol';
import { LoError } from '../errors/lo-error.js';
import type { Connection } from './connection.js';
import type { RealtimeNode } from './realtime-node.js';

/** Opening an area reads what is visible from a position: a probe, rate limited like the nearby feed. */
export async function geoSub(node: RealtimeNode, conn: Connection, frame: GeoSubFrame): Promise<void> {
  if (node.geo.areaOf(conn.id) !== undefined)
    throw new LoError('already_subscribed', 'This connection already has a geo area (geo.unsub first).');
  await node.limit(conn, 'probe', conn.userId);
  await node.geo.subscribe(conn, frame, (json) => conn.reply(frame.id, json));
}

export function geoUnsub(node: RealtimeNode, conn: Connection, frame: GeoUnsubFrame): Promise<void> {
  if (!node.geo.unsubscribe(conn)) return Promise.reject(new LoError('not_subscribed', 'This connection has no geo area.'));
  conn.reply(frame.id);
  return Promise.resolve();
}
