import { sql } from 'kysely';
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
import { GroupCommit } from './group-commit.js';
import { isUniqueViolation, type Pg, type PostgresDb } from './postgres-db.js';
import { GEO_GROUP_MAX, insertGeoGroup, type CreatedGeo } from './postgres-geo-writer.js';
import { scanNearby } from './postgres-nearby.js';
import { toMessage } from '../shared/rows.js';

/** Rows per INSERT in importGeo (14 parameters each, under PostgreSQL's 65,535 per statement). */
const IMPORT_CHUNK = 2000;

/**
 * createGeo group statements written at once, at most half the pool (reads keep the rest). Several let
 * one group's commit (its WAL flush) overlap the next one's insert; a probe found 4 about 10 % faster
 * than 2, and 8 no faster than 4: more only split the same load into smaller groups.
 */
const GEO_GROUPS_IN_FLIGHT = 4;

const COLUMNS = [
  'm.id',
  'm.author_id',
  'm.content',
  'm.lat',
  'm.lng',
  'm.public_lat',
  'm.public_lng',
  'm.radius',
  'm.visibility',
  'm.created_at',
  'm.edited_at',
  'm.deleted_at',
  'm.expires_at',
  'm.client_msg_id',
] as const;

function geography(lat: number, lng: number) {
  return sql<string>`ST_SetSRID(ST_MakePoint(${lng}::float8, ${lat}::float8), 4326)::geography`;
}

function select(db: Pg) {
  return db
    .selectFrom('messages as m')
    .innerJoin('users as u', 'u.id', 'm.author_id')
    .select(COLUMNS)
    .select('u.username as author_username');
}

function toRow(m: NewGeoMessage) {
  return {
    id: m.id,
    author_id: m.authorId,
    kind: m.kind,
    content: m.content,
    lat: m.lat,
    lng: m.lng,
    public_lat: m.publicLat,
    public_lng: m.publicLng,
    public_geog: geography(m.publicLat, m.publicLng),
    radius: m.radius,
    visibility: m.visibility,
    created_at: m.createdAt,
    edited_at: null,
    deleted_at: null,
    expires_at: m.expiresAt,
    client_msg_id: m.clientMsgId,
  };
}

/** The scan's posts with their page columns; null when one vanished between the scan and the read. */
async function nearbyPage(db: Pg, scan: NearbyScan, accept: (candidate: GeoCandidate) => boolean): Promise<NearbyHit[] | null> {
  const hits = await scanNearby(db, scan, accept);
  if (hits.length === 0) return [];
  // One array parameter and an author lookup per row: a page is a few dozen posts, and a join would
  // hash the users table.
  const rows = await db
    .selectFrom('messages as m')
    .select(COLUMNS)
    .select(sql<string>`(SELECT u.username FROM users u WHERE u.id = m.author_id)`.as('author_username'))
    .where(sql<boolean>`m.id = ANY(${hits.map((h) => h.id)}::text[])`)
    .execute();
  const byId = new Map(rows.map((row) => [row.id, toMessage(row)]));
  const result: NearbyHit[] = [];
  for (const hit of hits) {
    const message = byId.get(hit.id);
    if (message !== undefined && message.deletedAt === null) result.push({ message, distance: hit.distance });
  }
  return result.length === hits.length || db.isTransaction ? result : null;
}

/**
 * Geo posts. A post is in the geo index while `public_geog` is set: softDelete and purgeExpired clear
 * it (the row stays readable by id), and nearby scans read only indexed rows (postgres-nearby.ts).
 */
export class PostgresMessages implements MessageRepo {
  /** Concurrent createGeo calls share one INSERT (group-commit.ts); a failed group falls back to createOne. */
  private readonly geoWriter: GroupCommit<NewGeoMessage, CreatedGeo>;

  constructor(private readonly db: PostgresDb) {
    this.geoWriter = new GroupCommit({
      writeGroup: (group) => insertGeoGroup(db.kysely, group),
      single: (message) => this.createOne(message),
      maxGroup: GEO_GROUP_MAX,
      maxInFlight: Math.max(1, Math.min(GEO_GROUPS_IN_FLIGHT, Math.floor((db.pool.options.max ?? 10) / 2))),
    });
  }

  createGeo(message: NewGeoMessage): Promise<CreatedGeo> {
    return this.geoWriter.submit(message);
  }

