import { randomBytes } from 'node:crypto';
import type { ChannelMessageRecord, ChannelRepo, ChannelState, NewChannelMessage } from '../../core/channel-repos.js';
import type { SqliteDb } from './sqlite-db.js';
import { toChannelMessage, type ChannelMessageRow } from '../shared/rows.js';

/**
 * Retention by age, step 1: raise each matching channel's `trimmed_through` to the highest offset about
 * to go. Reads the created_at index only (its entries carry channel and offset); INDEXED BY because the
 * GROUP BY otherwise makes the planner walk the whole table in primary-key order to skip a sort.
 */
const AGE_MARK_SQL = `UPDATE channels SET trimmed_through = max(trimmed_through, t.top)
  FROM (SELECT channel, max("offset") AS top FROM channel_messages INDEXED BY channel_messages_created
        WHERE created_at < ? AND substr(channel, 1, ?) = ? GROUP BY channel) AS t
  WHERE channels.name = t.channel`;

const AGE_DELETE_SQL = `DELETE FROM channel_messages WHERE created_at < ? AND substr(channel, 1, ?) = ?`;

/**
 * Channels with messages beyond the newest `keep` that were not trimmed yet. One row per channel is
 * scanned; the messages themselves are only touched by a primary-key range per channel below.
 */
const KEEP_CANDIDATES_SQL = `SELECT name, last_offset - ? AS cut FROM channels
  WHERE substr(name, 1, ?) = ? AND last_offset - ? > trimmed_through`;

const KEEP_TOP_SQL = `SELECT max("offset") AS top FROM channel_messages WHERE channel = ? AND "offset" <= ?`;
const KEEP_DELETE_SQL = `DELETE FROM channel_messages WHERE channel = ? AND "offset" <= ?`;
const KEEP_MARK_SQL = `UPDATE channels SET trimmed_through = max(trimmed_through, ?) WHERE name = ?`;

/*
 * The hot statements (every publish, every subscribe and its recovery, every gap fill) are prepared SQL,
 * not Kysely queries: building and compiling those cost more than running them (the recovery read was
 * ~10 % of a reconnect storm's server time). They read the same columns as the Kysely `select()` below.
 */
const MESSAGE_COLUMNS = `SELECT m.*, u.username AS author_username FROM channel_messages AS m
  INNER JOIN users AS u ON u.id = m.author_id`;
/*
 * `LIMIT CAST(? AS INTEGER)`, not `LIMIT ?`: SQLite (3.53) plans with the value bound to a bare LIMIT
 * parameter, so binding it again, which better-sqlite3 does on every call, makes the statement recompile
 * on its next run (sqlite3ExprIsInteger marks it). Measured 15-25 µs per read, more than the read itself.
 */
const AFTER_SQL = `${MESSAGE_COLUMNS} WHERE m.channel = ? AND m."offset" > ? ORDER BY m."offset" LIMIT CAST(? AS INTEGER)`;
const BY_CLIENT_ID_SQL = `${MESSAGE_COLUMNS} WHERE m.author_id = ? AND m.client_msg_id = ?`;
const POSITION_SQL = 'SELECT last_offset, epoch, trimmed_through FROM channels WHERE name = ?';
const BUMP_SQL = 'UPDATE channels SET last_offset = last_offset + 1 WHERE name = ? RETURNING last_offset';
const INSERT_SQL = `INSERT INTO channel_messages (channel, "offset", id, author_id, data, created_at, client_msg_id)
  VALUES (?, ?, ?, ?, ?, ?, ?)`;
const AUTHOR_SQL = 'SELECT username FROM users WHERE id = ?';

/** SQLite's substr counts characters (code points), not UTF-16 units. */
function codePoints(text: string): number {
  return [...text].length;
}

/** Channels and their messages; the offset is assigned by bumping the channel row in the storing transaction. */
export class SqliteChannels implements ChannelRepo {
  constructor(private readonly db: SqliteDb) {}

  private select() {
    return this.db.kysely
      .selectFrom('channel_messages as m')
      .innerJoin('users as u', 'u.id', 'm.author_id')
      .selectAll('m')
      .select('u.username as author_username');
  }

  /** Creates the channel row with a fresh epoch unless it exists. */
  private ensure(channel: string): void {
    this.db.run(
      this.db.kysely
        .insertInto('channels')
        // created_at is bookkeeping only (no method reads it), so the wall clock is enough.
        .values({ name: channel, epoch: randomBytes(8).toString('base64url'), created_at: Date.now() })
        .onConflict((oc) => oc.column('name').doNothing()),
    );
  }

