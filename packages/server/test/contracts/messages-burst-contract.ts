/**
 * createGeo under a burst of concurrent calls, as a busy server makes them. A backend may write them
 * together (PostgreSQL's group commit, store/postgres/group-commit.ts), but each caller must get the
 * outcome it would have had alone: its own row, idempotent retries, and no one else's error.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { newId } from '../../src/util/ids.js';
import { geoDraft, makeUser, MINUTE, storeTest, T0, type StoreFactory } from './contract-kit.js';

export function runMessageBurstContract(factory: StoreFactory): void {
  describe('createGeo bursts', () => {
    storeTest(factory, '300 concurrent createGeo calls each store their own post, readable afterwards', async (store) => {
      const authors = [await makeUser(store), await makeUser(store), await makeUser(store)];
      const drafts = Array.from({ length: 300 }, (_, i) => {
        const author = authors[i % 3]!;
        return {
          author,
          draft: geoDraft(author.id, {
            lat: 48 + i / 1000,
            createdAt: T0 + (i % 7) * MINUTE,
            content: `post ${i} 'quoted', "double", {braces}, back\\slash, ünïcode`,
            clientMsgId: i % 2 === 0 ? `burst-${i}` : null,
            expiresAt: i % 5 === 0 ? T0 + 60 * MINUTE : null,
            radius: 100 + i,
          }),
        };
      });
      const results = await Promise.all(drafts.map(({ draft }) => store.messages.createGeo(draft)));
      results.forEach((result, i) => {
        const { author, draft } = drafts[i]!;
        assert.equal(result.created, true, `post ${i}`);
        assert.deepEqual(result.message, { ...draft, authorUsername: author.username, editedAt: null, deletedAt: null }, `post ${i}`);
      });
      for (const author of authors) {
        const stored = await store.messages.byAuthor(author.id);
        const expected = results.filter((r) => r.message.authorId === author.id).map((r) => r.message);
        const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
        assert.deepEqual([...stored].sort(byId), [...expected].sort(byId));
      }
      assert.deepEqual(await store.messages.byId(drafts[123]!.draft.id), results[123]!.message);
    });

    storeTest(factory, 'repeats of one clientMsgId in one burst store one post; the others get it with created: false', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const earlier = await store.messages.createGeo(geoDraft(a.id, { clientMsgId: 'earlier' }));
      const calls = Array.from({ length: 60 }, (_, i) => {
        if (i % 3 === 0) return geoDraft(a.id, { clientMsgId: 'dup', content: `attempt ${i}` });
        if (i % 3 === 1) return geoDraft(i % 2 === 0 ? a.id : b.id, { clientMsgId: `own-${i}` });
        return geoDraft(a.id, { clientMsgId: 'earlier' });
      });
      const results = await Promise.all(calls.map((draft) => store.messages.createGeo(draft)));
      const dup = results.filter((_, i) => i % 3 === 0);
      const winners = dup.filter((r) => r.created);
      assert.equal(winners.length, 1, 'exactly one repeat is stored');
      const winner = winners[0]!.message;
      assert.ok(
        dup.every((r) => r.message.id === winner.id),
        'every repeat gets the stored post',
      );
      assert.deepEqual(await store.messages.byClientMsgId(a.id, 'dup'), winner);
      for (const [i, r] of results.entries()) {
        if (i % 3 === 1) assert.equal(r.created, true, `own-${i}`);
        if (i % 3 === 2) assert.deepEqual(r, { message: earlier.message, created: false }, `retry of earlier at ${i}`);
      }
      assert.equal(
        (await store.messages.byAuthor(a.id)).length,
        2 + results.filter((r, i) => i % 3 === 1 && r.message.authorId === a.id).length,
      );
    });

    storeTest(factory, 'a post by an unknown author in a burst fails that call only', async (store) => {
      const a = await makeUser(store);
      const drafts = Array.from({ length: 40 }, (_, i) => geoDraft(i === 17 ? newId(T0) : a.id, { clientMsgId: i % 2 ? `c-${i}` : null }));
      // async: a backend may throw before it returns a promise (SQLite writes synchronously).
      const settled = await Promise.allSettled(drafts.map(async (draft) => store.messages.createGeo(draft)));
      assert.deepEqual(
        settled.map((s) => s.status),
        drafts.map((_, i) => (i === 17 ? 'rejected' : 'fulfilled')),
      );
      for (const s of settled) if (s.status === 'fulfilled') assert.equal(s.value.created, true);
      assert.equal((await store.messages.byAuthor(a.id)).length, 39);
      assert.equal(await store.messages.byId(drafts[17]!.id), null);
    });
  });
}
