/**
 * What each client frame does (DESIGN section 5). Handlers throw LoError for expected refusals; the
 * connection turns those into error replies. Replies are pushed here, not returned, because a `sub`
 * reply must be queued before the publications held back during its recovery.
 */
import type {
  AuthFrame,
  ClientFrame,
  PingFrame,
  PresenceFrame,
  PresenceGetFrame,
  PubFrame,
  StatusFrame,
  SubFrame,
  TypingFrame,
  UnsubFrame,
} from '@lo/protocol';
import type { ChannelTarget } from '../core/channels/channel-access.js';
import { messageFrame, partsOf } from '../core/channels/message-frame.js';
import { LoError, isLoError } from '../errors/lo-error.js';
import type { Connection } from './connection.js';
import { areaCount, loc, pushLastBeacon } from './beacon-handlers.js';
import { geoSub, geoUnsub } from './geo-handlers.js';
import type { RealtimeNode } from './realtime-node.js';

const FRIEND_STATUS_MAX = 1000;

export function handleFrame(node: RealtimeNode, conn: Connection, frame: ClientFrame): Promise<void> {
  switch (frame.type) {
    case 'auth':
      return auth(node, conn, frame);
    case 'sub':
      return sub(node, conn, frame);
    case 'unsub':
      return unsub(node, conn, frame);
    case 'pub':
      return pub(node, conn, frame);
    case 'presence':
      return presence(node, conn, frame);
    case 'presence.get':
      return presenceGet(node, conn, frame);
    case 'typing':
      return typing(node, conn, frame);
    case 'status':
      return status(node, conn, frame);
    case 'status.get':
      return statusGet(node, conn, frame.id);
    case 'ping':
      return ping(conn, frame);
    case 'geo.sub':
      return geoSub(node, conn, frame);
    case 'geo.unsub':
      return geoUnsub(node, conn, frame);
    case 'loc':
      return loc(node, conn, frame);
    case 'area.count':
      return areaCount(node, conn, frame);
  }
}

async function auth(node: RealtimeNode, conn: Connection, frame: AuthFrame): Promise<void> {
  let authenticated;
  try {
    authenticated = await node.deps.auth.authenticateUser(frame.token);
  } catch (err) {
    if (conn.user !== null || !isLoError(err)) throw err;
    // A socket that never authenticated has nothing to keep: close it with the matching code.
    if (err.code === 'token_expired') return conn.close('token_expired');
    return conn.close(err.code === 'token_invalid' ? 'auth_failed' : 'session_ended');
  }
  const { claims, user } = authenticated;
  if (conn.user !== null && claims.userId !== conn.user.id) throw new LoError('forbidden', 'A connection stays with one user.');
  if (conn.user === null) {
    // The socket may have closed while the token was checked: its cleanup has run, so a slot, a hub
    // entry or a status taken now would never be given back.
    if (conn.isClosed) return;
    if (!node.admitUser(conn, claims.userId)) return conn.close('connection_limit');
    conn.authenticated(claims, user);
    await node.reload(conn);
    if (conn.isClosed) return;
    await node.hub.attachUser(conn);
    if (conn.isClosed) return;
    await node.status.set(conn.user!, conn.id, conn.status);
  } else {
    conn.authenticated(claims, conn.user);
  }
  const expiresIn = claims.expiresAt === undefined ? 0 : Math.max(0, Math.floor((claims.expiresAt - Date.now()) / 1000));
  conn.reply(frame.id, JSON.stringify({ user: conn.user, expires_in: expiresIn, client: conn.id }));
}

async function sub(node: RealtimeNode, conn: Connection, frame: SubFrame): Promise<void> {
  const { channel } = frame;
  if (conn.subs.has(channel)) throw new LoError('already_subscribed');
  if (conn.subs.size >= node.settings.maxSubscriptions) throw new LoError('too_many_subscriptions');
  const target = await node.deps.channels.access.check(conn.userId, channel, 'subscribe');
  // The socket may have closed during the check (it was cleaned up): registering it now would leak.
  if (conn.isClosed) return;
  const max = target.settings.maxSubscribers;
  if (max > 0 && node.hub.subscriberCount(channel) >= max) throw new LoError('channel_full');
  conn.subs.add(channel);
  try {
    await node.hub.subscribe(conn, channel);
    const recovery = await node.deps.channels.recover(target, frame.since, conn.hidden, node.settings.queueMaxBytes / 2);
    if (conn.isClosed) return;
    const missed = recovery.missed.map((m) => messageFrame(partsOf(m))).join(',');
    const { offset, epoch } = recovery.position;
    conn.reply(frame.id, `{"offset":${offset},"epoch":${JSON.stringify(epoch)},"recovered":${recovery.recovered},"missed":[${missed}]}`);
    await node.hub.activate(conn, channel, offset, recovery.missed.at(-1)?.offset ?? 0);
  } catch (err) {
    conn.subs.delete(channel);
    node.hub.unsubscribe(conn, channel);
    throw err;
  }
  if (target.namespace === 'loc') await pushLastBeacon(node, conn, channel);
  // The reply is out, so a presence failure (Redis unreachable) must not answer the frame a second
  // time: presence is ephemeral; the subscription stands and the failure is logged.
  if (target.settings.presence) await join(node, conn, target, null).catch((err: unknown) => node.onError(err, conn));
}

