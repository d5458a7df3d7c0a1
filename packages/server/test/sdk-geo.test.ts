/**
 * The SDK's live geo area (`client.nearby()`) against a real server: snapshot, live posts, deletions,
 * moving with the `loc` beacon, and a connection cut through a TCP proxy: after the reconnect the area
 * resubscribes with `since` and every post is emitted exactly once, none missed.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createClient, type GeoArea, type GeoMessage, type LoClient } from '@lo/client';
import WebSocket from 'ws';
import { offset, publicPoint } from './helpers/geo.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { strongPassword, uniqueUsername } from './helpers/users.js';
import { until } from './helpers/wait.js';

const LISBON = { lat: 38.7223, lng: -9.1393 };

const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** A signed-up SDK client on `url`; `reconnectMs` is its fixed reconnect delay. */
async function user(url: string, reconnectMs = 20): Promise<LoClient> {
  const client = createClient({ url, WebSocket, reconnect: { minDelayMs: reconnectMs, maxDelayMs: reconnectMs } });
  await client.auth.signup({ username: uniqueUsername('geo'), password: strongPassword() });
  cleanup.push(() => client.disconnect());
  return client;
}

/** Every post id an area emitted (snapshot, message, enter), in order, and its exits. */
function record(area: GeoArea) {
  const seen: string[] = [];
  const exits: string[] = [];
  const add = (m: GeoMessage) => seen.push(m.id);
  area.on('snapshot', (items) => [...items].reverse().forEach(add)); // newest first: record oldest first
  area.on('message', add);
  area.on('enter', add);
  area.on('exit', (e) => exits.push(`${e.message_id}:${e.reason}`));
  return { seen, exits };
}

describe('SDK live geo area', () => {
  let server: TestServer;

  test('snapshot, live posts, deletions and moving with the beacon', async () => {
    server = await startServer();
    cleanup.push(() => server.close());
    const [author, viewer] = [await user(server.url), await user(server.url)];
    const here = offset(LISBON, 0, 2000);
    const before = await author.messages.create({ content: 'before', lat: here.lat, lng: here.lng });
    const area = viewer.nearby({ lat: here.lat, lng: here.lng, radius: 800 });
    const { seen, exits } = record(area);
    await area.ready;
    assert.equal(area.radius, 800);
    assert.deepEqual(seen, [before.id]);
    assert.throws(() => viewer.nearby(here), /already has a nearby area/);

    const live = await author.messages.create({ content: 'live', lat: here.lat, lng: here.lng });
    await until(() => seen.length === 2, 5000, 'the live post');
    assert.deepEqual(seen, [before.id, live.id]);
    await author.messages.delete(before.id);
    await until(() => exits.length === 1, 5000, 'the exit');
    assert.deepEqual(exits, [`${before.id}:deleted`]);

    const away = await author.messages.create({ content: 'away', lat: here.lat, lng: here.lng + 0.03 });
    const awayAt = await publicPoint(server, away.id);
    await area.move(awayAt.lat, awayAt.lng);
    await until(() => seen.includes(away.id) && exits.length === 2, 5000, 'enter and exit after the move');
    assert.deepEqual(exits, [`${before.id}:deleted`, `${live.id}:moved`]);
    assert.deepEqual(area.centre, awayAt);

    await area.close();
    assert.equal(server.app.realtime.geo.stats.areas, 0, 'closed on the server too');
    const again = viewer.nearby(awayAt);
    await again.ready;
    await again.close();
  });

  test('after a connection cut the area resubscribes with since: nothing missed, nothing twice', async () => {
    const proxy = await startTcpProxy(server.url);
    cleanup.push(() => proxy.close());
    const author = await user(server.url);
    const viewer = await user(proxy.url, 400);
    const here = offset(LISBON, 180, 5000);
    const posted: string[] = [];
    const make = async (n: number) => {
      for (let i = 0; i < n; i++)
        posted.push((await author.messages.create({ content: `#${posted.length}`, lat: here.lat, lng: here.lng })).id);
    };
    await make(3);
    const area = viewer.nearby(here);
    const { seen } = record(area);
    const confirmed: boolean[] = [];
    area.on('subscribed', (e) => confirmed.push(e.recovered));
    await area.ready;
    await make(2);
    await until(() => seen.length === 5, 5000, 'five posts');
    assert.ok(proxy.cut() >= 1);
    // The client waits 400 ms before reconnecting: these are made while it is away.
    await make(4);
    await until(() => confirmed.length === 2, 5000, 'the resubscription');
    await make(2);
    await until(() => seen.length === posted.length, 5000, `all ${posted.length} posts`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(seen, posted, 'each post once, in order');
    assert.deepEqual(confirmed, [true, true]);
    await area.close();
  });
});
