/**
 * Pieces of the nearby scan common to both dialects: each pre-filters candidates with its own index
 * (R*Tree or GiST), then decides them here in the same way, so both return the same posts in the same
 * order.
 */
import type { GeoCandidate } from '../../core/store.js';

/** The columns a nearby scan reads of each candidate post. */
export interface CandidateRow {
  id: string;
  author_id: string;
  public_lat: number;
  public_lng: number;
  radius: number;
  visibility: 'public' | 'friends';
  created_at: number;
  expires_at: number | null;
}

/** `distance` is the haversine distance the caller already measured to decide the row. */
export function toGeoCandidate(row: CandidateRow, distance: number): GeoCandidate {
  return {
    id: row.id,
    authorId: row.author_id,
    publicLat: row.public_lat,
    publicLng: row.public_lng,
    radius: row.radius,
    visibility: row.visibility,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    distance,
  };
}

/** Moves accepted candidates (in order) into `into`; true once it holds `limit`. */
export function takeAccepted<C extends GeoCandidate>(
  ordered: C[],
  accept: (candidate: GeoCandidate) => boolean,
  into: C[],
  limit: number,
): boolean {
  for (const candidate of ordered) {
    if (!accept(candidate)) continue;
    into.push(candidate);
    if (into.length >= limit) return true;
  }
  return into.length >= limit;
}
