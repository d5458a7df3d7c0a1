import type {
  GeoCandidate,
  MessageRecord,
  MessageRepo,
  NearbyHit,
  NearbyScan,
  NewGeoMessage,
  ReactionSummary,
  ReportRecord,
} from '../../core/store.js';
import type { SqliteDb } from './sqlite-db.js';
import type { MessagesTable } from './schema.js';
import { SqliteNearby } from './sqlite-nearby.js';
import { toMessage } from '../shared/rows.js';

type MessageRow = Omit<MessagesTable, 'seq'> & { seq: number; author_username: string };

/** The posts of a page, by seq (a JSON array). */
const PAGE_SQL = `SELECT m.*, u.username AS author_username FROM messages m JOIN users u ON u.id = m.author_id
  WHERE m.seq IN (SELECT value FROM json_each(?))`;

/** Reaction counts of some posts (a JSON array of ids), with whether the viewer (first parameter) made each. */
const REACTIONS_SQL = `SELECT message_id, emoji, count(*) AS count, max(user_id = ?) AS mine FROM reactions
  WHERE message_id IN (SELECT value FROM json_each(?))
  GROUP BY message_id, emoji ORDER BY message_id, count DESC, emoji`;

export class SqliteMessages implements MessageRepo {
  private readonly geo: SqliteNearby;
  /**
   * Expired posts up to this time have been removed from the geo index. It starts at 0, so the first
   * purge after a start sweeps everything (posts imported already expired included); later purges only
   * sweep forward. Expired posts left in the index are still filtered out by every scan.
   */
  private purgedUntil = 0;

  constructor(private readonly db: SqliteDb) {
    this.geo = new SqliteNearby(db);
  }

  private select() {
    return this.db.kysely
      .selectFrom('messages as m')
      .innerJoin('users as u', 'u.id', 'm.author_id')
      .selectAll('m')
      .select('u.username as author_username');
  }

  createGeo(message: NewGeoMessage): Promise<{ message: MessageRecord; created: boolean }> {
    const result = this.db.tx(() => {
      if (message.clientMsgId !== null) {
        const existing = this.db.get(
          this.select().where('m.author_id', '=', message.authorId).where('m.client_msg_id', '=', message.clientMsgId),
        );
        if (existing !== undefined) return { message: toMessage(existing), created: false };
      }
      const inserted = this.db.get(
        this.db.kysely
          .insertInto('messages')
          .values({
            id: message.id,
            author_id: message.authorId,
            kind: message.kind,
            content: message.content,
            lat: message.lat,
            lng: message.lng,
            public_lat: message.publicLat,
            public_lng: message.publicLng,
            radius: message.radius,
            visibility: message.visibility,
            created_at: message.createdAt,
            edited_at: null,
            deleted_at: null,
            expires_at: message.expiresAt,
            client_msg_id: message.clientMsgId,
          })
          .returning('seq'),
      );
      if (inserted === undefined) throw new Error('insert returned no row');
      this.geo.index(inserted.seq, message.publicLat, message.publicLng, message.createdAt);
      const row = this.db.get(this.select().where('m.seq', '=', inserted.seq));
      return { message: toMessage(row as MessageRow), created: true };
    });
    return Promise.resolve(result);
  }

