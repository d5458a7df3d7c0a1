/**
 * What a geo cell topic carries between nodes (Publication.geo). Serialized as JSON by Redis and NATS,
 * so plain data only.
 */
import type { MessageRecord } from '../store.js';

/**
 * A new post, with what every node needs to decide and render it per viewer without reading the store.
 * `lat`/`lng` are the exact point: only ever used for the author's own view (DESIGN section 7); every
 * viewer-facing decision uses `publicLat`/`publicLng`.
 */
export type GeoPost = Pick<
  MessageRecord,
  | 'id'
  | 'authorId'
  | 'authorUsername'
  | 'kind'
  | 'content'
  | 'lat'
  | 'lng'
  | 'publicLat'
  | 'publicLng'
  | 'radius'
  | 'visibility'
  | 'createdAt'
  | 'editedAt'
  | 'expiresAt'
>;

export type GeoEvent =
  /** A post was stored (not an idempotent retry). */
  | { kind: 'posted'; post: GeoPost }
  /** A post was deleted: subscriptions that showed it send `geo.exit`. */
  | { kind: 'deleted'; id: string };
