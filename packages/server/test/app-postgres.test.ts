/**
 * The whole server on PostgreSQL (LO_DATABASE_URL=postgres://…, a fresh schema): the store contract
 * checks the repos; this checks the wiring end to end with the real SDK, over HTTP and WebSocket.
 * Runs when scripts/run-tests.mjs found PostgreSQL (skipped loudly without it; a failure in CI).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import pg from 'pg';
import { POSTGRES_SKIP, POSTGRES_URL } from './helpers/postgres.js';
import { startServer } from './helpers/test-server.js';
import { signup } from './helpers/users.js';

const SPOT = { lat: 52.52, lng: 13.405 };

test(
  'signup, a geo post in the feed, a room with live delivery and history, all on PostgreSQL',
  { ...(POSTGRES_URL === undefined && { skip: POSTGRES_SKIP }) },
  async () => {
    const schema = `lo_test_${randomBytes(6).toString('hex')}`;
    const url = new URL(POSTGRES_URL!);
    url.searchParams.set('schema', schema);
    const server = await startServer({ LO_DATABASE_URL: url.toString() });
    after(async () => {
      await server.close();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    });
    const ana = await signup(server, 'pg');
    const ben = await signup(server, 'pg');
    const post = await ana.client.messages.create({ content: 'on PostgreSQL', ...SPOT });
    const feed = await ben.client.messages.nearby({ ...SPOT, radius: 1000 });
    assert.deepEqual(
      feed.items.map((m) => m.id),
      [post.id],
    );

    const room = await ana.client.rooms.create({ name: 'pg room', visibility: 'public' });
    await ben.client.rooms.join(room.id);
    const seen: number[] = [];
    ben.client.channel(room.channel).on('message', (m) => seen.push(m.offset ?? 0));
    await ben.client.channel(room.channel).subscribe();
    for (let i = 1; i <= 5; i++) await ana.client.channel(room.channel).publish({ text: `m${i}` });
    const deadline = Date.now() + 10_000;
    while (seen.length < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    const history = await ben.client.rooms.history(room.id, { after_offset: 0 });
    assert.deepEqual(
      history.items.map((m) => m.offset),
      [1, 2, 3, 4, 5],
    );
    ana.client.disconnect();
    ben.client.disconnect();
  },
);
