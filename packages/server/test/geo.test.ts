import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { boundingBoxes } from '../src/core/geo/bbox.js';
import { distanceBand } from '../src/core/geo/distance-band.js';
import { destination, EARTH_RADIUS_M, haversineM, normalizeLng } from '../src/core/geo/haversine.js';
import { isPlausibleMove } from '../src/core/geo/plausibility.js';
import { snapToPublicPoint } from '../src/core/geo/privacy-grid.js';

const KEY = new Uint8Array(32).fill(7);

test('haversine matches closed-form great-circle distances on the mean sphere', () => {
  const oneDegreeOfArc = (Math.PI * EARTH_RADIUS_M) / 180;
  assert.ok(Math.abs(haversineM(0, 0, 0, 1) - oneDegreeOfArc) < 1e-6);
  assert.ok(Math.abs(haversineM(0, 0, 90, 0) - (Math.PI / 2) * EARTH_RADIUS_M) < 1e-6);
  assert.ok(Math.abs(haversineM(0, 0, 0, 180) - Math.PI * EARTH_RADIUS_M) < 1e-6);
  // Across the antimeridian the short way round: 0.2 degrees of longitude on the equator.
  assert.ok(Math.abs(haversineM(0, 179.9, 0, -179.9) - 0.2 * oneDegreeOfArc) < 1e-3);
});

test('destination lands at the requested distance', () => {
  fc.assert(
    fc.property(
      fc.double({ min: -85, max: 85, noNaN: true }),
      fc.double({ min: -180, max: 180, noNaN: true }),
      fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
      fc.double({ min: 1, max: 20_000, noNaN: true }),
      (lat, lng, bearing, distance) => {
        const to = destination({ lat, lng }, bearing, distance);
        assert.ok(Math.abs(haversineM(lat, lng, to.lat, to.lng) - distance) < 1e-3);
        assert.ok(to.lng >= -180 && to.lng < 180);
      },
    ),
  );
});

test('bounding boxes contain every point of the circle, at the poles and across the antimeridian too', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.double({ min: -90, max: 90, noNaN: true }), fc.constantFrom(89.99, -89.99, 78.2, 0)),
      fc.oneof(fc.double({ min: -180, max: 179.999, noNaN: true }), fc.constantFrom(179.99, -179.99, 0)),
      fc.double({ min: 1, max: 10_000, noNaN: true }),
      fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (lat, lng, radius, bearing, fraction) => {
        const point = destination({ lat, lng }, bearing, radius * fraction);
        // A few metres from a pole, `destination` is ill-conditioned in longitude: keep only points it
        // really put inside the circle, which is what the property is about.
        fc.pre(haversineM(lat, lng, point.lat, point.lng) <= radius);
        const boxes = boundingBoxes(lat, lng, radius);
        assert.ok(boxes.length >= 1 && boxes.length <= 2);
        for (const box of boxes) assert.ok(box.minLng <= box.maxLng && box.minLat <= box.maxLat);
        const inside = boxes.some(
          (b) =>
            point.lat >= b.minLat - 1e-9 && point.lat <= b.maxLat + 1e-9 && point.lng >= b.minLng - 1e-9 && point.lng <= b.maxLng + 1e-9,
        );
        assert.ok(inside, `point ${point.lat},${point.lng} outside ${JSON.stringify(boxes)} for ${lat},${lng} r=${radius}`);
      },
    ),
    { numRuns: 5000 },
  );
});

test('a circle crossing the antimeridian gets two boxes that meet at ±180', () => {
  const boxes = boundingBoxes(10, 179.995, 2000);
  assert.equal(boxes.length, 2);
  assert.deepEqual(
    boxes.map((b) => [b.minLng < 0, b.maxLng]).sort(),
    [
      [false, 180],
      [true, boxes.find((b) => b.minLng === -180)!.maxLng],
    ].sort(),
  );
});

test('distances are shown as bands with exclusive upper bounds', () => {
  assert.equal(distanceBand(0), '<100 m');
  assert.equal(distanceBand(99.99), '<100 m');
  assert.equal(distanceBand(100), '<500 m');
  assert.equal(distanceBand(999), '<1 km');
  assert.equal(distanceBand(1000), '<2 km');
  assert.equal(distanceBand(4999), '<5 km');
  assert.equal(distanceBand(9999), '<10 km');
  assert.equal(distanceBand(10_000), '>10 km');
});

test('snapped points lie one to three grid cells away from the true point and are stable per author and cell', () => {
  fc.assert(
    fc.property(
      fc.double({ min: -85, max: 85, noNaN: true }),
      fc.double({ min: -180, max: 179.999, noNaN: true }),
      fc.constantFrom(50, 100, 250),
      fc.string({ minLength: 1, maxLength: 8 }),
      (lat, lng, grid, author) => {
        const snapped = snapToPublicPoint({ lat, lng }, grid, KEY, author);
        const error = haversineM(lat, lng, snapped.lat, snapped.lng);
        // Offset 1–2 cells from the centre; the true point is at most ~0.71 cell from the centre.
        assert.ok(error >= 0.28 * grid && error <= 2.75 * grid, `error ${error} m for grid ${grid}`);
        assert.deepEqual(snapToPublicPoint({ lat, lng }, grid, KEY, author), snapped);
      },
    ),
    { numRuns: 3000 },
  );
});

test('two posts from one cell by one author share a public point; another author gets another', () => {
  const a = snapToPublicPoint({ lat: 48.85661, lng: 2.35222 }, 100, KEY, 'alice');
  const b = snapToPublicPoint({ lat: 48.85663, lng: 2.35224 }, 100, KEY, 'alice');
  const c = snapToPublicPoint({ lat: 48.85661, lng: 2.35222 }, 100, KEY, 'bob');
  assert.deepEqual(a, b);
  assert.ok(haversineM(a.lat, a.lng, c.lat, c.lng) > 1);
});

test('the snapping key matters: another deployment key moves the public point', () => {
  const point = { lat: 35.6762, lng: 139.6503 };
  const other = snapToPublicPoint(point, 100, new Uint8Array(32).fill(9), 'alice');
  const mine = snapToPublicPoint(point, 100, KEY, 'alice');
  assert.ok(haversineM(mine.lat, mine.lng, other.lat, other.lng) > 1);
});

test('location jumps faster than an airliner are implausible, GPS-sized moves are not', () => {
  const at = Date.UTC(2026, 0, 1);
  const start = { lat: 48.8566, lng: 2.3522, at, accuracy: null };
  assert.equal(isPlausibleMove(null, start, 300), true);
  // 100 km in 10 s: no.
  assert.equal(isPlausibleMove(start, { lat: 49.7559, lng: 2.3522, at: at + 10_000, accuracy: null }, 300), false);
  // 100 km in an hour (28 m/s): yes.
  assert.equal(isPlausibleMove(start, { lat: 49.7559, lng: 2.3522, at: at + 3_600_000, accuracy: null }, 300), true);
  // 80 m at once is GPS noise.
  assert.equal(isPlausibleMove(start, { lat: 48.85732, lng: 2.3522, at, accuracy: null }, 300), true);
  // A claimed huge accuracy does not buy a 5 km teleport.
  assert.equal(isPlausibleMove(start, { lat: 48.9016, lng: 2.3522, at, accuracy: 100_000 }, 300), false);
});

test('longitudes normalise into [-180, 180)', () => {
  assert.equal(normalizeLng(180), -180);
  assert.equal(normalizeLng(-180), -180);
  assert.equal(normalizeLng(540.5), -179.5);
  assert.equal(normalizeLng(-0), 0);
});