  importGeo(messages: NewGeoMessage[]): Promise<number> {
    const insert = this.db.prepare(
      `INSERT INTO messages (id, author_id, kind, content, lat, lng, public_lat, public_lng, radius, visibility, created_at, expires_at, client_msg_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const stored = this.db.tx(() => {
      for (const m of messages) {
        const { lastInsertRowid } = insert.run(
          m.id,
          m.authorId,
          m.kind,
          m.content,
          m.lat,
          m.lng,
          m.publicLat,
          m.publicLng,
          m.radius,
          m.visibility,
          m.createdAt,
          m.expiresAt,
          m.clientMsgId,
        );
        this.geo.index(Number(lastInsertRowid), m.publicLat, m.publicLng, m.createdAt);
      }
      return messages.length;
    });
    return Promise.resolve(stored);
  }

  byId(id: string): Promise<MessageRecord | null> {
    const row = this.db.get(this.select().where('m.id', '=', id));
    return Promise.resolve(row ? toMessage(row as MessageRow) : null);
  }

  byClientMsgId(authorId: string, clientMsgId: string): Promise<MessageRecord | null> {
    const row = this.db.get(this.select().where('m.author_id', '=', authorId).where('m.client_msg_id', '=', clientMsgId));
    return Promise.resolve(row ? toMessage(row as MessageRow) : null);
  }

  updateContent(id: string, content: string, editedAt: number): Promise<MessageRecord | null> {
    this.db.run(
      this.db.kysely.updateTable('messages').set({ content, edited_at: editedAt }).where('id', '=', id).where('deleted_at', 'is', null),
    );
    return this.byId(id);
  }

  softDelete(id: string, at: number): Promise<boolean> {
    const done = this.db.tx(() => {
      const row = this.db.get(this.db.kysely.selectFrom('messages').select('seq').where('id', '=', id).where('deleted_at', 'is', null));
      if (row === undefined) return false;
      this.db.run(this.db.kysely.updateTable('messages').set({ deleted_at: at }).where('seq', '=', row.seq));
      this.geo.unindex(row.seq);
      return true;
    });
    return Promise.resolve(done);
  }

  nearby(scan: NearbyScan, accept: (candidate: GeoCandidate) => boolean): Promise<NearbyHit[]> {
    const hits = this.geo.scan(scan, accept);
    if (hits.length === 0) return Promise.resolve([]);
    // A raw statement with the page's seqs as one JSON parameter: this runs on every feed request, and
    // building it with Kysely cost more than the query.
    const rows = this.db.prepare(PAGE_SQL).all(JSON.stringify(hits.map((h) => h.seq))) as MessageRow[];
    const bySeq = new Map(rows.map((row) => [row.seq, toMessage(row)]));
    const result: NearbyHit[] = [];
    for (const hit of hits) {
      const message = bySeq.get(hit.seq);
      if (message !== undefined) result.push({ message, distance: hit.distance });
    }
    return Promise.resolve(result);
  }

  addReaction(messageId: string, userId: string, emoji: string, at: number): Promise<boolean> {
    const q = this.db.kysely
      .insertInto('reactions')
      .values({ message_id: messageId, user_id: userId, emoji, created_at: at })
      .onConflict((oc) => oc.doNothing());
    return Promise.resolve(this.db.run(q) > 0);
  }

  removeReaction(messageId: string, userId: string, emoji: string): Promise<boolean> {
    const q = this.db.kysely
      .deleteFrom('reactions')
      .where('message_id', '=', messageId)
      .where('user_id', '=', userId)
      .where('emoji', '=', emoji);
    return Promise.resolve(this.db.run(q) > 0);
  }

  reactions(messageIds: string[], viewerId: string): Promise<Map<string, ReactionSummary>> {
    const summaries = new Map<string, ReactionSummary>();
    if (messageIds.length === 0) return Promise.resolve(summaries);
    const rows = this.db.prepare(REACTIONS_SQL).all(viewerId, JSON.stringify(messageIds)) as Array<{
      message_id: string;
      emoji: string;
      count: number;
      mine: number;
    }>;
    for (const row of rows) {
      let summary = summaries.get(row.message_id);
      if (summary === undefined) {
        summary = { counts: [], mine: [] };
        summaries.set(row.message_id, summary);
      }
      summary.counts.push({ emoji: row.emoji, count: row.count });
      if (row.mine === 1) summary.mine.push(row.emoji);
    }
    return Promise.resolve(summaries);
  }

  report(report: ReportRecord): Promise<boolean> {
    const q = this.db.kysely
      .insertInto('reports')
      .values({
        id: report.id,
        message_id: report.messageId,
        reporter_id: report.reporterId,
        reason: report.reason,
        created_at: report.createdAt,
      })
      .onConflict((oc) => oc.columns(['message_id', 'reporter_id']).doNothing());
    return Promise.resolve(this.db.run(q) > 0);
  }

  purgeExpired(now: number): Promise<number> {
    const removed = this.db
      .prepare(
        `DELETE FROM geo_index WHERE seq IN (
           SELECT seq FROM messages WHERE kind = 'geo' AND expires_at IS NOT NULL AND expires_at > ? AND expires_at <= ?)`,
      )
      .run(this.purgedUntil, now).changes;
    this.purgedUntil = Math.max(this.purgedUntil, now);
    return Promise.resolve(removed);
  }

  byAuthor(authorId: string): Promise<MessageRecord[]> {
    const rows = this.db.all(this.select().where('m.author_id', '=', authorId).orderBy('m.created_at').orderBy('m.id'));
    return Promise.resolve(rows.map((row) => toMessage(row as MessageRow)));
  }

  reactionsBy(userId: string): Promise<Array<{ messageId: string; emoji: string; at: number }>> {
    const q = this.db.kysely
      .selectFrom('reactions')
      .select(['message_id as messageId', 'emoji', 'created_at as at'])
      .where('user_id', '=', userId)
      .orderBy('created_at');
    return Promise.resolve(this.db.all(q));
  }

  reportsBy(userId: string): Promise<ReportRecord[]> {
    const q = this.db.kysely
      .selectFrom('reports')
      .select(['id', 'message_id as messageId', 'reporter_id as reporterId', 'reason', 'created_at as createdAt'])
      .where('reporter_id', '=', userId)
      .orderBy('created_at');
    return Promise.resolve(this.db.all(q));
  }
}
