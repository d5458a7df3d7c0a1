import { sql } from 'kysely';
import type { EdgeRecord, FriendRequestRecord, PageAfter, RelationState, SocialRepo } from '../../core/store.js';
import type { Pg, PostgresDb } from './postgres-db.js';
import { toRequest } from '../shared/rows.js';

/** Friendships are stored as two rows (a→b and b→a) so each side's list is one index range. */
export class PostgresSocial implements SocialRepo {
  constructor(private readonly db: PostgresDb) {}

  relation(userId: string, otherId: string): Promise<RelationState> {
    // One snapshot for the five reads (REPEATABLE READ would also do; a plain transaction keeps it simple).
    return this.db.tx(async (trx) => {
      const friendship = await trx
        .selectFrom('friendships')
        .select('created_at')
        .where('user_id', '=', userId)
        .where('friend_id', '=', otherId)
        .executeTakeFirst();
      const pending = (from: string, to: string) =>
        trx
          .selectFrom('friend_requests')
          .selectAll()
          .where('from_id', '=', from)
          .where('to_id', '=', to)
          .where('status', '=', 'pending')
          .executeTakeFirst();
      const blocked = async (blocker: string, blockedId: string) =>
        (await trx
          .selectFrom('blocks')
          .select('created_at')
          .where('blocker_id', '=', blocker)
          .where('blocked_id', '=', blockedId)
          .executeTakeFirst()) !== undefined;
      const sent = await pending(userId, otherId);
      const received = await pending(otherId, userId);
      return {
        friendsSince: friendship?.created_at ?? null,
        sentRequest: sent ? toRequest(sent) : null,
        receivedRequest: received ? toRequest(received) : null,
        blocks: await blocked(userId, otherId),
        blockedBy: await blocked(otherId, userId),
      };
    });
  }

  async createRequest(request: FriendRequestRecord): Promise<void> {
    // Two pending requests from one user to another cannot coexist (unique index friend_requests_pending).
    await this.db.kysely
      .insertInto('friend_requests')
      .values({
        id: request.id,
        from_id: request.fromId,
        to_id: request.toId,
        status: request.status,
        created_at: request.createdAt,
        responded_at: request.respondedAt,
      })
      .execute();
  }

  async requestById(id: string): Promise<FriendRequestRecord | null> {
    const row = await this.db.kysely.selectFrom('friend_requests').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRequest(row) : null;
  }

  respond(id: string, status: 'accepted' | 'declined', now: number): Promise<boolean> {
    return this.db.tx(async (trx) => {
      // The conditional update is the decision: of concurrent responses, only one finds it pending.
      const row = await trx
        .updateTable('friend_requests')
        .set({ status, responded_at: now })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .returning(['from_id', 'to_id'])
        .executeTakeFirst();
      if (row === undefined) return false;
      if (status === 'accepted') {
        await trx
          .insertInto('friendships')
          .values([
            { user_id: row.from_id, friend_id: row.to_id, created_at: now },
            { user_id: row.to_id, friend_id: row.from_id, created_at: now },
          ])
          .onConflict((oc) => oc.doNothing())
          .execute();
        // A crossing request in the other direction is settled by this friendship too.
        await trx
          .updateTable('friend_requests')
          .set({ status: 'accepted', responded_at: now })
          .where('from_id', '=', row.to_id)
          .where('to_id', '=', row.from_id)
          .where('status', '=', 'pending')
          .execute();
      }
      return true;
    });
  }

  incoming(userId: string, limit: number, after?: PageAfter): Promise<FriendRequestRecord[]> {
    return this.pendingRequests('to_id', userId, limit, after);
  }

  outgoing(userId: string, limit: number, after?: PageAfter): Promise<FriendRequestRecord[]> {
    return this.pendingRequests('from_id', userId, limit, after);
  }

  async friends(userId: string, limit: number, after?: PageAfter): Promise<EdgeRecord[]> {
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
    return q.execute();
  }

  async areFriends(a: string, b: string): Promise<boolean> {
    const q = this.db.kysely.selectFrom('friendships').select('created_at').where('user_id', '=', a).where('friend_id', '=', b);
    return (await q.executeTakeFirst()) !== undefined;
  }

  async friendIds(userId: string): Promise<Set<string>> {
    const rows = await this.db.kysely.selectFrom('friendships').select('friend_id').where('user_id', '=', userId).execute();
    return new Set(rows.map((r) => r.friend_id));
  }

  async removeFriend(a: string, b: string): Promise<boolean> {
    return (await deleteFriendship(this.db.kysely, a, b)) > 0;
  }

  block(blockerId: string, blockedId: string, now: number): Promise<boolean> {
    return this.db.tx(async (trx) => {
      const inserted = await trx
        .insertInto('blocks')
        .values({ blocker_id: blockerId, blocked_id: blockedId, created_at: now })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      // A block hides both people from each other everywhere: friendship and pending requests end.
      await deleteFriendship(trx, blockerId, blockedId);
      await trx
        .updateTable('friend_requests')
        .set({ status: 'declined', responded_at: now })
        .where('status', '=', 'pending')
        .where((eb) =>
          eb.or([
            eb.and([eb('from_id', '=', blockerId), eb('to_id', '=', blockedId)]),
            eb.and([eb('from_id', '=', blockedId), eb('to_id', '=', blockerId)]),
          ]),
        )
        .execute();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
    });
  }

  async unblock(blockerId: string, blockedId: string): Promise<boolean> {
    const result = await this.db.kysely
      .deleteFrom('blocks')
      .where('blocker_id', '=', blockerId)
      .where('blocked_id', '=', blockedId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async blocks(userId: string, limit: number, after?: PageAfter): Promise<EdgeRecord[]> {
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
    return q.execute();
  }

  async blockedEitherWay(userId: string): Promise<Set<string>> {
    const { rows } = await sql<{ id: string }>`SELECT blocked_id AS id FROM blocks WHERE blocker_id = ${userId}
      UNION SELECT blocker_id FROM blocks WHERE blocked_id = ${userId}`.execute(this.db.kysely);
    return new Set(rows.map((r) => r.id));
  }

  private async pendingRequests(
    side: 'to_id' | 'from_id',
    userId: string,
    limit: number,
    after?: PageAfter,
  ): Promise<FriendRequestRecord[]> {
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
    return (await q.execute()).map(toRequest);
  }
}

async function deleteFriendship(db: Pg, a: string, b: string): Promise<number> {
  const result = await db
    .deleteFrom('friendships')
    .where((eb) =>
      eb.or([eb.and([eb('user_id', '=', a), eb('friend_id', '=', b)]), eb.and([eb('user_id', '=', b), eb('friend_id', '=', a)])]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
