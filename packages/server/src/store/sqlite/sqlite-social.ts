import type { EdgeRecord, FriendRequestRecord, PageAfter, RelationState, SocialRepo } from '../../core/store.js';
import type { SqliteDb } from './sqlite-db.js';
import { toRequest } from '../shared/rows.js';

/** Friendships are stored as two rows (a→b and b→a) so each side's list is one index range. */
export class SqliteSocial implements SocialRepo {
  constructor(private readonly db: SqliteDb) {}

  relation(userId: string, otherId: string): Promise<RelationState> {
    const k = this.db.kysely;
    const friendship = this.db.get(
      k.selectFrom('friendships').select('created_at').where('user_id', '=', userId).where('friend_id', '=', otherId),
    );
    const pending = (from: string, to: string) =>
      this.db.get(
        k.selectFrom('friend_requests').selectAll().where('from_id', '=', from).where('to_id', '=', to).where('status', '=', 'pending'),
      );
    const blocked = (blocker: string, blockedId: string) =>
      this.db.get(k.selectFrom('blocks').select('created_at').where('blocker_id', '=', blocker).where('blocked_id', '=', blockedId)) !==
      undefined;
    const sent = pending(userId, otherId);
    const received = pending(otherId, userId);
    return Promise.resolve({
      friendsSince: friendship?.created_at ?? null,
      sentRequest: sent ? toRequest(sent) : null,
      receivedRequest: received ? toRequest(received) : null,
      blocks: blocked(userId, otherId),
      blockedBy: blocked(otherId, userId),
    });
  }

  createRequest(request: FriendRequestRecord): Promise<void> {
    this.db.run(
      this.db.kysely.insertInto('friend_requests').values({
        id: request.id,
        from_id: request.fromId,
        to_id: request.toId,
        status: request.status,
        created_at: request.createdAt,
        responded_at: request.respondedAt,
      }),
    );
    return Promise.resolve();
  }

  requestById(id: string): Promise<FriendRequestRecord | null> {
    const row = this.db.get(this.db.kysely.selectFrom('friend_requests').selectAll().where('id', '=', id));
    return Promise.resolve(row ? toRequest(row) : null);
  }

  respond(id: string, status: 'accepted' | 'declined', now: number): Promise<boolean> {
    const k = this.db.kysely;
    const done = this.db.tx(() => {
      const row = this.db.get(k.selectFrom('friend_requests').selectAll().where('id', '=', id).where('status', '=', 'pending'));
      if (row === undefined) return false;
      this.db.run(k.updateTable('friend_requests').set({ status, responded_at: now }).where('id', '=', id));
      if (status === 'accepted') {
        this.db.run(
          k
            .insertInto('friendships')
            .values([
              { user_id: row.from_id, friend_id: row.to_id, created_at: now },
              { user_id: row.to_id, friend_id: row.from_id, created_at: now },
            ])
            .onConflict((oc) => oc.doNothing()),
        );
        // A crossing request in the other direction is settled by this friendship too.
        this.db.run(
          k
            .updateTable('friend_requests')
            .set({ status: 'accepted', responded_at: now })
            .where('from_id', '=', row.to_id)
            .where('to_id', '=', row.from_id)
            .where('status', '=', 'pending'),
        );
      }
      return true;
    });
    return Promise.resolve(done);
  }

  incoming(userId: string, limit: number, after?: PageAfter): Promise<FriendRequestRecord[]> {
    return Promise.resolve(this.pendingRequests('to_id', userId, limit, after));
  }

  outgoing(userId: string, limit: number, after?: PageAfter): Promise<FriendRequestRecord[]> {
    return Promise.resolve(this.pendingRequests('from_id', userId, limit, after));
  }

