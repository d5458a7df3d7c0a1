import { sql, type Selectable, type Updateable } from 'kysely';
import type { NewUser, UserPatch, UserRecord, UserRepo } from '../../core/store.js';
import type { PostgresDb } from './postgres-db.js';
import type { UsersTable } from './schema.js';
import { toUser as userRecord, usernameKey } from '../shared/rows.js';

function toUser(row: Selectable<UsersTable>): UserRecord {
  return userRecord(row, row.ghost_mode);
}

export class PostgresUsers implements UserRepo {
  constructor(private readonly db: PostgresDb) {}

  async create(user: NewUser): Promise<UserRecord | null> {
    const row = await this.db.kysely
      .insertInto('users')
      .values({
        id: user.id,
        username: user.username,
        username_key: usernameKey(user.username),
        password_hash: user.passwordHash,
        role: user.role,
        created_at: user.createdAt,
      })
      .onConflict((oc) => oc.column('username_key').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async byId(id: string): Promise<UserRecord | null> {
    const row = await this.db.kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async byUsername(username: string): Promise<UserRecord | null> {
    const q = this.db.kysely.selectFrom('users').selectAll().where('username_key', '=', usernameKey(username));
    const row = await q.executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async byIds(ids: string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    return (await this.db.kysely.selectFrom('users').selectAll().where('id', 'in', ids).execute()).map(toUser);
  }

  async update(id: string, patch: UserPatch): Promise<UserRecord | null> {
    const values: Updateable<UsersTable> = {};
    if (patch.displayName !== undefined) values.display_name = patch.displayName;
    if (patch.visibilityRadius !== undefined) values.visibility_radius = patch.visibilityRadius;
    if (patch.locationSharing !== undefined) values.location_sharing = patch.locationSharing;
    if (patch.locationPrecision !== undefined) values.location_precision = patch.locationPrecision;
    if (patch.ghostMode !== undefined) values.ghost_mode = patch.ghostMode;
    if (patch.ghostUntil !== undefined) values.ghost_until = patch.ghostUntil;
    if (patch.proximityRadius !== undefined) values.proximity_radius = patch.proximityRadius;
    if (patch.role !== undefined) values.role = patch.role;
    if (patch.bannedAt !== undefined) values.banned_at = patch.bannedAt;
    if (Object.keys(values).length === 0) return this.byId(id);
    const row = await this.db.kysely.updateTable('users').set(values).where('id', '=', id).returningAll().executeTakeFirst();
    return row ? toUser(row) : null;
  }

  delete(id: string): Promise<boolean> {
    return this.db.tx(async (trx) => {
      // Rooms the user owns go with the account (foreign key), but their channels are keyed by name,
      // outside the foreign keys: drop each room's history and position here. Everything else the user
      // owns (posts, messages in other channels, edges, sessions) cascades from the users row.
      await sql`DELETE FROM channel_messages WHERE channel IN (SELECT 'room:' || id FROM rooms WHERE owner_id = ${id})`.execute(trx);
      await sql`DELETE FROM channels WHERE name IN (SELECT 'room:' || id FROM rooms WHERE owner_id = ${id})`.execute(trx);
      const result = await trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  async count(): Promise<number> {
    const row = await this.db.kysely
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
