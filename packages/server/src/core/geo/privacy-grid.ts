import { createHmac } from 'node:crypto';
import { destination, METRES_PER_DEGREE, normalizeLng, type LatLng } from './haversine.js';

/**
 * Location privacy for authors (DESIGN section 7). A post's position is replaced, before it is stored
 * where any viewer-facing computation can reach it, by a public point derived from the grid cell the
 * author stood in:
 *
 *   public point = cell centre + an offset of 1 to 2 cell sizes in a direction,
 *                  both drawn from HMAC(key, scope | cell)
 *
 * - Snapping to a cell removes the exact position; the offset hides the cell structure, so an attacker
 *   who pins the public point down exactly (by probing distance bands or visibility) still misses the
 *   true position by about 1.5 cells at the median and never by less than ~0.3 cells.
 * - The offset is stable per scope (the author) and cell, not drawn per request or per post: random
 *   noise per answer averages out over repeated probes, and per-post noise would average out over many
 *   posts from the same place. Everything a viewer can observe is computed from this one point.
 */
export interface GridCell {
  row: number;
  col: number;
  centre: LatLng;
}

const RAD = Math.PI / 180;

export function gridCell(point: LatLng, gridM: number): GridCell {
  const dLat = gridM / METRES_PER_DEGREE;
  const row = Math.floor((Math.min(point.lat, 89.999999) + 90) / dLat);
  const centreLat = Math.min(-90 + (row + 0.5) * dLat, 90);
  // Columns are about gridM wide at the row's centre latitude; near the poles one cell spans everything.
  const dLng = Math.min(360, dLat / Math.max(Math.cos(centreLat * RAD), 1e-6));
  const col = Math.floor((normalizeLng(point.lng) + 180) / dLng);
  const centreLng = normalizeLng(-180 + (col + 0.5) * dLng);
  return { row, col, centre: { lat: centreLat, lng: centreLng } };
}

export function snapToPublicPoint(point: LatLng, gridM: number, key: Uint8Array, scope: string): LatLng {
  const cell = gridCell(point, gridM);
  const digest = createHmac('sha256', key).update(`${scope}|${gridM}|${cell.row}|${cell.col}`).digest();
  const bearing = (digest.readUInt32BE(0) / 2 ** 32) * 2 * Math.PI;
  const distance = gridM * (1 + digest.readUInt32BE(4) / 2 ** 32);
  const moved = destination(cell.centre, bearing, distance);
  return { lat: Math.max(-90, Math.min(90, moved.lat)), lng: moved.lng };
}
