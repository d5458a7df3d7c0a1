/**
 * The PostgreSQL feed grid (store/postgres/postgres-feed-cells.ts): the cells a circle covers hold every
 * point within it (brute force over random circles, the antimeridian and high latitudes), and the
 * generated column `messages.cell` that PostgreSQL computes equals feedCell for every point, edges
 * included; a mismatch would hide posts from the feed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ulid } from 'ulid';
import { haversineM } from '../src/core/geo/haversine.js';
import type { NewGeoMessage } from '../src/core/store.js';
import { feedCell, feedCellsCovering, MAX_FEED_CELLS } from '../src/store/postgres/postgres-feed-cells.js';
import type { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { makeUser } from './contracts/contract-kit.js';
import { move } from './helpers/nearby-oracle.js';
import { freshPostgresStore, POSTGRES_SKIP, POSTGRES_URL } from './helpers/postgres.js';

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

test('the covering cells hold every point of the circle', () => {
  const random = seeded(11);
  let covered = 0;
  let declined = 0;
  for (let i = 0; i < 400; i++) {
    const edge = i % 4 === 0;
    const lat = edge ? -89 + random() * 178 : -60 + random() * 120;
    const lng = edge ? (random() < 0.5 ? 179.99 : -179.99) + (random() - 0.5) * 0.01 : -180 + random() * 360;
    const radius = 50 + random() * 4000;
    const cells = feedCellsCovering(lat, lng, radius);
    if (cells === null) {
      declined += 1;
      continue;
    }
    covered += 1;
    assert.ok(cells.cells.length <= MAX_FEED_CELLS);
    const set = new Set(cells.cells);
    for (let j = 0; j < 60; j++) {
      const p = move(lat, lng, random() * 2 * Math.PI, random() * radius);
      if (haversineM(lat, lng, p.lat, p.lng) > radius) continue;
      assert.ok(set.has(feedCell(p.lat, p.lng)), `(${p.lat}, ${p.lng}) within ${radius} m of (${lat}, ${lng}) is covered`);
    }
  }
  assert.ok(covered > 200 && declined > 0, `both paths exercised: ${covered} covered, ${declined} left to the GiST`);
});

test('a kilometre takes about a dozen cells; poles and wide circles are left to the GiST', () => {
  const paris = feedCellsCovering(48.8566, 2.3522, 1000);
  assert.ok(paris !== null && paris.cells.length >= 9 && paris.cells.length <= 16, `Paris 1 km: ${paris?.cells.length} cells`);
  assert.equal(feedCellsCovering(89.99, 0, 1000), null);
  assert.equal(feedCellsCovering(48.8566, 2.3522, 10_000), null);
});

const url = POSTGRES_URL;
test('messages.cell computed by PostgreSQL equals feedCell', { skip: url === undefined ? POSTGRES_SKIP : false }, async () => {
  const fresh = await freshPostgresStore(url ?? '');
  const store = fresh.store;
  try {
    const author = await makeUser(store);
    const random = seeded(5);
    const points: Array<[number, number]> = [
      [90, 180],
      [-90, -180],
      [0, 0],
      [-0.005, -0.005],
      [0.01, 0.01],
      [-16.5, 179.999999],
      [48.85, 2.35],
      [-33.869999999, 151.2],
    ];
    for (let i = 0; i < 300; i++) points.push([-90 + random() * 180, -180 + random() * 360]);
    const now = Date.now();
    const drafts: NewGeoMessage[] = points.map(([lat, lng], i) => ({
      id: ulid(now + i),
      authorId: author.id,
      kind: 'geo',
      content: 'cell',
      lat,
      lng,
      publicLat: lat,
      publicLng: lng,
      radius: 1000,
      visibility: 'public',
      createdAt: now + i,
      expiresAt: null,
      clientMsgId: null,
    }));
    await store.messages.importGeo(drafts);
    const pool = (store as PostgresStore).db.pool;
    const { rows } = await pool.query<{ public_lat: number; public_lng: number; cell: number }>(
      'SELECT public_lat, public_lng, cell FROM messages',
    );
    assert.equal(rows.length, points.length);
    for (const row of rows)
      assert.equal(row.cell, feedCell(row.public_lat, row.public_lng), `cell of (${row.public_lat}, ${row.public_lng})`);
  } finally {
    await fresh.cleanup();
  }
});
