import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { ChannelMessageRecord, ChannelRepo, ChannelState, NewChannelMessage } from '../../core/channel-repos.js';
import { isUniqueViolation, type Pg, type PostgresDb } from './postgres-db.js';
import { toChannelMessage, type ChannelMessageRow } from '../shared/rows.js';

function select(db: Pg) {
  return db
    .selectFrom('channel_messages as m')
    .innerJoin('users as u', 'u.id', 'm.author_id')
    .selectAll('m')
    .select('u.username as author_username');
}

function newEpoch(): string {
  return randomBytes(8).toString('base64url');
}

/**
 * Channels and their messages. The offset comes from bumping the channel row in the storing
 * transaction (an upsert that creates the row on first use): the row lock it takes is held until
 * commit, so concurrent appends on any number of connections and nodes take turns, get consecutive
 * offsets and commit in offset order.
 */
export class PostgresChannels implements ChannelRepo {
  constructor(private readonly db: PostgresDb) {}

  async append(message: NewChannelMessage): Promise<{ message: ChannelMessageRecord; created: boolean }> {
    try {
      return await this.db.tx(async (trx) => {
        if (message.clientMsgId !== null) {
          const existing = await this.byClientMsgId(trx, message.authorId, message.clientMsgId);
          if (existing !== undefined) return { message: toChannelMessage(existing), created: false };
        }
        const bumped = await trx
          .insertInto('channels')
          // created_at is bookkeeping only (no method reads it), so the wall clock is enough.
          .values({ name: message.channel, epoch: newEpoch(), last_offset: 1, created_at: Date.now() })
          .onConflict((oc) => oc.column('name').doUpdateSet({ last_offset: sql<number>`channels.last_offset + 1` }))
          .returning('last_offset')
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('channel_messages')
          .values({
            channel: message.channel,
            offset: bumped.last_offset,
            id: message.id,
            author_id: message.authorId,
            data: message.data,
            created_at: message.createdAt,
            client_msg_id: message.clientMsgId,
          })
          .execute();
        const author = await trx.selectFrom('users').select('username').where('id', '=', message.authorId).executeTakeFirstOrThrow();
        const stored: ChannelMessageRecord = {
          channel: message.channel,
          offset: bumped.last_offset,
          id: message.id,
          authorId: message.authorId,
          authorUsername: author.username,
          data: message.data,
          createdAt: message.createdAt,
          clientMsgId: message.clientMsgId,
        };
        return { message: stored, created: true };
      });
    } catch (error) {
      // A concurrent retry with the same client_msg_id committed first; this one rolled back (offset too).
      if (message.clientMsgId !== null && isUniqueViolation(error)) {
        const existing = await this.byClientMsgId(this.db.kysely, message.authorId, message.clientMsgId);
        if (existing !== undefined) return { message: toChannelMessage(existing), created: false };
      }
      throw error;
    }
  }

  private byClientMsgId(db: Pg, authorId: string, clientMsgId: string): Promise<ChannelMessageRow | undefined> {
    return select(db).where('m.author_id', '=', authorId).where('m.client_msg_id', '=', clientMsgId).executeTakeFirst();
  }

  async read(channel: string, afterOffset: number, limit: number): Promise<{ state: ChannelState; messages: ChannelMessageRecord[] }> {
    // Create the row first, on its own: ON CONFLICT inside a repeatable-read transaction could fail with a
    // serialization error when another node creates the same channel at that moment.
    await this.db.kysely
      .insertInto('channels')
      .values({ name: channel, epoch: newEpoch(), created_at: Date.now() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    // One snapshot: the state and the messages agree (no message beyond state.offset).
    return this.db.tx(async (trx) => {
      const row = await trx
        .selectFrom('channels')
        .select(['last_offset', 'epoch', 'trimmed_through'])
        .where('name', '=', channel)
        .executeTakeFirstOrThrow();
      const rows = await select(trx)
        .where('m.channel', '=', channel)
        .where('m.offset', '>', afterOffset)
        .orderBy('m.offset', 'asc')
        .limit(limit)
        .execute();
      return {
        state: { offset: row.last_offset, epoch: row.epoch, trimmedThrough: row.trimmed_through },
        messages: rows.map(toChannelMessage),
      };
    }, 'repeatable read');
  }

  async latest(channel: string, limit: number, beforeOffset: number | null): Promise<ChannelMessageRecord[]> {
    let q = select(this.db.kysely).where('m.channel', '=', channel).orderBy('m.offset', 'desc').limit(limit);
    if (beforeOffset !== null) q = q.where('m.offset', '<', beforeOffset);
    return (await q.execute()).map(toChannelMessage).reverse();
  }

  trim(prefix: string, keep: number, olderThan: number): Promise<number> {
    return this.db.tx(async (trx) => {
      await sql`UPDATE channels c SET trimmed_through = GREATEST(c.trimmed_through, t.top)
        FROM (SELECT channel, max("offset") AS top FROM channel_messages
              WHERE created_at < ${olderThan}::bigint AND starts_with(channel, ${prefix}) GROUP BY channel) AS t
        WHERE c.name = t.channel`.execute(trx);
      const aged =
        await sql`DELETE FROM channel_messages WHERE created_at < ${olderThan}::bigint AND starts_with(channel, ${prefix})`.execute(trx);
      let count = Number(aged.numAffectedRows ?? 0n);
      if (keep <= 0) return count;
      // Channels with messages beyond the newest `keep` that were not trimmed yet (one row per channel).
      const { rows } = await sql<{ name: string; cut: number }>`SELECT name, last_offset - ${keep}::bigint AS cut FROM channels
        WHERE starts_with(name, ${prefix}) AND last_offset - ${keep}::bigint > trimmed_through`.execute(trx);
      for (const { name, cut } of rows) {
        const deleted = await sql<{ offset: number }>`DELETE FROM channel_messages WHERE channel = ${name} AND "offset" <= ${cut}::bigint
          RETURNING "offset"`.execute(trx);
        // Only holes left below the cut (a deleted account's messages): nothing to trim.
        if (deleted.rows.length === 0) continue;
        const top = Math.max(...deleted.rows.map((r) => r.offset));
        count += deleted.rows.length;
        await sql`UPDATE channels SET trimmed_through = GREATEST(trimmed_through, ${top}::bigint) WHERE name = ${name}`.execute(trx);
      }
      return count;
    });
  }

  async byAuthor(authorId: string): Promise<ChannelMessageRecord[]> {
    const rows = await select(this.db.kysely).where('m.author_id', '=', authorId).orderBy('m.created_at').orderBy('m.id').execute();
    return rows.map(toChannelMessage);
  }
}
