/**
 * What the live-location frames do (DESIGN sections 5 and 7): `geo.sub`/`geo.unsub` (a geo area that
 * follows the viewer), `loc` (the beacon) and `area.count`.
 */
import type { LiveLocationFrame } from '@lo/protocol';
import { areaCount, loc } from './beacon-handlers.js';
import type { Connection } from './connection.js';
import { geoSub, geoUnsub } from './geo-handlers.js';
import type { RealtimeNode } from './realtime-node.js';

export function handleLiveLocationFrame(node: RealtimeNode, conn: Connection, frame: LiveLocationFrame): Promise<void> {
  switch (frame.type) {
    case 'geo.sub':
      return geoSub(node, conn, frame);
    case 'geo.unsub':
      return geoUnsub(node, conn, frame);
    case 'loc':
      return loc(node, conn, frame);
    case 'area.count':
      return areaCount(node, conn, frame);
  }
}
