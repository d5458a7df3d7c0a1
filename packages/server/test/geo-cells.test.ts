/**
 * The geohash cells of live geo fan-out (core/geo/cells.ts), against brute force: every point of a disc
 * lies in a cell of its cover, at the precision the cover chose, including across the antimeridian and
 * around the poles; covers stay small.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { COARSE_PRECISION, coverDisc, encodeGeohash, MAX_CELLS, postCells } from '../src/core/geo/cells.js';
import { destination } from '../src/core/geo/haversine.js';

test('encodes points as standard geohashes', () => {
  // Reference values from the geohash definition (geohash.org): Jutland and the Eiffel tower.
  assert.equal(encodeGeohash(57.64911, 10.40744, 11), 'u4pruydqqvj');
  assert.equal(encodeGeohash(48.8583, 2.2945, 5), 'u09tu');
  assert.equal(encodeGeohash(-90, -180, 3), '000');
  assert.equal(encodeGeohash(90, 179.999999, 3), 'zzz');
  // Longitude 180 is -180: both are in the first column.
  assert.equal(encodeGeohash(0, 180, 5), encodeGeohash(0, -180, 5));
  assert.deepEqual(postCells(48.8583, 2.2945), ['u09tun', 'u09tu', 'u09t', 'u09']);
});

/** Points of the disc: its centre, its edge in 32 directions, and random ones inside. */
function discPoints(lat: number, lng: number, radiusM: number, random: () => number): Array<{ lat: number; lng: number }> {
  const points = [{ lat, lng }];
  for (let i = 0; i < 32; i++) points.push(destination({ lat, lng }, (i / 32) * 2 * Math.PI, radiusM));
  for (let i = 0; i < 200; i++) points.push(destination({ lat, lng }, random() * 2 * Math.PI, Math.sqrt(random()) * radiusM));
  return points;
}

function assertCovers(lat: number, lng: number, radiusM: number, seed: number): void {
  const cover = coverDisc(lat, lng, radiusM);
  const cells = new Set(cover.cells);
  assert.equal(cells.size, cover.cells.length, 'no duplicate cells');
  assert.ok(cover.cells.every((c) => c.length === cover.precision));
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const point of discPoints(lat, lng, radiusM, random)) {
    const cell = encodeGeohash(point.lat, point.lng, cover.precision);
    assert.ok(cells.has(cell), `(${point.lat}, ${point.lng}) of the disc at (${lat}, ${lng}) r=${radiusM} is in ${cell}, not covered`);
  }
  if (cover.precision !== COARSE_PRECISION) assert.ok(cover.cells.length <= MAX_CELLS);
  else assert.ok(cover.cells.length <= 512, `${cover.cells.length} coarse cells`);
}

test('every point of a disc lies in a covered cell (random discs anywhere)', () => {
  fc.assert(
    fc.property(
      fc.double({ min: -90, max: 90, noNaN: true }),
      fc.double({ min: -180, max: 180, noNaN: true, maxExcluded: true }),
      fc.double({ min: 1, max: 11_500, noNaN: true }),
      fc.integer({ min: 1, max: 2 ** 30 }),
      (lat, lng, radius, seed) => assertCovers(lat, lng, radius, seed),
    ),
    { numRuns: 300 },
  );
});

test('covers are right across the antimeridian, at the poles and on cell edges', () => {
  const cases: Array<[number, number, number]> = [
    [0, 179.99, 10_000],
    [0, -179.99, 10_000],
    [65.5, 180 - 1e-9, 11_000],
    [-16.5, -179.95, 5_000],
    [89.99, 0, 10_000],
    [-89.95, 120, 11_000],
    [90, 0, 500],
    [-90, 0, 500],
    [84, 45, 10_000],
    [0, 0, 10_000],
    [45, 0.0439453125, 2_000],
    [48.8583, 2.2945, 1],
  ];
  for (const [i, [lat, lng, radius]] of cases.entries()) assertCovers(lat, lng, radius, i + 1);
});

test('small discs get the finest cells, larger ones and high latitudes coarser ones', () => {
  // A city-block area: ~1 km cells, a few of them.
  const block = coverDisc(52.52, 13.405, 600);
  assert.equal(block.precision, 6);
  assert.ok(block.cells.length <= 12, `${block.cells.length} cells for 600 m`);
  const equator = coverDisc(0, 10, 10_000);
  assert.equal(equator.precision, 5);
  assert.ok(equator.cells.length <= 30, `${equator.cells.length} cells at the equator`);
  assert.equal(coverDisc(45, 10, 11_000).precision, 5);
  const north = coverDisc(70, 10, 10_000);
  assert.ok(north.precision <= 4);
  assert.ok(north.cells.length <= MAX_CELLS, `${north.cells.length} cells at 70°`);
  assert.equal(coverDisc(89.99, 0, 10_000).precision, COARSE_PRECISION);
  // A small disc stays fine even far north.
  assert.ok(coverDisc(78, 15, 1_000).precision >= 5);
});