  /**
   * One post in a transaction of its own: the path of a post its group could not settle. The row found
   * may be this very post (same server-made id) when its group committed but the reply was lost with
   * the connection: that is still this call's creation.
   */
  private async createOne(message: NewGeoMessage): Promise<CreatedGeo> {
    const found = (existing: MessageRecord): CreatedGeo => ({ message: existing, created: existing.id === message.id });
    try {
      return await this.db.tx(async (trx) => {
        if (message.clientMsgId !== null) {
          const existing = await this.byClientMsgIdOn(trx, message.authorId, message.clientMsgId);
          if (existing !== null) return found(existing);
        }
        await trx.insertInto('messages').values(toRow(message)).execute();
        const row = await select(trx).where('m.id', '=', message.id).executeTakeFirstOrThrow();
        return { message: toMessage(row), created: true };
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // A concurrent retry with the same client_msg_id committed first (unique index messages_client_msg),
      // or this post's own group did (primary key).
      const existing =
        message.clientMsgId !== null ? await this.byClientMsgId(message.authorId, message.clientMsgId) : await this.byId(message.id);
      if (existing !== null && existing.authorId === message.authorId) return found(existing);
      throw error;
    }
  }

  async importGeo(messages: NewGeoMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    await this.db.tx(async (trx) => {
      for (let i = 0; i < messages.length; i += IMPORT_CHUNK) {
        await trx
          .insertInto('messages')
          .values(messages.slice(i, i + IMPORT_CHUNK).map(toRow))
          .execute();
      }
    });
    return messages.length;
  }

  async byId(id: string): Promise<MessageRecord | null> {
    const row = await select(this.db.kysely).where('m.id', '=', id).executeTakeFirst();
    return row ? toMessage(row) : null;
  }

  byClientMsgId(authorId: string, clientMsgId: string): Promise<MessageRecord | null> {
    return this.byClientMsgIdOn(this.db.kysely, authorId, clientMsgId);
  }

  private async byClientMsgIdOn(db: Pg, authorId: string, clientMsgId: string): Promise<MessageRecord | null> {
    const row = await select(db).where('m.author_id', '=', authorId).where('m.client_msg_id', '=', clientMsgId).executeTakeFirst();
    return row ? toMessage(row) : null;
  }

  async updateContent(id: string, content: string, editedAt: number): Promise<MessageRecord | null> {
    await this.db.kysely
      .updateTable('messages')
      .set({ content, edited_at: editedAt })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .execute();
    return this.byId(id);
  }

  async softDelete(id: string, at: number): Promise<boolean> {
    const result = await this.db.kysely
      .updateTable('messages')
      .set({ deleted_at: at, public_geog: null })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async nearby(scan: NearbyScan, accept: (candidate: GeoCandidate) => boolean): Promise<NearbyHit[]> {
    // The scan and the page read are two statements. Outside a transaction they save two round trips
    // (BEGIN, COMMIT: a third of a feed query's time here); a post deleted between the two would
    // leave a short page, which a client reads as the feed's end, so that rare case is read again
    // from one snapshot.
    const page = await nearbyPage(this.db.kysely, scan, accept);
    if (page !== null) return page;
    return this.db.tx(async (trx) => (await nearbyPage(trx, scan, accept)) ?? [], 'repeatable read');
  }

  async addReaction(messageId: string, userId: string, emoji: string, at: number): Promise<boolean> {
    const result = await this.db.kysely
      .insertInto('reactions')
      .values({ message_id: messageId, user_id: userId, emoji, created_at: at })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async removeReaction(messageId: string, userId: string, emoji: string): Promise<boolean> {
    const result = await this.db.kysely
      .deleteFrom('reactions')
      .where('message_id', '=', messageId)
      .where('user_id', '=', userId)
      .where('emoji', '=', emoji)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async reactions(messageIds: string[], viewerId: string): Promise<Map<string, ReactionSummary>> {
    const summaries = new Map<string, ReactionSummary>();
    if (messageIds.length === 0) return summaries;
    const { rows } = await sql<{ message_id: string; emoji: string; count: number; mine: boolean }>`
      SELECT message_id, emoji, count(*)::int AS count, bool_or(user_id = ${viewerId}) AS mine FROM reactions
      WHERE message_id = ANY(${messageIds}::text[])
      GROUP BY message_id, emoji ORDER BY message_id, count DESC, emoji COLLATE "C"`.execute(this.db.kysely);
    for (const row of rows) {
      let summary = summaries.get(row.message_id);
      if (summary === undefined) {
        summary = { counts: [], mine: [] };
        summaries.set(row.message_id, summary);
      }
      summary.counts.push({ emoji: row.emoji, count: row.count });
      if (row.mine) summary.mine.push(row.emoji);
    }
    return summaries;
  }

  async report(report: ReportRecord): Promise<boolean> {
    const result = await this.db.kysely
      .insertInto('reports')
      .values({
        id: report.id,
        message_id: report.messageId,
        reporter_id: report.reporterId,
        reason: report.reason,
        created_at: report.createdAt,
      })
      .onConflict((oc) => oc.columns(['message_id', 'reporter_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async purgeExpired(now: number): Promise<number> {
    const result = await this.db.kysely
      .updateTable('messages')
      .set({ public_geog: null })
      .where('public_geog', 'is not', null)
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async byAuthor(authorId: string): Promise<MessageRecord[]> {
    const rows = await select(this.db.kysely).where('m.author_id', '=', authorId).orderBy('m.created_at').orderBy('m.id').execute();
    return rows.map(toMessage);
  }

  reactionsBy(userId: string): Promise<Array<{ messageId: string; emoji: string; at: number }>> {
    return this.db.kysely
      .selectFrom('reactions')
      .select(['message_id as messageId', 'emoji', 'created_at as at'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }

  reportsBy(userId: string): Promise<ReportRecord[]> {
    return this.db.kysely
      .selectFrom('reports')
      .select(['id', 'message_id as messageId', 'reporter_id as reporterId', 'reason', 'created_at as createdAt'])
      .where('reporter_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }
}
