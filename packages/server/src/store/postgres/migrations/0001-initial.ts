import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The schema of the SQLite store (its 0001 and 0002) in PostgreSQL types. Ids, names and keys use the
 * "C" collation so ordering and keyset comparisons are bytewise, as in SQLite and in JavaScript,
 * whatever the database's locale. Geo posts keep the exact point (lat, lng), shown only to the author,
 * and the public snapped point (public_lat, public_lng) every viewer-facing computation uses; the GiST
 * index covers only `public_geog`, the public point as a geography, set while the post is indexed.
 */
const ID = 'text COLLATE "C"';

export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    const statements = [
      `CREATE TABLE meta (name ${ID} PRIMARY KEY, value bytea NOT NULL)`,
      `CREATE TABLE users (
        id ${ID} PRIMARY KEY,
        username text NOT NULL,
        username_key ${ID} NOT NULL UNIQUE,
        password_hash text NOT NULL,
        role text NOT NULL DEFAULT 'user',
        display_name text,
        created_at bigint NOT NULL,
        banned_at bigint,
        visibility_radius integer NOT NULL DEFAULT 1000,
        location_sharing text NOT NULL DEFAULT 'off',
        location_precision text NOT NULL DEFAULT 'coarse',
        ghost_mode boolean NOT NULL DEFAULT false,
        ghost_until bigint
      )`,
      `CREATE TABLE sessions (
        id ${ID} PRIMARY KEY,
        user_id ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        device text,
        created_at bigint NOT NULL,
        last_used_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        revoked_at bigint,
        ip_hash text NOT NULL
      )`,
      `CREATE INDEX sessions_user ON sessions (user_id, created_at)`,
      `CREATE TABLE refresh_tokens (
        token_hash ${ID} PRIMARY KEY,
        session_id ${ID} NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        created_at bigint NOT NULL,
        used_at bigint
      )`,
      `CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)`,
      `CREATE TABLE friend_requests (
        id ${ID} PRIMARY KEY,
        from_id ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        to_id ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        status text NOT NULL,
        created_at bigint NOT NULL,
        responded_at bigint
      )`,
      `CREATE UNIQUE INDEX friend_requests_pending ON friend_requests (from_id, to_id) WHERE status = 'pending'`,
      `CREATE INDEX friend_requests_to ON friend_requests (to_id, status, created_at)`,
      `CREATE INDEX friend_requests_from ON friend_requests (from_id, status, created_at)`,
      `CREATE TABLE friendships (
        user_id ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        friend_id ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at bigint NOT NULL,
        PRIMARY KEY (user_id, friend_id)
      )`,
      `CREATE INDEX friendships_friend ON friendships (friend_id)`,
      `CREATE INDEX friendships_recent ON friendships (user_id, created_at, friend_id)`,
      `CREATE TABLE blocks (
        blocker_id ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        blocked_id ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at bigint NOT NULL,
        PRIMARY KEY (blocker_id, blocked_id)
      )`,
      `CREATE INDEX blocks_blocked ON blocks (blocked_id)`,
      `CREATE INDEX blocks_recent ON blocks (blocker_id, created_at, blocked_id)`,
      `CREATE TABLE locations (
        user_id ${ID} PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        lat double precision NOT NULL,
        lng double precision NOT NULL,
        accuracy double precision,
        at bigint NOT NULL
      )`,
      `CREATE TABLE messages (
        id ${ID} PRIMARY KEY,
        author_id ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind text NOT NULL,
        content text NOT NULL,
        lat double precision NOT NULL,
        lng double precision NOT NULL,
        public_lat double precision NOT NULL,
        public_lng double precision NOT NULL,
        public_geog public.geography(Point, 4326),
        radius integer NOT NULL,
        visibility text NOT NULL,
        created_at bigint NOT NULL,
        edited_at bigint,
        deleted_at bigint,
        expires_at bigint,
        client_msg_id ${ID}
      )`,
      `CREATE UNIQUE INDEX messages_client_msg ON messages (author_id, client_msg_id) WHERE client_msg_id IS NOT NULL`,
      `CREATE INDEX messages_author ON messages (author_id, created_at)`,
      `CREATE INDEX messages_geo ON messages USING gist (public_geog)`,
      `CREATE INDEX messages_geo_created ON messages (created_at DESC, id DESC) WHERE public_geog IS NOT NULL`,
      `CREATE INDEX messages_geo_expires ON messages (expires_at) WHERE public_geog IS NOT NULL AND expires_at IS NOT NULL`,
      `CREATE TABLE reactions (
        message_id ${ID} NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        user_id ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        emoji text NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (message_id, user_id, emoji)
      )`,
      `CREATE INDEX reactions_user ON reactions (user_id)`,
      `CREATE TABLE reports (
        id ${ID} PRIMARY KEY,
        message_id ${ID} NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        reporter_id ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        reason text NOT NULL,
        created_at bigint NOT NULL,
        UNIQUE (message_id, reporter_id)
      )`,
      `CREATE INDEX reports_reporter ON reports (reporter_id)`,
      `CREATE TABLE audit_log (
        id ${ID} PRIMARY KEY,
        at bigint NOT NULL,
        actor_id ${ID},
        action text NOT NULL,
        target text,
        data text
      )`,
      `CREATE INDEX audit_log_recent ON audit_log (at DESC, id DESC)`,
      // A channel row holds its position: last_offset is bumped (row-locked) in the storing transaction.
      `CREATE TABLE channels (
        name ${ID} PRIMARY KEY,
        epoch text NOT NULL,
        last_offset bigint NOT NULL DEFAULT 0,
        trimmed_through bigint NOT NULL DEFAULT 0,
        created_at bigint NOT NULL
      )`,
      `CREATE TABLE channel_messages (
        channel ${ID} NOT NULL,
        "offset" bigint NOT NULL,
        id ${ID} NOT NULL UNIQUE,
        author_id ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        data text NOT NULL,
        created_at bigint NOT NULL,
        client_msg_id ${ID},
        PRIMARY KEY (channel, "offset")
      )`,
      `CREATE UNIQUE INDEX channel_messages_client_msg ON channel_messages (author_id, client_msg_id) WHERE client_msg_id IS NOT NULL`,
      `CREATE INDEX channel_messages_author ON channel_messages (author_id, created_at)`,
      `CREATE INDEX channel_messages_created ON channel_messages (created_at)`,
      `CREATE TABLE rooms (
        id ${ID} PRIMARY KEY,
        name text NOT NULL,
        visibility text NOT NULL,
        owner_id ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        fence_lat double precision,
        fence_lng double precision,
        fence_radius integer,
        created_at bigint NOT NULL
      )`,
      `CREATE INDEX rooms_owner ON rooms (owner_id)`,
      `CREATE TABLE room_members (
        room_id ${ID} NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
        user_id ${ID} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role text NOT NULL,
        joined_at bigint NOT NULL,
        PRIMARY KEY (room_id, user_id)
      )`,
      `CREATE INDEX room_members_joined ON room_members (room_id, joined_at, user_id)`,
      `CREATE INDEX room_members_user ON room_members (user_id, joined_at, room_id)`,
    ];
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
