/**
 * A SQLite deployment with a bit of everything, made through the real server and SDK: users (one in
 * ghost mode, one with a location), friendships (accepted, pending, declined), a block, geo posts
 * (edited, deleted, expired) with reactions and a report, rooms (public, private, fenced) with members
 * and chat history, DMs, several sessions with a rotated refresh token. `observe` records what a
 * server answers about it, so a copy's answers can be compared with the original's.
 */
import type { GeoMessage, Page, ChannelMessage, Tokens } from '@lo/client';
import { sdkClient, startServer } from './test-server.js';
import { signup, type TestUser } from './users.js';

export const SPOT = { lat: 47.376888, lng: 8.541694 };
const near = (dLat: number, dLng: number) => ({ lat: SPOT.lat + dLat, lng: SPOT.lng + dLng });

export interface Credentials {
  id: string;
  username: string;
  password: string;
}

export interface SampleDeployment {
  dataDir: string;
  dbFile: string;
  /** ana, ben, cleo, dan. */
  users: Credentials[];
  roomId: string;
  /** Ids of the posts that should be in the geo index: neither deleted nor expired. */
  livePosts: string[];
  /** Ben's tokens from the original server, never used after it closed: a copy must still refresh them. */
  benTokens: Tokens;
  /** What the original server answered (observe). */
  seen: Observed;
  /** The original server's cursor to page 2 of the feed. */
  feedCursor: string;
}

export interface Observed {
  feedPage1: GeoMessage[];
  /**
   * Page 2 of the feed, asked for with the original server's cursor: it is sealed with a key derived
   * from the privacy secret (and a random nonce, so cursors themselves never compare equal).
   */
  feedPage2: Page<GeoMessage>;
  roomHistory: Page<ChannelMessage>;
  dmHistory: Page<ChannelMessage>;
  ghost: unknown;
}

function credentials(user: TestUser): Credentials {
  return { id: user.id, username: user.username, password: user.password };
}

/** Builds the deployment in `dataDir` and closes its server (the files stay). */
export async function buildSampleDeployment(dataDir: string): Promise<SampleDeployment> {
  let offsetMs = 0;
  const server = await startServer({}, dataDir, { now: () => Date.now() + offsetMs });
  try {
    const [ana, ben, cleo, dan] = [
      await signup(server, 'ana'),
      await signup(server, 'ben'),
      await signup(server, 'cleo'),
      await signup(server, 'dan'),
    ];
    const friends = async (a: TestUser, b: TestUser) => void (await b.client.friends.accept((await a.client.friends.request(b.id)).id));
    await friends(ana, ben);
    await friends(ana, cleo);
    await dan.client.friends.request(ben.id);
    await ben.client.friends.decline((await cleo.client.friends.request(ben.id)).id);
    await dan.client.blocks.add(cleo.id);
    await ana.client.me.setLocation({ ...SPOT, accuracy: 12.5 });
    await cleo.client.me.update({ ghost_mode: true, display_name: 'Cleo' });

    const p1 = await ana.client.messages.create({ content: 'coffee at the fountain ☕', ...SPOT, radius: 1000 });
    const p2 = await ana.client.messages.create({ content: 'second', ...near(0.001, 0.001), client_msg_id: 'ana-2' });
    const p3 = await ben.client.messages.create({ content: 'ben was here', ...near(-0.002, 0.001), radius: 2000 });
    const p4 = await cleo.client.messages.create({ content: 'soon gone', ...near(0.0005, -0.001) });
    const p5 = await dan.client.messages.create({ content: 'typo', ...near(0.001, 0) });
    await dan.client.messages.edit(p5.id, 'fixed');
    await ana.client.messages.delete(p2.id);
    offsetMs = -2 * 24 * 3600_000;
    await ben.client.messages.create({ content: 'two days old', ...SPOT, expires_in: 3600 });
    offsetMs = 0;
    await ben.client.messages.react(p1.id, '👍');
    await cleo.client.messages.react(p1.id, '👍');
    await cleo.client.messages.react(p1.id, '❤️');
    await dan.client.messages.report(p3.id, 'spam');

    const room = await ana.client.rooms.create({ name: 'fountain', visibility: 'public' });
    await ben.client.rooms.join(room.id);
    await cleo.client.rooms.join(room.id);
    for (let i = 1; i <= 3; i++) await ana.client.rooms.post(room.id, `ana ${i}`);
    await ben.client.rooms.post(room.id, 'ben 1', { clientMsgId: 'ben-room-1' });
    const secret = await ana.client.rooms.create({ name: 'secret', visibility: 'private' });
    await ana.client.rooms.addMember(secret.id, ben.id);
    await ben.client.rooms.post(secret.id, 'psst');
    await ana.client.rooms.create({ name: 'fenced', visibility: 'public', geofence: { ...SPOT, radius: 500 } });
    for (const text of ['hi ben', 'coffee?']) await ana.client.dms.send(ben.id, text);
    await ben.client.dms.send(ana.id, 'on my way');

    await ana.client.auth.refresh();
    const benPhone = sdkClient(server.url);
    await benPhone.auth.login({ username: ben.username, password: ben.password });
    const benTokens = benPhone.session!;

    const users = [ana, ben, cleo, dan].map(credentials);
    const { cursor: feedCursor, ...seen } = await observe(server.url, users, room.id);
    for (const user of [ana, ben, cleo, dan]) user.client.disconnect();
    return {
      dataDir,
      dbFile: `${dataDir}/lo.db`,
      users,
      roomId: room.id,
      livePosts: [p1, p3, p4, p5].map((p) => p.id),
      benTokens,
      seen,
      feedCursor,
    };
  } finally {
    await server.app.close();
  }
}

/**
 * Logs in as the deployment's users on `url` and records the answers a copy must give alike. Page 2
 * of the feed is read with `cursor` when given (the original's), else with this server's own.
 */
export async function observe(url: string, users: Credentials[], roomId: string, cursor?: string): Promise<Observed & { cursor: string }> {
  const [ana, ben, cleo] = users as [Credentials, Credentials, Credentials, Credentials];
  const login = async (user: Credentials) => {
    const client = sdkClient(url);
    await client.auth.login({ username: user.username, password: user.password });
    return client;
  };
  const viewer = await login(ben);
  const page1 = await viewer.messages.nearby({ ...SPOT, radius: 3000, limit: 2 });
  const feedPage2 = await viewer.messages.nearby({ ...SPOT, radius: 3000, limit: 2, cursor: cursor ?? page1.next_cursor ?? '' });
  const roomHistory = await viewer.rooms.history(roomId, { after_offset: 0 });
  const dmHistory = await viewer.dms.history(ana.id, { after_offset: 0 });
  const ghost = await (await login(cleo)).me.get();
  return { feedPage1: page1.items, feedPage2, roomHistory, dmHistory, ghost, cursor: page1.next_cursor ?? '' };
}
