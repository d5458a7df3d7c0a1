import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { GeoCandidate, NearbyAfter, NearbyHit, NearbyScan, Store } from '../../src/core/store.js';
import { newId } from '../../src/util/ids.js';
import {
  acceptAll,
  assertClose,
  DAY,
  EARTH_RADIUS_M,
  geoDraft,
  greatCircleM,
  HOUR,
  makeUser,
  MINUTE,
  sortedIds,
  storeTest,
  T0,
  walkPages,
  type StoreFactory,
} from './contract-kit.js';
import { runMessageBurstContract } from './messages-burst-contract.js';

const LAT = 48.8566;
const LNG = 2.3522;
/** The latitude `metres` north of the test centre. */
const north = (metres: number) => LAT + (metres / EARTH_RADIUS_M) * (180 / Math.PI);
const NOW = T0 + DAY;

function scan(overrides: Partial<NearbyScan> = {}): NearbyScan {
  return { lat: LAT, lng: LNG, radiusM: 5000, sort: 'recent', limit: 100, now: NOW, ...overrides };
}

const ids = (hits: NearbyHit[]) => hits.map((h) => h.message.id);

function afterOf(hit: NearbyHit, sort: 'recent' | 'distance'): NearbyAfter {
  return sort === 'recent'
    ? { sort, createdAt: hit.message.createdAt, id: hit.message.id }
    : { sort, distance: hit.distance, id: hit.message.id };
}

async function walkNearby(store: Store, base: NearbyScan, accept: (c: GeoCandidate) => boolean = acceptAll): Promise<NearbyHit[]> {
  return walkPages<NearbyHit, NearbyAfter>(
    base.limit,
    (after) => store.messages.nearby({ ...base, ...(after && { after }) }, accept),
    (last) => afterOf(last, base.sort),
  );
}

