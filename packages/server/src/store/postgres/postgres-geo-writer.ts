/**
 * The group statement of createGeo's group commit (group-commit.ts): many posts in one INSERT, which
 * commits on its own (no BEGIN/COMMIT round trips) and returns the stored rows joined to their authors.
 */
import { sql } from 'kysely';
import type { MessageRecord, NewGeoMessage } from '../../core/store.js';
import { toMessage, type GeoMessageRow } from '../shared/rows.js';
import type { Pg } from './postgres-db.js';

export interface CreatedGeo {
  message: MessageRecord;
  created: boolean;
}

/**
 * Posts per group statement. The statement has one array parameter per column (13 in all) whatever the
 * group's size, so this bounds the statement's work and a group's latency rather than its parameters.
 */
export const GEO_GROUP_MAX = 200;

/**
 * Inserts `messages` in one statement, in order. Returns each one's outcome, or undefined for a post
 * this statement did not store because its (author_id, client_msg_id) was already taken: by a row
 * committed before (or concurrently, by another node), which the caller's per-post path then reads
 * with `created: false`. A repeat inside the group gets the first's row with `created: false`. Rejects
 * when any post cannot be stored (an unknown author, an id taken), storing none.
 */
export async function insertGeoGroup(db: Pg, messages: NewGeoMessage[]): Promise<Array<CreatedGeo | undefined>> {
  // Within the group, the first post of each (author_id, client_msg_id) stands for its repeats.
  const firstOf = new Map<string, number>();
  const rows: NewGeoMessage[] = [];
  const leaderOf = messages.map((m, i) => {
    if (m.clientMsgId !== null) {
      const key = `${m.authorId}\u0000${m.clientMsgId}`;
      const first = firstOf.get(key);
      if (first !== undefined) return first;
      firstOf.set(key, i);
    }
    rows.push(m);
    return i;
  });
  const column = <T>(pick: (m: NewGeoMessage) => T): T[] => rows.map(pick);
  const { rows: stored } = await sql<GeoMessageRow>`
    WITH ins AS (
      INSERT INTO messages (id, author_id, kind, content, lat, lng, public_lat, public_lng, public_geog, radius, visibility,
        created_at, expires_at, client_msg_id)
      SELECT id, author_id, kind, content, lat, lng, public_lat, public_lng,
        ST_SetSRID(ST_MakePoint(public_lng, public_lat), 4326)::geography, radius, visibility, created_at, expires_at, client_msg_id
      FROM unnest(
        ${column((m) => m.id)}::text[], ${column((m) => m.authorId)}::text[], ${column((m) => m.kind)}::text[],
        ${column((m) => m.content)}::text[], ${column((m) => m.lat)}::float8[], ${column((m) => m.lng)}::float8[],
        ${column((m) => m.publicLat)}::float8[], ${column((m) => m.publicLng)}::float8[], ${column((m) => m.radius)}::int4[],
        ${column((m) => m.visibility)}::text[], ${column((m) => m.createdAt)}::int8[], ${column((m) => m.expiresAt)}::int8[],
        ${column((m) => m.clientMsgId)}::text[]
      ) WITH ORDINALITY AS t(id, author_id, kind, content, lat, lng, public_lat, public_lng, radius, visibility, created_at,
        expires_at, client_msg_id, ord)
      ORDER BY ord
      ON CONFLICT (author_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING
      RETURNING *
    )
    SELECT i.id, i.author_id, i.content, i.lat, i.lng, i.public_lat, i.public_lng, i.radius, i.visibility, i.created_at,
      i.edited_at, i.deleted_at, i.expires_at, i.client_msg_id, u.username AS author_username
    FROM ins i JOIN users u ON u.id = i.author_id`.execute(db);
  const byId = new Map(stored.map((row) => [row.id, toMessage(row)]));
  return leaderOf.map((leader, i) => {
    const message = byId.get(messages[leader]!.id);
    if (message === undefined) return undefined;
    return leader === i ? { message, created: true } : { message: { ...message }, created: false };
  });
}
