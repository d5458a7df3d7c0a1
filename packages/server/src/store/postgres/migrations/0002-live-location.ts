import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The SQLite store's 0003 in PostgreSQL types: users' proximity alert distance, rooms whose fence must
 * be entered to join, live beacons (the exact point and the coarse public point area counts read) and
 * the friend pairs currently near each other (shared by every node, so a change is announced once).
 */
const ID = 'text COLLATE "C"';

export const liveLocation: Migration = {
  async up(db: Kysely<unknown>) {
    const statements = [
      `ALTER TABLE users ADD COLUMN proximity_radius integer`,
      `ALTER TABLE rooms ADD COLUMN fence_join_inside boolean NOT NULL DEFAULT false`,
      `CREATE TABLE beacons (
        user_id ${ID} PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        lat double precision NOT NULL,
        lng double precision NOT NULL,
        accuracy double precision,
        public_lat double precision NOT NULL,
        public_lng double precision NOT NULL,
        at bigint NOT NULL
      )`,
      `CREATE INDEX beacons_public ON beacons (public_lat, public_lng)`,
      `CREATE INDEX beacons_at ON beacons (at)`,
      `CREATE TABLE proximity_pairs (
        user_a ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        user_b ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        since bigint NOT NULL,
        PRIMARY KEY (user_a, user_b),
        CHECK (user_a < user_b)
      )`,
      `CREATE INDEX proximity_pairs_b ON proximity_pairs (user_b)`,
    ];
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