  friends(userId: string, limit: number, after?: PageAfter): Promise<EdgeRecord[]> {
    let q = this.db.kysely
      .selectFrom('friendships')
      .select(['friend_id as userId', 'created_at as at'])
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .orderBy('friend_id', 'desc')
      .limit(limit);
    if (after) {
      q = q.where((eb) =>
        eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('friend_id', '<', after.id)])]),
      );
    }
    return Promise.resolve(this.db.all(q));
  }

  areFriends(a: string, b: string): Promise<boolean> {
    const q = this.db.kysely.selectFrom('friendships').select('created_at').where('user_id', '=', a).where('friend_id', '=', b);
    return Promise.resolve(this.db.get(q) !== undefined);
  }

  friendIds(userId: string): Promise<Set<string>> {
    // Read on every WebSocket (re)open (realtime-node.ts `reload`): prepared, not built with Kysely each time.
    const rows = this.db.prepare('SELECT friend_id FROM friendships WHERE user_id = ?').all(userId) as Array<{ friend_id: string }>;
    return Promise.resolve(new Set(rows.map((r) => r.friend_id)));
  }

  removeFriend(a: string, b: string): Promise<boolean> {
    return Promise.resolve(this.deleteFriendship(a, b) > 0);
  }

  block(blockerId: string, blockedId: string, now: number): Promise<boolean> {
    const k = this.db.kysely;
    const added = this.db.tx(() => {
      const inserted = this.db.run(
        k
          .insertInto('blocks')
          .values({ blocker_id: blockerId, blocked_id: blockedId, created_at: now })
          .onConflict((oc) => oc.doNothing()),
      );
      // A block hides both people from each other everywhere: friendship and pending requests end.
      this.deleteFriendship(blockerId, blockedId);
      // One statement per direction: SQLite 3.53 fails with "internal query planner error" on
      // `status = ? AND ((from_id = ? AND to_id = ?) OR (...))` next to the partial index
      // friend_requests_pending, which made every POST /blocks answer 500.
      for (const [from, to] of [
        [blockerId, blockedId],
        [blockedId, blockerId],
      ] as const) {
        this.db.run(
          k
            .updateTable('friend_requests')
            .set({ status: 'declined', responded_at: now })
            .where('status', '=', 'pending')
            .where('from_id', '=', from)
            .where('to_id', '=', to),
        );
      }
      return inserted > 0;
    });
    return Promise.resolve(added);
  }

  unblock(blockerId: string, blockedId: string): Promise<boolean> {
    const q = this.db.kysely.deleteFrom('blocks').where('blocker_id', '=', blockerId).where('blocked_id', '=', blockedId);
    return Promise.resolve(this.db.run(q) > 0);
  }

  blocks(userId: string, limit: number, after?: PageAfter): Promise<EdgeRecord[]> {
    let q = this.db.kysely
      .selectFrom('blocks')
      .select(['blocked_id as userId', 'created_at as at'])
      .where('blocker_id', '=', userId)
      .orderBy('created_at', 'desc')
      .orderBy('blocked_id', 'desc')
      .limit(limit);
    if (after) {
      q = q.where((eb) =>
        eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('blocked_id', '<', after.id)])]),
      );
    }
    return Promise.resolve(this.db.all(q));
  }

  blockedEitherWay(userId: string): Promise<Set<string>> {
    const rows = this.db
      .prepare('SELECT blocked_id AS id FROM blocks WHERE blocker_id = ? UNION SELECT blocker_id FROM blocks WHERE blocked_id = ?')
      .all(userId, userId) as Array<{ id: string }>;
    return Promise.resolve(new Set(rows.map((r) => r.id)));
  }

  private deleteFriendship(a: string, b: string): number {
    const q = this.db.kysely
      .deleteFrom('friendships')
      .where((eb) =>
        eb.or([eb.and([eb('user_id', '=', a), eb('friend_id', '=', b)]), eb.and([eb('user_id', '=', b), eb('friend_id', '=', a)])]),
      );
    return this.db.run(q);
  }

  private pendingRequests(side: 'to_id' | 'from_id', userId: string, limit: number, after?: PageAfter): FriendRequestRecord[] {
    let q = this.db.kysely
      .selectFrom('friend_requests')
      .selectAll()
      .where(side, '=', userId)
      .where('status', '=', 'pending')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit);
    if (after) {
      q = q.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]));
    }
    return this.db.all(q).map(toRequest);
  }
}
