/**
 * What the live-location frames do (DESIGN sections 5 and 7): `geo.sub`/`geo.unsub` (a geo area that
 * follows the viewer), `loc` (the beacon) and `area.count`.
 */
import type { LiveLocationFrame } from '@lo/protocol';
import { LoError } from '../errors/lo-error.js';
import type { Connection } from './connection.js';
import type { RealtimeNode } from './realtime-node.js';

export function handleLiveLocationFrame(node: RealtimeNode, conn: Connection, frame: LiveLocationFrame): Promise<void> {
  void node;
  void conn;
  // Filled in by the live-location work (issue 4).
  return Promise.reject(new LoError('internal', `${frame.type} is not available yet.`));
}
