/**
 * The Store contract on real PostgreSQL + PostGIS, each test in a schema of its own, plus the races
 * that only a pooled backend can have. Runs when scripts/run-tests.mjs found the server
 * (LO_TEST_POSTGRES_URL); in CI a missing server fails the run.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../src/util/ids.js';
import { geoDraft, makeUser, storeTest, T0 } from './contracts/contract-kit.js';
import { runStoreContract } from './contracts/store-contract.js';
import { freshPostgresStore, POSTGRES_SKIP, POSTGRES_URL } from './helpers/postgres.js';

const url = POSTGRES_URL;
if (url === undefined) {
  test('Store contract: postgres', { skip: POSTGRES_SKIP }, () => undefined);
} else {
  const factory = () => freshPostgresStore(url);
  runStoreContract('postgres', factory);

  describe('postgres races on several connections', () => {
    storeTest(factory, 'concurrent appends retrying one client_msg_id store it once, at one offset, with no gap', async (store) => {
      const author = await makeUser(store);
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          store.channels.append({
            channel: 'room:retry',
            id: newId(T0),
            authorId: author.id,
            data: '{}',
            createdAt: T0,
            clientMsgId: 'c1',
          }),
        ),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.ok(results.every((r) => r.message.offset === 1 && r.message.id === results[0]?.message.id));
      const next = await store.channels.append({
        channel: 'room:retry',
        id: newId(T0),
        authorId: author.id,
        data: '{}',
        createdAt: T0,
        clientMsgId: null,
      });
      assert.equal(next.message.offset, 2, 'the rolled-back attempts consumed no offset');
    });

    storeTest(factory, 'concurrent createGeo retrying one client_msg_id stores one post', async (store) => {
      const author = await makeUser(store);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.messages.createGeo(geoDraft(author.id, { clientMsgId: 'g1' }))),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(new Set(results.map((r) => r.message.id)).size, 1);
      assert.equal((await store.messages.byAuthor(author.id)).length, 1);
    });

    storeTest(factory, 'concurrent responses to one friend request: exactly one succeeds', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const request = { id: newId(T0), fromId: a.id, toId: b.id, status: 'pending' as const, createdAt: T0, respondedAt: null };
      await store.social.createRequest(request);
      const outcomes = await Promise.all([
        store.social.respond(request.id, 'accepted', T0 + 1),
        store.social.respond(request.id, 'declined', T0 + 1),
        store.social.respond(request.id, 'accepted', T0 + 1),
      ]);
      assert.equal(outcomes.filter(Boolean).length, 1);
    });
  });
}
