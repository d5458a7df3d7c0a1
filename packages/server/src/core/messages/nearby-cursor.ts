import type { NearbySort } from '@lo/protocol';
import { LoError } from '../../errors/lo-error.js';
import { decodeCursor, encodeCursor, isRecord, openSealedCursor, sealCursor } from '../../util/cursor.js';
import type { NearbyAfter, NearbyHit } from '../store.js';

/**
 * Nearby cursors carry the last item's sort key and the query they belong to, so a cursor replayed
 * against another position, radius or sort is refused instead of returning a wrong page. They are
 * sealed (encrypted and authenticated) with `key`: a distance-sorted cursor holds an exact distance to
 * a post, and viewers may learn distance bands only (DESIGN section 7).
 */
interface NearbyCursor {
  s: NearbySort;
  q: string;
  id: string;
  t?: number;
  d?: number;
}

export function queryFingerprint(lat: number, lng: number, radius: number, sort: NearbySort): string {
  return `${lat.toFixed(6)},${lng.toFixed(6)},${radius},${sort}`;
}

export function encodeNearbyCursor(hit: NearbyHit, sort: NearbySort, fingerprint: string, key: Uint8Array): string {
  const cursor: NearbyCursor =
    sort === 'recent'
      ? { s: sort, q: fingerprint, id: hit.message.id, t: hit.message.createdAt }
      : { s: sort, q: fingerprint, id: hit.message.id, d: hit.distance };
  return sealCursor(encodeCursor(cursor), key);
}

export function decodeNearbyCursor(
  sealed: string | undefined,
  fingerprint: string,
  sort: NearbySort,
  key: Uint8Array,
): NearbyAfter | undefined {
  if (sealed === undefined) return undefined;
  const cursor = openSealedCursor(sealed, key);
  if (cursor === null) throw new LoError('invalid_cursor');
  const value = decodeCursor(cursor, (v): v is NearbyCursor => isRecord(v) && typeof v.id === 'string' && typeof v.q === 'string');
  if (value === null || value.q !== fingerprint || value.s !== sort) throw new LoError('invalid_cursor');
  if (sort === 'recent' && Number.isFinite(value.t)) return { sort, createdAt: value.t as number, id: value.id };
  if (sort === 'distance' && Number.isFinite(value.d)) return { sort, distance: value.d as number, id: value.id };
  throw new LoError('invalid_cursor');
}
