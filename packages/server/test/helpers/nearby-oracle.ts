/**
 * The brute-force haversine oracle for nearby queries (DESIGN section 7), written independently of the
 * server's geo code, and the store-scan check every backend runs (nearby-oracle.test.ts for SQLite,
 * nearby-oracle-postgres.test.ts for PostgreSQL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ulid } from 'ulid';
import type { NearbySort } from '@lo/protocol';
import type { GeoCandidate, NearbyAfter, NearbyHit, NewGeoMessage, Store } from '../../src/core/store.js';
import { makeUser, type StoreFactory } from '../contracts/contract-kit.js';

// ---- The oracle: written here, independent of the server's geo code. ----

const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

export function distanceM(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const a =
    Math.sin(((lat2 - lat1) * RAD) / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(((lng2 - lng1) * RAD) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
}

/** The point `metres` from (lat, lng) along `bearing` (radians, 0 = north), longitude wrapped to [-180, 180). */
export function move(lat: number, lng: number, bearing: number, metres: number): { lat: number; lng: number } {
  const d = metres / EARTH_RADIUS_M;
  const lat1 = lat * RAD;
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(bearing));
  const lng2 = lng * RAD + Math.atan2(Math.sin(bearing) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
  const wrapped = ((((lng2 / RAD + 180) % 360) + 360) % 360) - 180;
  return { lat: lat2 / RAD, lng: wrapped };
}

export interface OraclePost {
  id: string;
  publicLat: number;
  publicLng: number;
  radius: number;
  createdAt: number;
}

