/**
 * What `loc` and `area.count` do (DESIGN sections 5 and 7), and the last beacon pushed to a new
 * watcher of `loc:<userId>`. The rules live in core/location/; this is their WebSocket face.
 */
import type { AreaCountFrame, LocFrame } from '@lo/protocol';
import type { Connection } from './connection.js';
import type { RealtimeNode } from './realtime-node.js';

/** A beacon: refused ones (`rate_limited`, `location_implausible`) are answered and change nothing. */
export async function loc(node: RealtimeNode, conn: Connection, frame: LocFrame): Promise<void> {
  await node.deps.beacons.report(conn.userId, {
    lat: frame.lat,
    lng: frame.lng,
    ...(frame.accuracy !== undefined && { accuracy: frame.accuracy }),
  });
  // The position is accepted (also while hidden): the connection's live geo area, if any, follows it.
  await node.geo.move(conn, { lat: frame.lat, lng: frame.lng });
  conn.reply(frame.id);
}

export async function areaCount(node: RealtimeNode, conn: Connection, frame: AreaCountFrame): Promise<void> {
  const result = await node.deps.areas.count(conn.userId, { lat: frame.lat, lng: frame.lng, radius: frame.radius });
  conn.reply(frame.id, JSON.stringify(result));
}

/**
 * Right after a `sub` reply on `loc:<ownerId>`: the owner's last live beacon as this viewer may see it,
 * so a watcher does not wait for the next one. The reply is already out, so a failure is only logged.
 */
export async function pushLastBeacon(node: RealtimeNode, conn: Connection, channel: string): Promise<void> {
  const ownerId = channel.slice('loc:'.length);
  try {
    const frame = await node.deps.beacons.lastFrame(ownerId, ownerId === conn.userId || conn.friends.has(ownerId));
    if (frame !== null && !conn.isClosed && conn.subs.has(channel)) conn.out.push(Buffer.from(frame), true);
  } catch (err) {
    node.onError(err, conn);
  }
}
