import type { NewUser, UserPatch, UserRecord, UserRepo } from '../../core/store.js';
import type { SqliteDb } from './sqlite-db.js';
import type { Selectable, Updateable } from 'kysely';
import type { UsersTable } from './schema.js';
import { toUser as userRecord, usernameKey } from '../shared/rows.js';

/** The shared mapper, given this dialect's ghost_mode column as a boolean. */
function toUser(row: Selectable<UsersTable>): UserRecord {
  return userRecord(row, row.ghost_mode === 1);
}

/**
 * Read by every authenticated request and every WebSocket (re)open: a prepared statement, as building
 * and compiling the Kysely query cost more than running it (bench/results.md, the reconnect storm).
 */
const BY_ID_SQL = 'SELECT * FROM users WHERE id = ?';

export class SqliteUsers implements UserRepo {
  constructor(private readonly db: SqliteDb) {}

  create(user: NewUser): Promise<UserRecord | null> {
    const q = this.db.kysely
      .insertInto('users')
      .values({
        id: user.id,
        username: user.username,
        username_key: usernameKey(user.username),
        password_hash: user.passwordHash,
        role: user.role,
        created_at: user.createdAt,
      })
      .onConflict((oc) => oc.column('username_key').doNothing());
    if (this.db.run(q) === 0) return Promise.resolve(null);
    return this.byId(user.id);
  }

  byId(id: string): Promise<UserRecord | null> {
    const row = this.db.prepare(BY_ID_SQL).get(id) as Selectable<UsersTable> | undefined;
    return Promise.resolve(row ? toUser(row) : null);
  }

  byUsername(username: string): Promise<UserRecord | null> {
    const q = this.db.kysely.selectFrom('users').selectAll().where('username_key', '=', usernameKey(username));
    const row = this.db.get(q);
    return Promise.resolve(row ? toUser(row) : null);
  }

  byIds(ids: string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return Promise.resolve(this.db.all(this.db.kysely.selectFrom('users').selectAll().where('id', 'in', ids)).map(toUser));
  }

  update(id: string, patch: UserPatch): Promise<UserRecord | null> {
    const values: Updateable<UsersTable> = {};
    if (patch.displayName !== undefined) values.display_name = patch.displayName;
    if (patch.visibilityRadius !== undefined) values.visibility_radius = patch.visibilityRadius;
    if (patch.locationSharing !== undefined) values.location_sharing = patch.locationSharing;
    if (patch.locationPrecision !== undefined) values.location_precision = patch.locationPrecision;
    if (patch.ghostMode !== undefined) values.ghost_mode = patch.ghostMode ? 1 : 0;
    if (patch.ghostUntil !== undefined) values.ghost_until = patch.ghostUntil;
    if (patch.proximityRadius !== undefined) values.proximity_radius = patch.proximityRadius;
    if (patch.role !== undefined) values.role = patch.role;
    if (patch.bannedAt !== undefined) values.banned_at = patch.bannedAt;
    if (Object.keys(values).length > 0) this.db.run(this.db.kysely.updateTable('users').set(values).where('id', '=', id));
    return this.byId(id);
  }

  delete(id: string): Promise<boolean> {
    const removed = this.db.tx(() => {
      // The R*Tree is a virtual table outside the foreign keys: unindex the author's posts first.
      this.db.prepare('DELETE FROM geo_index WHERE seq IN (SELECT seq FROM messages WHERE author_id = ?)').run(id);
      // Rooms the user owns go with the account (foreign key), but their channels are keyed by name,
      // outside the foreign keys: drop each room's history and position here. The user's own messages in
      // other channels cascade from the users row.
      this.db.prepare(`DELETE FROM channel_messages WHERE channel IN (SELECT 'room:' || id FROM rooms WHERE owner_id = ?)`).run(id);
      this.db.prepare(`DELETE FROM channels WHERE name IN (SELECT 'room:' || id FROM rooms WHERE owner_id = ?)`).run(id);
      return this.db.run(this.db.kysely.deleteFrom('users').where('id', '=', id));
    });
    return Promise.resolve(removed > 0);
  }

  count(): Promise<number> {
    const row = this.db.get(this.db.kysely.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')));
    return Promise.resolve(Number(row?.n ?? 0));
  }
}
