/**
 * Geohash cells: the unit of live geo fan-out between nodes (DESIGN section 7). A post is published on
 * the topics of the cells of its public point at every precision of PRECISIONS; a live subscription
 * listens on the cells covering its disc at exactly one of them (the finest that keeps its cover small),
 * so it hears each post once, is checked against few areas that cannot see it, and a node subscribes
 * only to the cell topics its connections cover.
 *
 * Hand-written rather than a dependency: it is 100 lines, and the cover must match the encoder exactly
 * (same row/column arithmetic), which a library does not promise at cell edges.
 */
import { boundingBoxes } from './bbox.js';
import { normalizeLng } from './haversine.js';

/**
 * Precisions in use, finest first: ~1.2 × 0.6 km, ~4.9 × 4.9 km, ~39 × 20 km and ~156 × 156 km cells (at
 * the equator). The cell size decides how many areas a post is checked against: an area of 500 m in a
 * 5 km cell shares it with every area of that cell (measured: 96 % of candidates then fail the distance
 * test); in 1 km cells, with a few.
 */
export const PRECISIONS = [6, 5, 4, 3] as const;
/** The finest precision whose cover has at most this many cells is used (a 10 km disc: ~40 cells at 5). */
export const MAX_CELLS = 64;
/** The coarsest precision: a disc of at most ~12 km is a handful of these, at most 512 around a pole. */
export const COARSE_PRECISION = 3;

const BASE32 = '0123456789bcdefghjkmnpqrstuvwxyz';
/**
 * Extra metres added to every covered radius: the cover is computed in floating point from a bounding
 * box, and a point exactly on the disc's edge must not fall just outside it.
 */
const EDGE_SLACK_M = 1;

export type CellPrecision = (typeof PRECISIONS)[number];

export interface Cover {
  precision: CellPrecision;
  cells: string[];
}

/** Bits of longitude and latitude in a geohash of `precision` characters (longitude gets the odd one). */
function bits(precision: number): { lngBits: number; latBits: number } {
  const total = precision * 5;
  return { lngBits: Math.ceil(total / 2), latBits: Math.floor(total / 2) };
}

function column(lng: number, lngBits: number): number {
  const cols = 2 ** lngBits;
  return Math.min(cols - 1, Math.max(0, Math.floor(((normalizeLng(lng) + 180) / 360) * cols)));
}

function row(lat: number, latBits: number): number {
  const rows = 2 ** latBits;
  return Math.min(rows - 1, Math.max(0, Math.floor(((lat + 90) / 180) * rows)));
}

/** The geohash of cell (row, col): bits interleaved from the most significant, longitude first. */
function hashOf(r: number, c: number, precision: number): string {
  const { lngBits, latBits } = bits(precision);
  let lngBit = lngBits - 1;
  let latBit = latBits - 1;
  let out = '';
  let chunk = 0;
  for (let i = 0; i < precision * 5; i++) {
    const bit = i % 2 === 0 ? (c >> lngBit--) & 1 : (r >> latBit--) & 1;
    chunk = (chunk << 1) | bit;
    if (i % 5 === 4) {
      out += BASE32[chunk];
      chunk = 0;
    }
  }
  return out;
}

/** The geohash of the cell holding a point (longitudes wrap; latitude 90 falls in the top row). */
export function encodeGeohash(lat: number, lng: number, precision: number): string {
  const { lngBits, latBits } = bits(precision);
  return hashOf(row(lat, latBits), column(lng, lngBits), precision);
}

/** The broker topic of a cell. */
export function cellTopic(cell: string): string {
  return `geo:${cell}`;
}

/** Where a post is published: its public point's cell at every precision (finest first). */
export function postCells(lat: number, lng: number): string[] {
  return PRECISIONS.map((precision) => encodeGeohash(lat, lng, precision));
}

/** Row and column ranges of the cells a disc's bounding boxes touch, at one precision. */
function ranges(lat: number, lng: number, radiusM: number, precision: number) {
  const { lngBits, latBits } = bits(precision);
  return boundingBoxes(lat, lng, radiusM + EDGE_SLACK_M).map((box) => {
    const cols: Array<[number, number]> = [
      [column(box.minLng, lngBits), box.maxLng >= 180 ? 2 ** lngBits - 1 : column(box.maxLng, lngBits)],
    ];
    // A box reaching 180° also touches -180° (the same meridian): the first column holds points there.
    if (box.maxLng >= 180 && cols[0]![0] > 0) cols.push([0, 0]);
    return { rows: [row(box.minLat, latBits), row(box.maxLat, latBits)] as const, cols };
  });
}

function cellsIn(lat: number, lng: number, radiusM: number, precision: number): Set<string> {
  const cells = new Set<string>();
  for (const { rows, cols } of ranges(lat, lng, radiusM, precision)) {
    for (let r = rows[0]; r <= rows[1]; r++) {
      for (const [from, to] of cols) for (let c = from; c <= to; c++) cells.add(hashOf(r, c, precision));
    }
  }
  return cells;
}

function countIn(lat: number, lng: number, radiusM: number, precision: number): number {
  let count = 0;
  for (const { rows, cols } of ranges(lat, lng, radiusM, precision)) {
    for (const [from, to] of cols) count += (rows[1] - rows[0] + 1) * (to - from + 1);
  }
  return count;
}

/**
 * Cells that together contain every point within `radiusM` of the centre (a superset: cells touching the
 * disc's bounding box), at the finest precision that needs at most MAX_CELLS of them; else at the
 * coarsest, which for a disc of at most ~12 km is a handful, and at most 512 for a disc around a pole.
 */
export function coverDisc(lat: number, lng: number, radiusM: number): Cover {
  const precision = PRECISIONS.find((p) => countIn(lat, lng, radiusM, p) <= MAX_CELLS) ?? COARSE_PRECISION;
  return { precision, cells: [...cellsIn(lat, lng, radiusM, precision)] };
}
