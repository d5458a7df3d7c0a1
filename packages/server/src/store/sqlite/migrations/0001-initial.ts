import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The foundation schema. Geo posts keep two positions: the exact one (lat, lng), shown only to the
 * author, and the public snapped one (public_lat, public_lng) that every viewer-facing computation
 * uses; the R*Tree indexes only the public one, over (lat, lng, time) so the newest posts of an area
 * can be read slice by slice without sorting the whole area.
 */
export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    const statements = [
      `CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT`,
      `CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        username_key TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT 'user',
        display_name TEXT,
        created_at INTEGER NOT NULL,
        banned_at INTEGER,
        visibility_radius INTEGER NOT NULL DEFAULT 1000,
        location_sharing TEXT NOT NULL DEFAULT 'off',
        location_precision TEXT NOT NULL DEFAULT 'coarse',
        ghost_mode INTEGER NOT NULL DEFAULT 0,
        ghost_until INTEGER
      ) STRICT`,
      `CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        device TEXT,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        ip_hash TEXT NOT NULL
      ) STRICT`,
      `CREATE INDEX sessions_user ON sessions (user_id, created_at)`,
      `CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        used_at INTEGER
      ) STRICT`,
      `CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)`,
      `CREATE TABLE friend_requests (
        id TEXT PRIMARY KEY,
        from_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        to_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        responded_at INTEGER
      ) STRICT`,
      `CREATE UNIQUE INDEX friend_requests_pending ON friend_requests (from_id, to_id) WHERE status = 'pending'`,
      `CREATE INDEX friend_requests_to ON friend_requests (to_id, status, created_at)`,
      `CREATE INDEX friend_requests_from ON friend_requests (from_id, status, created_at)`,
      `CREATE TABLE friendships (
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        friend_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, friend_id)
      ) STRICT, WITHOUT ROWID`,
      `CREATE INDEX friendships_recent ON friendships (user_id, created_at, friend_id)`,
      `CREATE TABLE blocks (
        blocker_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        blocked_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (blocker_id, blocked_id)
      ) STRICT, WITHOUT ROWID`,
      `CREATE INDEX blocks_blocked ON blocks (blocked_id)`,
      `CREATE INDEX blocks_recent ON blocks (blocker_id, created_at, blocked_id)`,
      `CREATE TABLE locations (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        lat REAL NOT NULL,
        lng REAL NOT NULL,
        accuracy REAL,
        at INTEGER NOT NULL
      ) STRICT`,
      `CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        author_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        content TEXT NOT NULL,
        lat REAL NOT NULL,
        lng REAL NOT NULL,
        public_lat REAL NOT NULL,
        public_lng REAL NOT NULL,
        radius INTEGER NOT NULL,
        visibility TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        edited_at INTEGER,
        deleted_at INTEGER,
        expires_at INTEGER,
        client_msg_id TEXT
      ) STRICT`,
      `CREATE UNIQUE INDEX messages_client_msg ON messages (author_id, client_msg_id) WHERE client_msg_id IS NOT NULL`,
      `CREATE INDEX messages_author ON messages (author_id, created_at)`,
      `CREATE INDEX messages_geo_created ON messages (created_at) WHERE kind = 'geo'`,
      `CREATE INDEX messages_geo_expires ON messages (expires_at) WHERE kind = 'geo' AND expires_at IS NOT NULL`,
      `CREATE VIRTUAL TABLE geo_index USING rtree (seq, min_lat, max_lat, min_lng, max_lng, min_t, max_t)`,
      `CREATE TABLE reactions (
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        emoji TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (message_id, user_id, emoji)
      ) STRICT, WITHOUT ROWID`,
      `CREATE INDEX reactions_user ON reactions (user_id)`,
      `CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        reporter_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        reason TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (message_id, reporter_id)
      ) STRICT`,
      `CREATE INDEX reports_reporter ON reports (reporter_id)`,
      `CREATE TABLE audit_log (
        id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        actor_id TEXT,
        action TEXT NOT NULL,
        target TEXT,
        data TEXT
      ) STRICT`,
    ];
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
