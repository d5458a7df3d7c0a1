import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The local feed by grid cell (postgres-feed-cells.ts). The GiST on `public_geog` hands back every post
 * in a circle's bounding box, each fetched from the heap and sorted by time: p95 29 ms on a million
 * posts (bench/results.md). A B-tree keyed by a 0.01-degree cell and time, carrying the columns a scan
 * decides on, gives each cell's newest posts from the index alone, so a feed query reads about one
 * index page per covering cell however many posts the circle holds.
 *
 * The cell is a stored generated column so every writer (the store, imports, hand-written SQL) keeps
 * it right. Its formula must stay the one in postgres-feed-cells.ts (`feedCell`). Adding it rewrites
 * the messages table once (minutes per tens of millions of rows: docs/OPERATIONS.md).
 */
export const feedCells: Migration = {
  async up(db: Kysely<unknown>) {
    const statements = [
      `ALTER TABLE messages ADD COLUMN cell integer GENERATED ALWAYS AS
        ((floor(public_lat * 100)::integer + 9000) * 36001 + (floor(public_lng * 100)::integer + 18000)) STORED`,
      `CREATE INDEX messages_cell_recent ON messages (cell, created_at DESC, id DESC)
        INCLUDE (author_id, public_lat, public_lng, radius, visibility, expires_at) WHERE public_geog IS NOT NULL`,
    ];
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