export interface OracleHit {
  id: string;
  distance: number;
  createdAt: number;
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every post within `radius` of the point that passes `keep`, in the feed's order. */
export function oracle<P extends OraclePost>(
  posts: P[],
  lat: number,
  lng: number,
  radius: number,
  sort: NearbySort,
  keep: (post: P, distance: number) => boolean,
): OracleHit[] {
  const hits = posts
    .map((p) => ({ post: p, distance: distanceM(lat, lng, p.publicLat, p.publicLng) }))
    .filter(({ post, distance }) => distance <= radius && keep(post, distance))
    .map(({ post, distance }) => ({ id: post.id, distance, createdAt: post.createdAt }));
  return hits.sort(
    sort === 'recent' ? (a, b) => b.createdAt - a.createdAt || byId(b.id, a.id) : (a, b) => a.distance - b.distance || byId(a.id, b.id),
  );
}

export function assertNoDuplicates(ids: string[], label: string): void {
  assert.equal(new Set(ids).size, ids.length, `${label}: a post came back twice`);
}

/** A small seeded PRNG (mulberry32): a failure replays with the same data. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export const SEED = Number(process.env.LO_TEST_SEED ?? 20250601);

// ---- a. The store's scan. ----

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 1);

const PLACES = [
  { name: 'Paris', lat: 48.8566, lng: 2.3522 },
  { name: 'Tokyo', lat: 35.6762, lng: 139.6503 },
  { name: 'São Paulo', lat: -23.5505, lng: -46.6333 },
  { name: 'Nairobi', lat: -1.2921, lng: 36.8219 },
  { name: 'Fiji (east of 180)', lat: -16.5, lng: 179.95 },
  { name: 'Fiji (west of 180)', lat: -16.5, lng: -179.95 },
  { name: 'Chukotka (east of 180)', lat: 65.0, lng: 179.95 },
  { name: 'Chukotka (west of 180)', lat: 65.0, lng: -179.95 },
  { name: 'Svalbard', lat: 78.2232, lng: 15.6267 },
  { name: '89.5°N', lat: 89.5, lng: -40 },
  { name: 'the pole', lat: 89.97, lng: 120 },
];

interface SeededPost extends OraclePost {
  expiresAt: number | null;
  deleted: boolean;
}

/**
 * The store's nearby scan against the oracle, on any backend: `factory` makes a fresh, empty store that
 * this seeds once (cities, both sides of the antimeridian, high latitudes, the pole) and pages through.
 */
export function runStoreScanOracle(name: string, factory: StoreFactory): void {
  describe(`nearby against a brute-force oracle: store scans (${name})`, () => {
    const random = prng(SEED);
    const between = (lo: number, hi: number) => lo + random() * (hi - lo);
    let made: Awaited<ReturnType<StoreFactory>>;
    let store: Store;
    const posts: SeededPost[] = [];

    before(async () => {
      made = await factory();
      store = made.store;
      const authors = await Promise.all([1, 2, 3, 4].map(() => makeUser(store, 'author')));
      const sharedTimes = [NOW - DAY, NOW - 2 * DAY + 17, NOW - 9 * DAY + 5, NOW - 3_600_000];
      const drafts: NewGeoMessage[] = [];
      for (const place of PLACES) {
        for (let i = 0; i < 45; i += 1) {
          const earlier = drafts.length > 0 && random() < 0.25 ? drafts[Math.floor(random() * drafts.length)] : undefined;
          // A quarter of the posts sit on or right next to an earlier post: exact distance ties, dense spots.
          const at =
            earlier !== undefined && random() < 0.5
              ? { lat: earlier.publicLat, lng: earlier.publicLng }
              : earlier !== undefined
                ? move(earlier.publicLat, earlier.publicLng, between(0, 2 * Math.PI), between(0, 60))
                : move(place.lat, place.lng, between(0, 2 * Math.PI), 12_000 * Math.sqrt(random()));
          const createdAt = random() < 0.2 ? (sharedTimes[i % sharedTimes.length] ?? NOW) : NOW - Math.floor(random() * 30 * DAY);
          const roll = random();
          const expiresAt =
            roll < 0.1
              ? NOW - Math.floor(random() * 10 * DAY)
              : roll < 0.13
                ? NOW
                : roll < 0.16
                  ? NOW + 1
                  : roll < 0.3
                    ? NOW + Math.floor(random() * 5 * DAY)
                    : null;
          const exact = move(at.lat, at.lng, between(0, 2 * Math.PI), between(100, 250));
          drafts.push({
            id: ulid(createdAt),
            authorId: authors[i % authors.length]?.id ?? '',
            kind: 'geo',
            content: `${place.name} #${i}`,
            lat: exact.lat,
            lng: exact.lng,
            publicLat: at.lat,
            publicLng: at.lng,
            radius: Math.round(between(300, 10_000)),
            visibility: random() < 0.3 ? 'friends' : 'public',
            createdAt,
            expiresAt,
            clientMsgId: null,
          });
        }
      }
      // Half goes through the bulk import, half through createGeo one by one in shuffled order.
      const half = Math.floor(drafts.length / 2);
      assert.equal(await store.messages.importGeo(drafts.slice(0, half)), half);
      const rest = drafts.slice(half).sort(() => random() - 0.5);
      for (const draft of rest) assert.equal((await store.messages.createGeo(draft)).created, true);
      for (const d of drafts) {
        const deleted = random() < 0.08;
        if (deleted) assert.ok(await store.messages.softDelete(d.id, NOW - 1));
        posts.push({ ...d, deleted });
      }
    });

    after(() => made.cleanup());

    /** Query points: around every place, on posts themselves, and straddling the antimeridian. */
    function queryPoints(count: number): Array<{ lat: number; lng: number; label: string }> {
      const points: Array<{ lat: number; lng: number; label: string }> = [
        { lat: -16.5, lng: 180 - 1e-7, label: 'on the antimeridian (east)' },
        { lat: -16.5, lng: -180, label: 'on the antimeridian (west)' },
        { lat: 65.0, lng: 179.99, label: 'Chukotka, 179.99' },
        { lat: 90, lng: 0, label: 'the North Pole' },
      ];
      for (const place of PLACES) {
        points.push({ ...place, label: place.name });
        for (let i = 0; i < count; i += 1) {
          const p = move(place.lat, place.lng, between(0, 2 * Math.PI), 10_000 * Math.sqrt(random()));
          points.push({ ...p, label: `near ${place.name}` });
        }
        const onPost = posts[Math.floor(random() * posts.length)];
        if (onPost) points.push({ lat: onPost.publicLat, lng: onPost.publicLng, label: `on post ${onPost.id}` });
      }
      return points;
    }

    const postRadiusRule = (c: GeoCandidate) => c.distance <= c.radius;

    async function walk(lat: number, lng: number, radiusM: number, sort: NearbySort, now: number, limit: number): Promise<NearbyHit[]> {
      const hits: NearbyHit[] = [];
      let cursor: NearbyAfter | undefined;
      for (let page = 0; page < 500; page += 1) {
        const got = await store.messages.nearby({ lat, lng, radiusM, sort, limit, now, ...(cursor && { after: cursor }) }, postRadiusRule);
        assert.ok(got.length <= limit);
        hits.push(...got);
        const last = got.at(-1);
        if (got.length < limit || last === undefined) return hits;
        cursor =
          sort === 'recent'
            ? { sort, createdAt: last.message.createdAt, id: last.message.id }
            : { sort, distance: last.distance, id: last.message.id };
      }
      assert.fail('paging did not end');
    }

    /** Results that spanned the antimeridian, and non-empty results at the pole (the cases must be exercised). */
    let crossings = 0;
    let atPole = 0;

    async function checkAgainstOracle(sort: NearbySort, now: number, pointsPerPlace: number): Promise<number> {
      const live = posts.filter((p) => !p.deleted && (p.expiresAt === null || p.expiresAt > now));
      let compared = 0;
      for (const q of queryPoints(pointsPerPlace)) {
        for (const radius of [100, 1000, 5000, 10_000]) {
          const label = `${sort} at ${q.label} (${q.lat}, ${q.lng}) r=${radius} now=${now} seed=${SEED}`;
          const expected = oracle(live, q.lat, q.lng, radius, sort, (p, d) => d <= p.radius);
          const hits = await walk(q.lat, q.lng, radius, sort, now, 7);
          const ids = hits.map((h) => h.message.id);
          assertNoDuplicates(ids, label);
          assert.deepEqual(
            ids,
            expected.map((e) => e.id),
            label,
          );
          hits.forEach((h, i) => {
            const want = expected[i]?.distance ?? NaN;
            assert.ok(Math.abs(h.distance - want) <= 1e-6 * Math.max(1, want), `${label}: distance ${h.distance} vs ${want}`);
          });
          compared += expected.length;
          const lngs = hits.map((h) => h.message.publicLng);
          if (lngs.some((x) => x > 179) && lngs.some((x) => x < -179)) crossings += 1;
          if (q.lat === 90 && hits.length > 0) atPole += 1;
        }
      }
      return compared;
    }

    test('sort=recent pages (limit 7) equal the oracle: newest first, ties by id desc, no repeats or gaps', async () => {
      const compared = await checkAgainstOracle('recent', NOW, 6);
      assert.ok(compared > 500, `the queries found posts (${compared})`);
    });

    test('sort=distance pages (limit 7) equal the oracle: nearest first, ties by id asc, distances within 1e-6', async () => {
      const compared = await checkAgainstOracle('distance', NOW, 6);
      assert.ok(compared > 500, `the queries found posts (${compared})`);
      assert.ok(crossings > 0 && atPole > 0, `some results crossed the antimeridian (${crossings}) or reached the pole (${atPole})`);
    });

    test('posts that expire later drop out at a later scan time, and purgeExpired changes no result', async () => {
      const later = NOW + 3 * DAY;
      assert.ok(posts.some((p) => !p.deleted && p.expiresAt !== null && p.expiresAt > NOW && p.expiresAt <= later));
      await checkAgainstOracle('recent', later, 2);
      const indexedExpired = posts.filter((p) => !p.deleted && p.expiresAt !== null && p.expiresAt <= NOW).length;
      assert.equal(await store.messages.purgeExpired(NOW), indexedExpired);
      await checkAgainstOracle('distance', NOW, 2);
      await checkAgainstOracle('recent', later, 2);
    });
  });
}
