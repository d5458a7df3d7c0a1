import { EARTH_RADIUS_M } from './haversine.js';

/** A latitude/longitude rectangle, degrees, with minLng <= maxLng (never crossing the antimeridian). */
export interface Box {
  minLat: number;
  maxLat: number;
  minLng: number;
  maxLng: number;
}

const DEG = 180 / Math.PI;

/**
 * Rectangles that together contain every point within `radiusM` of the centre on the sphere.
 * One box normally; two when the circle crosses the antimeridian; a full band of longitudes when it
 * contains a pole. Used as the index pre-filter of nearby queries, followed by an exact distance test,
 * so it must never be too small; being a little too large only costs time.
 */
export function boundingBoxes(lat: number, lng: number, radiusM: number): Box[] {
  const angular = radiusM / EARTH_RADIUS_M;
  const minLat = lat - angular * DEG;
  const maxLat = lat + angular * DEG;
  if (maxLat >= 90 || minLat <= -90) {
    return [{ minLat: Math.max(minLat, -90), maxLat: Math.min(maxLat, 90), minLng: -180, maxLng: 180 }];
  }
  // Exact half-width of a spherical cap in longitude (the widest point is not at the centre latitude).
  const ratio = Math.sin(angular) / Math.cos(lat / DEG);
  if (ratio >= 1) return [{ minLat, maxLat, minLng: -180, maxLng: 180 }];
  const halfWidth = Math.asin(ratio) * DEG;
  const minLng = lng - halfWidth;
  const maxLng = lng + halfWidth;
  if (minLng < -180) {
    return [
      { minLat, maxLat, minLng: minLng + 360, maxLng: 180 },
      { minLat, maxLat, minLng: -180, maxLng },
    ];
  }
  if (maxLng > 180) {
    return [
      { minLat, maxLat, minLng, maxLng: 180 },
      { minLat, maxLat, minLng: -180, maxLng: maxLng - 360 },
    ];
  }
  return [{ minLat, maxLat, minLng, maxLng }];
}