  append(message: NewChannelMessage): Promise<{ message: ChannelMessageRecord; created: boolean }> {
    const result = this.db.tx(() => {
      if (message.clientMsgId !== null) {
        const existing = this.db.prepare(BY_CLIENT_ID_SQL).get(message.authorId, message.clientMsgId) as ChannelMessageRow | undefined;
        if (existing !== undefined) return { message: toChannelMessage(existing), created: false };
      }
      // Bump first and create the row only when the channel is new: an insert-if-missing on every
      // publish would be one more write per message.
      let bumped = this.bump(message.channel);
      if (bumped === undefined) {
        this.ensure(message.channel);
        bumped = this.bump(message.channel);
      }
      if (bumped === undefined) throw new Error(`channel ${message.channel} vanished inside its transaction`);
      this.db
        .prepare(INSERT_SQL)
        .run(message.channel, bumped, message.id, message.authorId, message.data, message.createdAt, message.clientMsgId);
      const author = this.db.prepare(AUTHOR_SQL).get(message.authorId) as { username: string } | undefined;
      if (author === undefined) throw new Error(`author ${message.authorId} vanished inside its transaction`);
      const stored: ChannelMessageRecord = {
        channel: message.channel,
        offset: bumped,
        id: message.id,
        authorId: message.authorId,
        authorUsername: author.username,
        data: message.data,
        createdAt: message.createdAt,
        clientMsgId: message.clientMsgId,
      };
      return { message: stored, created: true };
    });
    return Promise.resolve(result);
  }

  /** Takes the channel's next offset; undefined when the channel has no row yet. */
  private bump(channel: string): number | undefined {
    return (this.db.prepare(BUMP_SQL).get(channel) as { last_offset: number } | undefined)?.last_offset;
  }

  read(channel: string, afterOffset: number, limit: number): Promise<{ state: ChannelState; messages: ChannelMessageRecord[] }> {
    const result = this.db.tx(() => {
      const position = () =>
        this.db.prepare(POSITION_SQL).get(channel) as { last_offset: number; epoch: string; trimmed_through: number } | undefined;
      // Only a new channel needs its row written: reading first keeps every later subscribe a read-only
      // transaction (measured: the insert-if-missing write was the largest cost of a reconnect storm).
      let row = position();
      if (row === undefined) {
        this.ensure(channel);
        row = position();
      }
      if (row === undefined) throw new Error(`channel ${channel} vanished inside its transaction`);
      // A subscribe without `since` asks for the position only (limit 0): no message read at all.
      const rows = limit > 0 ? (this.db.prepare(AFTER_SQL).all(channel, afterOffset, limit) as ChannelMessageRow[]) : [];
      return {
        state: { offset: row.last_offset, epoch: row.epoch, trimmedThrough: row.trimmed_through },
        messages: rows.map(toChannelMessage),
      };
    });
    return Promise.resolve(result);
  }

  latest(channel: string, limit: number, beforeOffset: number | null): Promise<ChannelMessageRecord[]> {
    let q = this.select().where('m.channel', '=', channel).orderBy('m.offset', 'desc').limit(limit);
    if (beforeOffset !== null) q = q.where('m.offset', '<', beforeOffset);
    return Promise.resolve(this.db.all(q).map(toChannelMessage).reverse());
  }

  trim(prefix: string, keep: number, olderThan: number): Promise<number> {
    const length = codePoints(prefix);
    const deleted = this.db.tx(() => {
      this.db.prepare(AGE_MARK_SQL).run(olderThan, length, prefix);
      let count = this.db.prepare(AGE_DELETE_SQL).run(olderThan, length, prefix).changes;
      if (keep > 0) {
        const candidates = this.db.prepare(KEEP_CANDIDATES_SQL).all(keep, length, prefix, keep) as Array<{ name: string; cut: number }>;
        for (const { name, cut } of candidates) {
          const { top } = this.db.prepare(KEEP_TOP_SQL).get(name, cut) as { top: number | null };
          // Only holes left below the cut (a deleted account's messages): nothing to trim.
          if (top === null) continue;
          count += this.db.prepare(KEEP_DELETE_SQL).run(name, cut).changes;
          this.db.prepare(KEEP_MARK_SQL).run(top, name);
        }
      }
      return count;
    });
    return Promise.resolve(deleted);
  }

  byAuthor(authorId: string): Promise<ChannelMessageRecord[]> {
    const q = this.select().where('m.author_id', '=', authorId).orderBy('m.created_at').orderBy('m.id');
    return Promise.resolve(this.db.all(q).map(toChannelMessage));
  }
}
