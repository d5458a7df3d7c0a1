/**
 * Nearby queries checked against a brute-force haversine oracle (DESIGN section 7): first the store's
 * scan over the R*Tree (cities, both sides of the antimeridian, high latitudes, the pole), then the
 * whole HTTP feed with the visibility rules (blocks, friends-only posts, visibility radius).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { GeoMessage, NearbySort, Page } from '@lo/protocol';
import { openStore } from '../src/store/open-store.js';
import {
  assertNoDuplicates,
  move,
  oracle,
  prng,
  SEED,
  type OracleHit,
  type OraclePost,
  runStoreScanOracle,
} from './helpers/nearby-oracle.js';
import { startServer, tempDir, type TestServer } from './helpers/test-server.js';
import { signup, type TestUser } from './helpers/users.js';

// ---- a. The store's scan (helpers/nearby-oracle.ts), on SQLite. ----

runStoreScanOracle('sqlite', async () => {
  const dir = tempDir('lo-oracle-');
  const store = await openStore({ databaseUrl: `sqlite:${path.join(dir, 'lo.db')}`, sqliteSynchronous: 'NORMAL' });
  return {
    store,
    async cleanup() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

// ---- b. The HTTP feed, with the full visibility rule. ----

interface StoredPost extends OraclePost {
  authorId: string;
  visibility: 'public' | 'friends';
}

describe('nearby against a brute-force oracle: the HTTP feed', () => {
  const random = prng(SEED + 1);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  let server: TestServer;
  let users: TestUser[] = [];
  let offset = 0;
  const radii = [10_000, 1000, 3000, 500, 10_000, 2000];
  const friendships: Array<[number, number]> = [
    [0, 1],
    [2, 3],
    [0, 4],
    [3, 5],
  ];
  const blocks: Array<[number, number]> = [
    [1, 2],
    [5, 0],
  ];
  const places = [
    { lat: 48.86, lng: 2.347 },
    { lat: 48.8532, lng: 2.3692 },
    { lat: 35.6895, lng: 139.6917 },
  ];
  let stored: StoredPost[] = [];

  before(async () => {
    // A clock moved by hand, so some posts share a created_at and ties are broken by id.
    const base = Date.now();
    server = await startServer({}, tempDir(), { now: () => base + offset });
    users = [];
    for (let i = 0; i < radii.length; i += 1) users.push(await signup(server, `viewer${i}`));
    for (const [i, user] of users.entries()) await user.client.me.update({ visibility_radius: radii[i] ?? 1000 });
    for (const [a, b] of friendships) {
      const request = await users[a]?.client.friends.request(users[b]?.id ?? '');
      await users[b]?.client.friends.accept(request?.id ?? '');
    }
    for (const [a, b] of blocks) await users[a]?.client.blocks.add(users[b]?.id ?? '');

    const created: GeoMessage[] = [];
    for (let round = 0; round < 8; round += 1) {
      for (const [i, user] of users.entries()) {
        const place = places[(i + round) % places.length] ?? places[0];
        if (place === undefined) continue;
        const at = move(place.lat, place.lng, between(0, 2 * Math.PI), 3000 * Math.sqrt(random()));
        if (random() < 0.6) offset += 1 + Math.floor(random() * 1000);
        const visibility = random() < 0.3 ? 'friends' : 'public';
        created.push(
          await user.client.messages.create({ content: `r${round} u${i}`, ...at, radius: Math.round(between(300, 10_000)), visibility }),
        );
      }
    }
    for (const m of created.filter((_, i) => i % 13 === 5)) await users.find((u) => u.id === m.author.id)?.client.messages.delete(m.id);

    const db = new BetterSqlite3(path.join(server.dataDir, 'lo.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db
        .prepare('SELECT id, public_lat, public_lng, radius, author_id, visibility, created_at, deleted_at FROM messages')
        .all() as Array<{
        id: string;
        public_lat: number;
        public_lng: number;
        radius: number;
        author_id: string;
        visibility: 'public' | 'friends';
        created_at: number;
        deleted_at: number | null;
      }>;
      assert.equal(rows.length, created.length);
      stored = rows
        .filter((r) => r.deleted_at === null)
        .map((r) => ({
          id: r.id,
          publicLat: r.public_lat,
          publicLng: r.public_lng,
          radius: r.radius,
          authorId: r.author_id,
          visibility: r.visibility,
          createdAt: r.created_at,
        }));
    } finally {
      db.close();
    }
    assert.ok(stored.length < created.length, 'some posts were deleted');
    assert.ok(new Set(stored.map((p) => p.createdAt)).size < stored.length, 'some posts share a created_at');
  });

  after(() => server.close());

  const related = (pairs: Array<[number, number]>, a: number, b: number) =>
    pairs.some(([x, y]) => (x === a && y === b) || (x === b && y === a));

  function expectedFor(viewer: number, lat: number, lng: number, queryRadius: number | undefined, sort: NearbySort): OracleHit[] {
    const vr = radii[viewer] ?? 1000;
    const radius = Math.min(queryRadius ?? vr, vr);
    const index = (id: string) => users.findIndex((u) => u.id === id);
    return oracle(stored, lat, lng, radius, sort, (post, distance) => {
      const author = index(post.authorId);
      if (related(blocks, viewer, author)) return false;
      if (post.visibility === 'friends' && author !== viewer && !related(friendships, viewer, author)) return false;
      return distance <= post.radius;
    });
  }

  function queryPoints(): Array<{ lat: number; lng: number }> {
    return places.flatMap((p) => [p, move(p.lat, p.lng, between(0, 2 * Math.PI), between(200, 2500))]);
  }

  test('every viewer pages the feed (both sorts, limit 4) exactly as the oracle says: blocks, friends-only, radii', async () => {
    let nonEmpty = 0;
    const seenByViewer = new Map<number, Set<string>>();
    for (const [v, viewer] of users.entries()) {
      for (const q of queryPoints()) {
        for (const radius of [undefined, 800, 5000]) {
          for (const sort of ['recent', 'distance'] as const) {
            const label = `viewer ${v} at (${q.lat}, ${q.lng}) radius=${radius} ${sort}`;
            const items = await viewer.client.messages.nearbyAll({ lat: q.lat, lng: q.lng, sort, limit: 4, ...(radius && { radius }) });
            const ids = items.map((m) => m.id);
            assertNoDuplicates(ids, label);
            const expected = expectedFor(v, q.lat, q.lng, radius, sort);
            assert.deepEqual(
              ids,
              expected.map((e) => e.id),
              label,
            );
            if (ids.length > 0) nonEmpty += 1;
            for (const id of ids) (seenByViewer.get(v) ?? seenByViewer.set(v, new Set()).get(v))?.add(id);
          }
        }
      }
    }
    assert.ok(nonEmpty > 50, `most queries found posts (${nonEmpty})`);
    // The rules did hide something: a blocked author's posts and a stranger's friends-only post exist.
    const hiddenFrom1 = stored.filter((p) => p.authorId === users[2]?.id);
    assert.ok(hiddenFrom1.length > 0 && hiddenFrom1.every((p) => !seenByViewer.get(1)?.has(p.id)));
    assert.ok(stored.some((p) => p.visibility === 'friends' && seenByViewer.get(0)?.has(p.id) && p.authorId !== users[0]?.id));
  });

  test('POST /rpc/get_nearby_messages answers the same first page as the feed', async () => {
    let pagesFollowed = 0;
    for (const [v, viewer] of users.entries()) {
      for (const q of places) {
        for (const [radius, limit] of [
          [undefined, undefined],
          [2000, undefined],
          [undefined, 3],
        ] as const) {
          const label = `viewer ${v} at (${q.lat}, ${q.lng}) radius=${radius} limit=${limit}`;
          const args = { lat: q.lat, lng: q.lng, ...(radius && { radius_meters: radius }), ...(limit && { limit }) };
          const rpc = await viewer.client.rpc<Page<GeoMessage>>('get_nearby_messages', args);
          const feed = await viewer.client.messages.nearby({ lat: q.lat, lng: q.lng, ...(radius && { radius }), ...(limit && { limit }) });
          assert.deepEqual(rpc.items, feed.items, label);
          // Cursors are opaque (not byte-equal between calls), but the RPC's one continues the same feed.
          assert.equal(rpc.next_cursor === null, feed.next_cursor === null, label);
          if (rpc.next_cursor !== null && feed.next_cursor !== null) {
            const query = { lat: q.lat, lng: q.lng, ...(radius && { radius }), ...(limit && { limit }) };
            const viaRpc = await viewer.client.messages.nearby({ ...query, cursor: rpc.next_cursor });
            const viaFeed = await viewer.client.messages.nearby({ ...query, cursor: feed.next_cursor });
            assert.deepEqual(viaRpc.items, viaFeed.items, `${label}: second page`);
            pagesFollowed += 1;
          }
          const expected = expectedFor(v, q.lat, q.lng, radius, 'recent').slice(0, limit ?? 20);
          assert.deepEqual(
            feed.items.map((m) => m.id),
            expected.map((e) => e.id),
          );
        }
      }
    }
    assert.ok(pagesFollowed > 0, 'some first page had a next page');
  });
});