export function runMessageContract(factory: StoreFactory): void {
  describe('messages', () => {
    storeTest(factory, 'createGeo stores a post that byId returns with its author name', async (store) => {
      const author = await makeUser(store, 'poster');
      const draft = { ...geoDraft(author.id, { clientMsgId: 'c-1', expiresAt: NOW + DAY, visibility: 'friends' }), lat: 1, lng: 2 };
      const { message, created } = await store.messages.createGeo(draft);
      assert.equal(created, true);
      assert.deepEqual(message, { ...draft, authorUsername: author.username, editedAt: null, deletedAt: null });
      assert.deepEqual(await store.messages.byId(draft.id), message);
      assert.equal(await store.messages.byId(newId(T0)), null);
    });

    storeTest(factory, 'a clientMsgId already used by the author returns the original without storing anything', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const first = await store.messages.createGeo(geoDraft(a.id, { clientMsgId: 'retry-1', content: 'first' }));
      const retry = await store.messages.createGeo(geoDraft(a.id, { clientMsgId: 'retry-1', content: 'second', createdAt: T0 + 5 }));
      assert.equal(retry.created, false);
      assert.deepEqual(retry.message, first.message);
      const other = await store.messages.createGeo(geoDraft(b.id, { clientMsgId: 'retry-1', content: 'b' }));
      assert.equal(other.created, true, 'the same clientMsgId from another author is another post');
      assert.notEqual(other.message.id, first.message.id);
      await store.messages.createGeo(geoDraft(a.id, { clientMsgId: null }));
      assert.equal(
        (await store.messages.createGeo(geoDraft(a.id, { clientMsgId: null }))).created,
        true,
        'posts without one never collide',
      );
      assert.equal((await store.messages.byAuthor(a.id)).length, 3);
      assert.deepEqual(await store.messages.byClientMsgId(a.id, 'retry-1'), first.message);
      assert.deepEqual(await store.messages.byClientMsgId(b.id, 'retry-1'), other.message);
      assert.equal(await store.messages.byClientMsgId(a.id, 'nope'), null);
      const hits = await store.messages.nearby(scan(), acceptAll);
      assert.equal(hits.filter((h) => h.message.id === first.message.id).length, 1);
      assert.equal(hits.length, 4);
    });

    storeTest(factory, 'byClientMsgId finds the post after it is deleted, and a retry still returns it', async (store) => {
      const a = await makeUser(store);
      const { message } = await store.messages.createGeo(geoDraft(a.id, { clientMsgId: 'x' }));
      assert.ok(await store.messages.softDelete(message.id, T0 + 1));
      assert.equal((await store.messages.byClientMsgId(a.id, 'x'))?.deletedAt, T0 + 1);
      const retry = await store.messages.createGeo(geoDraft(a.id, { clientMsgId: 'x' }));
      assert.equal(retry.created, false);
      assert.equal(retry.message.id, message.id);
    });

    storeTest(factory, 'importGeo stores every post and indexes them for nearby', async (store) => {
      const a = await makeUser(store);
      const drafts = Array.from({ length: 25 }, (_, i) => geoDraft(a.id, { lat: north(i * 10), createdAt: T0 + i * MINUTE }));
      assert.equal(await store.messages.importGeo(drafts), 25);
      assert.equal(await store.messages.importGeo([]), 0);
      const hits = await store.messages.nearby(scan({ sort: 'recent' }), acceptAll);
      assert.deepEqual(ids(hits), drafts.map((d) => d.id).reverse());
      const byDistance = await store.messages.nearby(scan({ sort: 'distance' }), acceptAll);
      assert.deepEqual(
        ids(byDistance),
        drafts.map((d) => d.id),
      );
      const last = drafts.at(-1);
      assert.ok(last);
      assert.equal((await store.messages.byId(last.id))?.authorUsername, a.username);
    });

    storeTest(factory, 'updateContent changes the content and sets editedAt', async (store) => {
      const a = await makeUser(store);
      const { message } = await store.messages.createGeo(geoDraft(a.id, { content: 'before' }));
      const updated = await store.messages.updateContent(message.id, 'after', T0 + HOUR);
      assert.deepEqual(updated, { ...message, content: 'after', editedAt: T0 + HOUR });
      assert.deepEqual(await store.messages.byId(message.id), updated);
      assert.equal(await store.messages.updateContent(newId(T0), 'x', T0), null);
    });

    storeTest(factory, 'softDelete marks the post deleted once and removes it from nearby', async (store) => {
      const a = await makeUser(store);
      const kept = (await store.messages.createGeo(geoDraft(a.id, { lat: north(10) }))).message;
      const gone = (await store.messages.createGeo(geoDraft(a.id, { lat: north(20) }))).message;
      assert.equal(await store.messages.softDelete(gone.id, T0 + 7), true);
      assert.deepEqual(await store.messages.byId(gone.id), { ...gone, deletedAt: T0 + 7 });
      for (const sort of ['recent', 'distance'] as const) {
        assert.deepEqual(ids(await store.messages.nearby(scan({ sort }), acceptAll)), [kept.id], sort);
      }
      assert.equal(await store.messages.softDelete(gone.id, T0 + 8), false);
      assert.equal((await store.messages.byId(gone.id))?.deletedAt, T0 + 7);
      assert.equal(await store.messages.softDelete(newId(T0), T0), false);
    });

    storeTest(factory, 'nearby sort=recent with newerThan returns only the posts after that one, newest first', async (store) => {
      const a = await makeUser(store);
      const times = [T0 - 30 * DAY, T0 - 2 * DAY, T0, T0, T0, T0 + HOUR, T0 + 3 * DAY];
      for (const [i, createdAt] of times.entries()) await store.messages.createGeo(geoDraft(a.id, { lat: north(i * 10), createdAt }));
      const all = await store.messages.nearby(scan(), acceptAll);
      assert.equal(all.length, times.length);
      for (const [i, hit] of all.entries()) {
        const newerThan = { createdAt: hit.message.createdAt, id: hit.message.id };
        assert.deepEqual(ids(await store.messages.nearby(scan({ newerThan }), acceptAll)), ids(all.slice(0, i)), `after #${i}`);
      }
      const oldest = all.at(-1)!.message;
      const newest2 = await store.messages.nearby(scan({ limit: 2, newerThan: { createdAt: oldest.createdAt, id: oldest.id } }), acceptAll);
      assert.deepEqual(ids(newest2), ids(all.slice(0, 2)));
    });

    storeTest(factory, 'nearby sort=recent is newest first (ties by id desc) and pages without repeats or gaps', async (store) => {
      const a = await makeUser(store);
      const times = [T0, T0 + MINUTE, T0 + MINUTE, T0 + MINUTE, T0 - 3 * DAY, T0 + 2 * HOUR, T0 - 20 * DAY, T0 + 2 * HOUR, T0 + 5];
      // Ids in an order unrelated to insertion order, so a tie-break on insertion order would show.
      const idPool = times.map(() => newId(T0));
      const permutation = [5, 3, 8, 1, 0, 7, 2, 6, 4];
      const drafts = times.map((t, i) => geoDraft(a.id, { createdAt: t, lat: north(i * 37), id: idPool[permutation[i] ?? 0] }));
      await store.messages.importGeo(drafts.slice(0, 4));
      for (const d of drafts.slice(4)) await store.messages.createGeo(d);
      const expected = [...drafts].sort((x, y) => y.createdAt - x.createdAt || (x.id < y.id ? 1 : -1)).map((d) => d.id);
      for (const limit of [1, 2, 4, 100]) {
        assert.deepEqual(ids(await walkNearby(store, scan({ sort: 'recent', limit }))), expected, `limit ${limit}`);
      }
    });

    storeTest(factory, 'nearby sort=distance is nearest first (ties by id asc) with exact distances, and pages cleanly', async (store) => {
      const a = await makeUser(store);
      const metres = [400, 50, 50, 50, 1200, 4999, 5001, 0, 2500, 400];
      const drafts = metres.map((m, i) => geoDraft(a.id, { lat: north(m), createdAt: T0 + i }));
      await store.messages.importGeo(drafts);
      const expected = drafts
        .filter((_, i) => (metres[i] ?? 0) <= 5000)
        .map((d) => ({ id: d.id, distance: greatCircleM(LAT, LNG, d.publicLat, d.publicLng) }))
        .sort((x, y) => x.distance - y.distance || (x.id < y.id ? -1 : 1));
      for (const limit of [1, 3, 100]) {
        const hits = await walkNearby(store, scan({ sort: 'distance', limit }));
        assert.deepEqual(
          ids(hits),
          expected.map((e) => e.id),
          `limit ${limit}`,
        );
        hits.forEach((h, i) => assertClose(h.distance, expected[i]?.distance ?? NaN, h.message.id));
      }
    });

    storeTest(factory, 'nearby measures from the public point, not the exact one', async (store) => {
      const a = await makeUser(store);
      const shown = { ...geoDraft(a.id), lat: 10, lng: 10, publicLat: north(100), publicLng: LNG };
      const hidden = { ...geoDraft(a.id), lat: LAT, lng: LNG, publicLat: north(3000), publicLng: LNG };
      await store.messages.createGeo(shown);
      await store.messages.importGeo([hidden]);
      for (const sort of ['recent', 'distance'] as const) {
        const hits = await store.messages.nearby(scan({ sort, radiusM: 1000 }), acceptAll);
        assert.deepEqual(ids(hits), [shown.id], sort);
        assertClose(hits[0]?.distance ?? NaN, 100, 'distance to the public point');
      }
    });

    storeTest(factory, 'nearby applies accept to each candidate and honours limit', async (store) => {
      const a = await makeUser(store);
      const drafts = Array.from({ length: 12 }, (_, i) =>
        geoDraft(a.id, { lat: north(i * 100), createdAt: T0 + i, radius: 300 + i * 100, expiresAt: i === 3 ? NOW + 1 : null }),
      );
      await store.messages.importGeo(drafts);
      const seen: GeoCandidate[] = [];
      const even = (c: GeoCandidate) => {
        seen.push(c);
        return drafts.findIndex((d) => d.id === c.id) % 2 === 0;
      };
      for (const sort of ['recent', 'distance'] as const) {
        const all = await store.messages.nearby(scan({ sort }), even);
        assert.equal(all.length, 6, `${sort}: only accepted posts`);
        assert.ok(all.every((h) => drafts.findIndex((d) => d.id === h.message.id) % 2 === 0));
        const three = await store.messages.nearby(scan({ sort, limit: 3 }), even);
        assert.deepEqual(ids(three), ids(all).slice(0, 3), `${sort}: the first 3`);
      }
      const candidate = seen.find((c) => c.id === drafts[3]?.id);
      const d3 = drafts[3];
      assert.ok(candidate && d3);
      const { id, authorId, publicLat, publicLng, radius, visibility, createdAt, expiresAt } = candidate;
      assert.deepEqual(
        { id, authorId, publicLat, publicLng, radius, visibility, createdAt, expiresAt, distance: 0 },
        {
          id: d3.id,
          authorId: a.id,
          publicLat: d3.publicLat,
          publicLng: d3.publicLng,
          radius: d3.radius,
          visibility: 'public',
          createdAt: d3.createdAt,
          expiresAt: NOW + 1,
          distance: 0,
        },
      );
      assertClose(candidate.distance, 300);
      assert.deepEqual(await store.messages.nearby(scan({ limit: 4 }), () => false), []);
    });

    storeTest(factory, 'nearby skips posts expired at scan.now; purgeExpired counts them and they stay hidden', async (store) => {
      const a = await makeUser(store);
      const live = geoDraft(a.id, { lat: north(10), expiresAt: NOW + 1 });
      const forever = geoDraft(a.id, { lat: north(20), expiresAt: null });
      const atNow = geoDraft(a.id, { lat: north(30), expiresAt: NOW });
      const past = geoDraft(a.id, { lat: north(40), expiresAt: NOW - HOUR });
      const later = geoDraft(a.id, { lat: north(50), expiresAt: NOW + DAY });
      await store.messages.importGeo([live, forever, atNow]);
      await store.messages.createGeo(past);
      await store.messages.createGeo(later);
      const visible = async (now: number) => {
        const recent = await store.messages.nearby(scan({ now, sort: 'recent' }), acceptAll);
        const nearest = await store.messages.nearby(scan({ now, sort: 'distance' }), acceptAll);
        assert.deepEqual(sortedIds(ids(recent)), sortedIds(ids(nearest)));
        return sortedIds(ids(nearest));
      };
      assert.deepEqual(await visible(NOW), sortedIds([live.id, forever.id, later.id]));
      assert.equal(await store.messages.purgeExpired(NOW), 2);
      assert.deepEqual(await visible(NOW), sortedIds([live.id, forever.id, later.id]));
      assert.equal(await store.messages.purgeExpired(NOW), 0, 'nothing left to purge');
      assert.equal(await store.messages.purgeExpired(NOW + DAY), 2);
      assert.deepEqual(await visible(NOW + DAY), [forever.id]);
      assert.equal((await store.messages.byId(past.id))?.id, past.id, 'purged posts stay readable by id');
    });

    storeTest(factory, 'reactions: one per user and emoji, removable, counted with the viewer’s own', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const c = await makeUser(store);
      const m1 = (await store.messages.createGeo(geoDraft(a.id))).message;
      const m2 = (await store.messages.createGeo(geoDraft(a.id))).message;
      assert.equal(await store.messages.addReaction(m1.id, b.id, '👍', T0 + 1), true);
      assert.equal(await store.messages.addReaction(m1.id, b.id, '👍', T0 + 2), false);
      assert.equal(await store.messages.addReaction(m1.id, b.id, '🔥', T0 + 3), true);
      assert.equal(await store.messages.addReaction(m1.id, c.id, '👍', T0 + 4), true);
      assert.equal(await store.messages.addReaction(m2.id, c.id, '😀', T0 + 5), true);
      const sortCounts = (s: { counts: Array<{ emoji: string; count: number }>; mine: string[] } | undefined) =>
        s && { counts: [...s.counts].sort((x, y) => (x.emoji < y.emoji ? -1 : 1)), mine: [...s.mine].sort() };
      const forB = await store.messages.reactions([m1.id, m2.id], b.id);
      assert.deepEqual(sortCounts(forB.get(m1.id)), {
        counts: [
          { emoji: '👍', count: 2 },
          { emoji: '🔥', count: 1 },
        ].sort((x, y) => (x.emoji < y.emoji ? -1 : 1)),
        mine: ['👍', '🔥'].sort(),
      });
      assert.deepEqual(sortCounts(forB.get(m2.id)), { counts: [{ emoji: '😀', count: 1 }], mine: [] });
      assert.deepEqual((await store.messages.reactions([m1.id], c.id)).get(m1.id)?.mine, ['👍']);
      assert.equal((await store.messages.reactions([], b.id)).size, 0);

      assert.equal(await store.messages.removeReaction(m1.id, b.id, '👍'), true);
      assert.equal(await store.messages.removeReaction(m1.id, b.id, '👍'), false);
      assert.deepEqual(sortCounts((await store.messages.reactions([m1.id], b.id)).get(m1.id)), {
        counts: [
          { emoji: '👍', count: 1 },
          { emoji: '🔥', count: 1 },
        ].sort((x, y) => (x.emoji < y.emoji ? -1 : 1)),
        mine: ['🔥'],
      });
      assert.deepEqual(await store.messages.reactionsBy(b.id), [{ messageId: m1.id, emoji: '🔥', at: T0 + 3 }]);
      assert.deepEqual(await store.messages.reactionsBy(c.id), [
        { messageId: m1.id, emoji: '👍', at: T0 + 4 },
        { messageId: m2.id, emoji: '😀', at: T0 + 5 },
      ]);
    });

    storeTest(factory, 'report files once per user and message; reportsBy lists them', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const m1 = (await store.messages.createGeo(geoDraft(a.id))).message;
      const m2 = (await store.messages.createGeo(geoDraft(a.id))).message;
      const r1 = { id: newId(T0), messageId: m1.id, reporterId: b.id, reason: 'spam', createdAt: T0 };
      const r2 = { id: newId(T0 + 1), messageId: m2.id, reporterId: b.id, reason: 'rude', createdAt: T0 + 1 };
      assert.equal(await store.messages.report(r1), true);
      assert.equal(await store.messages.report({ ...r1, id: newId(T0 + 2), reason: 'again', createdAt: T0 + 2 }), false);
      assert.equal(await store.messages.report(r2), true);
      assert.equal(
        await store.messages.report({ id: newId(T0), messageId: m1.id, reporterId: a.id, reason: 'x', createdAt: T0 + 3 }),
        true,
      );
      assert.deepEqual(await store.messages.reportsBy(b.id), [r1, r2]);
    });

    storeTest(factory, 'byAuthor lists everything the author posted, oldest first, deleted included', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const newest = (await store.messages.createGeo(geoDraft(a.id, { createdAt: T0 + DAY }))).message;
      const oldest = (await store.messages.createGeo(geoDraft(a.id, { createdAt: T0 - DAY, expiresAt: T0 }))).message;
      const middle = (await store.messages.createGeo(geoDraft(a.id, { createdAt: T0 }))).message;
      await store.messages.createGeo(geoDraft(b.id, { createdAt: T0 }));
      assert.ok(await store.messages.softDelete(middle.id, T0 + 1));
      assert.deepEqual(await store.messages.byAuthor(a.id), [oldest, { ...middle, deletedAt: T0 + 1 }, newest]);
    });

    runMessageBurstContract(factory);
  });
}
