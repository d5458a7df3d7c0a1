import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Live location (DESIGN section 7): each user's beacon, with the exact point and the coarse public
 * point computed when it is stored (area counts read only the public one, through its index), and
 * the friend pairs currently near each other, kept in the database so the near/far state is shared by
 * every node. Also: the proximity alert distance of users, and rooms whose fence must be entered to join.
 */
export const liveLocation: Migration = {
  async up(db: Kysely<unknown>) {
    const statements = [
      `ALTER TABLE users ADD COLUMN proximity_radius INTEGER`,
      `ALTER TABLE rooms ADD COLUMN fence_join_inside INTEGER NOT NULL DEFAULT 0`,
      `CREATE TABLE beacons (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        lat REAL NOT NULL,
        lng REAL NOT NULL,
        accuracy REAL,
        public_lat REAL NOT NULL,
        public_lng REAL NOT NULL,
        at INTEGER NOT NULL
      ) STRICT`,
      `CREATE INDEX beacons_public ON beacons (public_lat, public_lng)`,
      `CREATE INDEX beacons_at ON beacons (at)`,
      `CREATE TABLE proximity_pairs (
        user_a TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        user_b TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        since INTEGER NOT NULL,
        PRIMARY KEY (user_a, user_b),
        CHECK (user_a < user_b)
      ) STRICT, WITHOUT ROWID`,
      `CREATE INDEX proximity_pairs_b ON proximity_pairs (user_b)`,
    ];
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