async function unsub(node: RealtimeNode, conn: Connection, frame: UnsubFrame): Promise<void> {
  if (!conn.subs.delete(frame.channel)) throw new LoError('not_subscribed');
  node.hub.unsubscribe(conn, frame.channel);
  await node.leave(conn, frame.channel);
  conn.reply(frame.id);
}

async function pub(node: RealtimeNode, conn: Connection, frame: PubFrame): Promise<void> {
  await node.limit(conn, 'publish', conn.userId);
  const published = await node.deps.channels.publish(conn.user!, frame.channel, frame.data, frame.client_msg_id);
  const offset = published.offset === null ? '' : `"offset":${published.offset},`;
  conn.reply(frame.id, `{${offset}"id":"${published.id}","created_at":"${new Date(published.createdAt).toISOString()}"}`);
}

async function presence(node: RealtimeNode, conn: Connection, frame: PresenceFrame): Promise<void> {
  const target = await subscribed(node, conn, frame.channel);
  if (!target.settings.presence) throw new LoError('channel_forbidden', 'This namespace has no presence.');
  await node.limit(conn, 'presence', conn.userId);
  await join(node, conn, target, frame.state);
  conn.reply(frame.id);
}

async function presenceGet(node: RealtimeNode, conn: Connection, frame: PresenceGetFrame): Promise<void> {
  const target = await subscribed(node, conn, frame.channel);
  if (!target.settings.presence) throw new LoError('channel_forbidden', 'This namespace has no presence.');
  const entries = await node.deps.presence.list(frame.channel);
  const items = [...entries]
    .filter(([, info]) => !conn.hidden.has(info.user.id))
    .map(([client, info]) => ({ client, user: info.user, state: info.state }));
  conn.reply(frame.id, JSON.stringify({ items }));
}

async function typing(node: RealtimeNode, conn: Connection, frame: TypingFrame): Promise<void> {
  const target = await subscribed(node, conn, frame.channel);
  if (!target.settings.typing) throw new LoError('channel_forbidden', 'This namespace has no typing indicators.');
  await node.limit(conn, 'typing', `${conn.userId}|${frame.channel}`);
  const event = JSON.stringify({ type: 'typing', channel: frame.channel, user: conn.user });
  await node.deps.broker.publish(frame.channel, { frame: event, from: conn.userId, skip: conn.id, sheddable: true });
  conn.reply(frame.id);
}

async function status(node: RealtimeNode, conn: Connection, frame: StatusFrame): Promise<void> {
  await node.limit(conn, 'status', conn.userId);
  conn.status = frame.status;
  await node.status.set(conn.user!, conn.id, frame.status);
  conn.reply(frame.id);
}

async function statusGet(node: RealtimeNode, conn: Connection, id: FrameId): Promise<void> {
  const visible = [...conn.friends].filter((friendId) => !conn.hidden.has(friendId));
  const items = await node.status.ofFriends(visible, FRIEND_STATUS_MAX);
  conn.reply(id, JSON.stringify({ items }));
}

function ping(conn: Connection, frame: PingFrame): Promise<void> {
  if (frame.id === undefined) conn.out.push(Buffer.from('{"type":"pong"}'));
  else conn.reply(frame.id);
  return Promise.resolve();
}

type FrameId = ClientFrame['id'];

/** Presence and typing act only in channels this connection is subscribed to. */
async function subscribed(node: RealtimeNode, conn: Connection, channel: string): Promise<ChannelTarget> {
  if (!conn.subs.has(channel)) throw new LoError('not_subscribed');
  return node.deps.channels.access.check(conn.userId, channel, 'subscribe');
}

/** Adds or updates this connection's presence entry and tells the channel (join, or state change). */
async function join(node: RealtimeNode, conn: Connection, target: ChannelTarget, state: unknown): Promise<void> {
  const user = conn.user!;
  const joined = await node.deps.presence.add(target.channel, conn.id, { user, state });
  conn.setPresence(target.channel, state);
  const type = joined ? 'presence.join' : 'presence.state';
  const event = JSON.stringify({ type, channel: target.channel, client: conn.id, user, ...(state !== null && { state }) });
  await node.deps.broker.publish(target.channel, { frame: event, from: user.id, sheddable: true });
}
