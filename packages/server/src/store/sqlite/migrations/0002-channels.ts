import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Persisted channels and rooms. A channel row holds the channel's position: `last_offset` is bumped in
 * the transaction that stores a message, so offsets are dense and in commit order, and `epoch` is made
 * once with the row so a subscriber can tell "same stream" from "stream was reset". Messages are keyed
 * by (channel, offset) so history and recovery reads are one primary-key range.
 */
export const channels: Migration = {
  async up(db: Kysely<unknown>) {
    const statements = [
      `CREATE TABLE channels (
        name TEXT PRIMARY KEY,
        epoch TEXT NOT NULL,
        last_offset INTEGER NOT NULL DEFAULT 0,
        trimmed_through INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      ) STRICT`,
      `CREATE TABLE channel_messages (
        channel TEXT NOT NULL,
        "offset" INTEGER NOT NULL,
        id TEXT NOT NULL UNIQUE,
        author_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        data TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        client_msg_id TEXT,
        PRIMARY KEY (channel, "offset")
      ) STRICT, WITHOUT ROWID`,
      `CREATE UNIQUE INDEX channel_messages_client_msg ON channel_messages (author_id, client_msg_id) WHERE client_msg_id IS NOT NULL`,
      // Also serves the author foreign key (account deletion cascades through it).
      `CREATE INDEX channel_messages_author ON channel_messages (author_id, created_at)`,
      // Retention by age; the entries carry (channel, offset) too (WITHOUT ROWID), so trim filters by prefix
      // and finds each channel's highest trimmed offset without reading the table.
      `CREATE INDEX channel_messages_created ON channel_messages (created_at)`,
      `CREATE TABLE rooms (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        visibility TEXT NOT NULL,
        owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        fence_lat REAL,
        fence_lng REAL,
        fence_radius INTEGER,
        created_at INTEGER NOT NULL
      ) STRICT`,
      `CREATE INDEX rooms_owner ON rooms (owner_id)`,
      `CREATE TABLE room_members (
        room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        joined_at INTEGER NOT NULL,
        PRIMARY KEY (room_id, user_id)
      ) STRICT, WITHOUT ROWID`,
      `CREATE INDEX room_members_joined ON room_members (room_id, joined_at, user_id)`,
      `CREATE INDEX room_members_user ON room_members (user_id, joined_at, room_id)`,
    ];
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
