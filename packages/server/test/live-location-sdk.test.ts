/**
 * The SDK's live location against a real server: `location.update`, `watchLocation` (kept across a
 * broken connection, shared by watches of one user), `on('proximity')`, friends' locations and area
 * counts. The watcher talks through a TCP proxy whose connections the test cuts.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { LocEventFrame, LoClient, ProximityFrame } from '@lo/client';
import { northOf, PARIS } from './helpers/live-location.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { sdkClient, startServer } from './helpers/test-server.js';
import { strongPassword, uniqueUsername } from './helpers/users.js';
import { until } from './helpers/wait.js';

const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function user(url: string): Promise<LoClient> {
  const client = sdkClient(url);
  await client.auth.signup({ username: uniqueUsername('loc'), password: strongPassword() });
  cleanup.push(() => client.disconnect());
  return client;
}

test('update, watchLocation across a reconnect, proximity events, friends.locations and areaCount', async () => {
  const server = await startServer();
  cleanup.push(() => server.close());
  const proxy = await startTcpProxy(server.url);
  cleanup.push(() => proxy.close());
  const [ana, ben] = await Promise.all([user(server.url), user(proxy.url)]);
  const settings = { location_sharing: 'friends', location_precision: 'exact', proximity_radius: 500 } as const;
  await Promise.all([ana.me.update(settings), ben.me.update(settings)]);
  await ben.friends.accept((await ana.friends.request(ben.user!.id)).id);
  await Promise.all([ana.connect(), ben.connect()]);
  const anaId = ana.user!.id;
  const channel = `loc:${anaId}`;

  const watch = ben.watchLocation(anaId);
  const seen: LocEventFrame[] = [];
  watch.on('location', (event) => seen.push(event));
  await watch.ready;
  await ana.location.update(PARIS.lat, PARIS.lng, 6);
  await until(() => seen.length === 1, 5000, 'the first beacon');
  assert.deepEqual([seen[0]?.lat, seen[0]?.accuracy, seen[0]?.precision, seen[0]?.user.id], [PARIS.lat, 6, 'exact', anaId]);

  const states: string[] = [];
  ben.on('state', (state) => states.push(state));
  proxy.cut();
  await until(() => states.includes('reconnecting') && ben.state === 'connected', 10_000, 'ben reconnected');
  await until(() => server.app.realtime.hub.subscriberCount(channel) === 1, 5000, 'the watch resubscribed');
  const moved = northOf(PARIS, 100);
  await ana.location.update(moved.lat, moved.lng);
  await until(() => seen.length === 2, 5000, 'the beacon after the reconnect');
  assert.equal(seen[1]?.lat, moved.lat);
  assert.equal(watch.latest?.lat, moved.lat);

  const alerts: ProximityFrame[] = [];
  ana.on('proximity', (event) => alerts.push(event));
  await ben.location.update(PARIS.lat, PARIS.lng);
  await until(() => alerts.length === 1, 5000, 'the proximity alert');
  assert.deepEqual(alerts[0], { type: 'proximity', user: ben.user, state: 'near', within: 500 });

  assert.deepEqual(
    (await ben.friends.locations()).map((l) => [l.user.id, l.lat]),
    [[anaId, moved.lat]],
  );
  assert.deepEqual(await ben.areaCount({ ...PARIS, radius: 1000 }), { count: 'few' }, 'over the WebSocket');
  ben.disconnect();
  assert.deepEqual(await ben.areaCount({ ...PARIS, radius: 1000 }), { count: 'few' }, 'over HTTP');
  await ben.connect();

  const second = ben.watchLocation(anaId);
  assert.equal(second.latest?.lat, moved.lat, 'a second watch starts from what the first one saw');
  await watch.close();
  await ana.location.update(PARIS.lat, PARIS.lng);
  await until(() => second.latest?.lat === PARIS.lat, 5000, 'the second watch still gets beacons');
  assert.equal(seen.length, 2, 'a closed watch gets nothing more');
  await second.close();
  await until(() => server.app.realtime.hub.subscriberCount(channel) === 0, 5000, 'the last close unsubscribed');
});

test('a refused watch reports the error and is not retried', async () => {
  const server = await startServer();
  cleanup.push(() => server.close());
  const [ana, eve] = await Promise.all([user(server.url), user(server.url)]);
  await ana.me.update({ location_sharing: 'friends' });
  await eve.connect();
  const watch = eve.watchLocation(ana.user!.id);
  const errors: string[] = [];
  watch.on('error', (error) => errors.push(error.code));
  await assert.rejects(watch.ready, (error: { code?: string }) => error.code === 'not_friends');
  assert.deepEqual(errors, ['not_friends']);
  await watch.close();
});
