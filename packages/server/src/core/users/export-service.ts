import { iso, isoOrNull, type Clock } from '../../util/time.js';
import type { PageAfter, Store } from '../store.js';
import { meView } from './user-views.js';
import { myLocationView } from './location-service.js';
import { LoError } from '../../errors/lo-error.js';

const BATCH = 1000;

/** Reads every page of a keyset-paged list. */
async function all<T>(read: (limit: number, after?: PageAfter) => Promise<T[]>, cursorOf: (item: T) => PageAfter): Promise<T[]> {
  const out: T[] = [];
  let after: PageAfter | undefined;
  for (;;) {
    const batch = await read(BATCH, after);
    out.push(...batch);
    const last = batch.at(-1);
    if (batch.length < BATCH || last === undefined) return out;
    after = cursorOf(last);
  }
}

/**
 * Everything Lo holds about a user, as one JSON document (GET /api/me/export): the right of access.
 * Contains the user's own exact positions, and of other people only their ids and usernames.
 */
export async function exportUserData(store: Store, clock: Clock, userId: string, sessionId: string) {
  const user = await store.users.byId(userId);
  if (user === null) throw new LoError('session_ended');
  const now = clock.now();
  const [location, sessions, friends, incoming, outgoing, blocks, messages, reactions, reports, inChannels, rooms] = await Promise.all([
    store.locations.get(userId),
    store.sessions.listActive(userId, now, 0),
    all(
      (l, a) => store.social.friends(userId, l, a),
      (e) => ({ at: e.at, id: e.userId }),
    ),
    all(
      (l, a) => store.social.incoming(userId, l, a),
      (r) => ({ at: r.createdAt, id: r.id }),
    ),
    all(
      (l, a) => store.social.outgoing(userId, l, a),
      (r) => ({ at: r.createdAt, id: r.id }),
    ),
    all(
      (l, a) => store.social.blocks(userId, l, a),
      (e) => ({ at: e.at, id: e.userId }),
    ),
    store.messages.byAuthor(userId),
    store.messages.reactionsBy(userId),
    store.messages.reportsBy(userId),
    store.channels.byAuthor(userId),
    all(
      (l, a) => store.rooms.ofUser(userId, l, a),
      (r) => ({ at: r.joinedAt, id: r.id }),
    ),
  ]);
  const roomRoles = await Promise.all(rooms.map((r) => store.rooms.role(r.id, userId)));
  // The live beacon as stored, whatever its age (housekeeping removes it 10 minutes after the last update).
  const [beacon] = await store.beacons.of([userId], 0);
  const people = new Map(
    (
      await store.users.byIds([
        ...new Set([
          ...friends.map((f) => f.userId),
          ...blocks.map((b) => b.userId),
          ...incoming.map((r) => r.fromId),
          ...outgoing.map((r) => r.toId),
        ]),
      ])
    ).map((u) => [u.id, { id: u.id, username: u.username }]),
  );
  const person = (id: string) => people.get(id) ?? { id, username: null };
  return {
    format: 'lo.user-export.v1' as const,
    exported_at: iso(now),
    user: meView(user, now),
    location: location === null ? null : myLocationView(location),
    beacon:
      beacon === undefined
        ? null
        : {
            lat: beacon.lat,
            lng: beacon.lng,
            accuracy: beacon.accuracy,
            coarse: { lat: beacon.publicLat, lng: beacon.publicLng },
            at: iso(beacon.at),
          },
    sessions: sessions.map((s) => ({
      id: s.id,
      device: s.device,
      created_at: iso(s.createdAt),
      last_used_at: iso(s.lastUsedAt),
      expires_at: iso(s.expiresAt),
      current: s.id === sessionId,
    })),
    friends: friends.map((f) => ({ user: person(f.userId), since: iso(f.at) })),
    friend_requests: {
      incoming: incoming.map((r) => ({ id: r.id, from: person(r.fromId), created_at: iso(r.createdAt) })),
      outgoing: outgoing.map((r) => ({ id: r.id, to: person(r.toId), created_at: iso(r.createdAt) })),
    },
    blocks: blocks.map((b) => ({ user: person(b.userId), created_at: iso(b.at) })),
    messages: messages.map((m) => ({
      id: m.id,
      kind: m.kind,
      content: m.content,
      lat: m.lat,
      lng: m.lng,
      radius: m.radius,
      visibility: m.visibility,
      created_at: iso(m.createdAt),
      edited_at: isoOrNull(m.editedAt),
      deleted_at: isoOrNull(m.deletedAt),
      expires_at: isoOrNull(m.expiresAt),
      client_msg_id: m.clientMsgId,
    })),
    reactions: reactions.map((r) => ({ message_id: r.messageId, emoji: r.emoji, created_at: iso(r.at) })),
    reports: reports.map((r) => ({ id: r.id, message_id: r.messageId, reason: r.reason, created_at: iso(r.createdAt) })),
    channel_messages: inChannels.map((m) => ({
      channel: m.channel,
      offset: m.offset,
      id: m.id,
      data: JSON.parse(m.data) as unknown,
      created_at: iso(m.createdAt),
      client_msg_id: m.clientMsgId,
    })),
    // A membership can end between the two reads; its role then shows as null rather than a guess.
    rooms: rooms.map((r, i) => ({ id: r.id, name: r.name, role: roomRoles[i] ?? null, joined_at: iso(r.joinedAt) })),
  };
}

export type UserExport = Awaited<ReturnType<typeof exportUserData>>;
