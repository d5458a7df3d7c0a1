/**
 * The Store contract on real PostgreSQL + PostGIS, each test in a schema of its own, plus the races
 * that only a pooled backend can have. Runs when scripts/run-tests.mjs found the server
 * (LO_TEST_POSTGRES_URL); in CI a missing server fails the run.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LoError } from '../src/errors/lo-error.js';
import type { Store } from '../src/core/store.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
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

    storeTest(factory, 'two nodes bursting the same client_msg_ids (in opposite orders) store each once', async (store) => {
      // Each node writes its burst as group statements that wait on the other's rows, and may deadlock
      // with it (opposite orders): a failed group is written again post by post, so every call settles.
      const other = new PostgresStore({ url, schema: (store as PostgresStore).db.schema, poolSize: 4 });
      try {
        const author = await makeUser(store);
        const keys = Array.from({ length: 40 }, (_, i) => `k-${i}`);
        const burst = (node: Store, order: string[]) =>
          Promise.all(order.flatMap((k) => [k, k]).map((k) => node.messages.createGeo(geoDraft(author.id, { clientMsgId: k }))));
        const results = (await Promise.all([burst(store, keys), burst(other, [...keys].reverse())])).flat();
        for (const k of keys) {
          const forKey = results.filter((r) => r.message.clientMsgId === k);
          assert.equal(forKey.length, 4, k);
          assert.equal(forKey.filter((r) => r.created).length, 1, k);
          assert.equal(new Set(forKey.map((r) => r.message.id)).size, 1, k);
        }
        assert.equal((await store.messages.byAuthor(author.id)).length, keys.length);
      } finally {
        await other.close();
      }
    });

    test('a createGeo burst on a server that cannot be reached fails every call with unavailable', async () => {
      const unreachable = new URL(url);
      unreachable.port = '1';
      const store = new PostgresStore({ url: unreachable.toString(), poolSize: 2 });
      try {
        const settled = await Promise.allSettled(Array.from({ length: 10 }, () => store.messages.createGeo(geoDraft(newId(T0)))));
        for (const outcome of settled) {
          assert.equal(outcome.status, 'rejected');
          assert.ok(outcome.reason instanceof LoError && outcome.reason.code === 'unavailable', String(outcome.reason));
        }
      } finally {
        await store.close();
      }
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
