/**
 * Oracle: live geo pushes reach exactly the viewers the REST feed shows each post to, and look exactly
 * as the feed shows them. Random viewers and posts in one city, with random radii, visibility radii,
 * friends-only posts, friendships and blocks; the feed (GET /messages/nearby at each viewer's position
 * and radius) is the oracle.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { GeoMessage } from '@lo/protocol';
import { befriend, drained, geoMessages, geoSocket, geoSub, offset, type GeoSocket } from './helpers/geo.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup, type TestUser } from './helpers/users.js';

const CITY = { lat: 41.3874, lng: 2.1686 };
const VIEWERS = 16;
const POSTS = 60;

let server: TestServer | undefined;
const sockets: GeoSocket[] = [];
after(async () => {
  for (const { ws } of sockets) ws.close();
  await server?.close();
});

test('pushes reach exactly the viewers the feed shows each post to, as the feed shows it', async () => {
  server = await startServer();
  const random = seeded(20240611);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const users: TestUser[] = [];
  for (let i = 0; i < VIEWERS; i++) users.push(await signup(server, `o${i}`));
  // Relations: a few friendships and blocks between random pairs.
  for (let i = 0; i < 10; i++) {
    const [a, b] = [pick(users), pick(users)];
    if (a === b) continue;
    if (i % 3 === 0) await a.client.blocks.add(b.id).catch(() => undefined);
    else await befriend(a, b).catch(() => undefined);
  }
  const viewers = await Promise.all(
    users.map(async (user) => {
      const visibility = pick([300, 800, 1000, 2500]);
      await user.client.me.update({ visibility_radius: visibility });
      const at = offset(CITY, random() * 360, random() * 2000);
      const radius = random() < 0.3 ? undefined : pick([50, 400, 1500, 4000]);
      const socket = await geoSocket(server!.url, user.auth.access_token);
      sockets.push(socket);
      await geoSub(socket.ws, at, radius === undefined ? {} : { radius });
      return { user, at, radius, socket };
    }),
  );
  const posted: GeoMessage[] = [];
  for (let i = 0; i < POSTS; i++) {
    const author = pick(users);
    const at = offset(CITY, random() * 360, random() * 2000);
    posted.push(
      await author.client.messages.create({
        content: `post ${i}`,
        lat: at.lat,
        lng: at.lng,
        radius: pick([300, 600, 1200, 3000]),
        visibility: random() < 0.3 ? 'friends' : 'public',
      }),
    );
  }
  await drained(...viewers.map((v) => v.socket.ws));
  const live = new Set(posted.map((m) => m.id));
  let deliveries = 0;
  for (const { user, at, radius, socket } of viewers) {
    const feed = await user.client.messages.nearbyAll({ lat: at.lat, lng: at.lng, ...(radius !== undefined && { radius }), limit: 100 });
    const expected = feed.filter((m) => live.has(m.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
    const pushed = geoMessages(socket.ws);
    assert.deepEqual(pushed, expected, `${user.username} at ${at.lat},${at.lng} r=${radius}`);
    deliveries += pushed.length;
  }
  // The draw must exercise both outcomes, or the test proves little.
  assert.ok(deliveries > 20 && deliveries < VIEWERS * POSTS - 20, `${deliveries} deliveries`);
});

function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}
