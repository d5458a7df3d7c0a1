import { randomBytes } from 'node:crypto';
import type { Store } from '../../core/store.js';
import { SqliteAudit } from './sqlite-audit.js';
import { SqliteChannels } from './sqlite-channels.js';
import { SqliteDb, type SqliteOptions } from './sqlite-db.js';
import { SqliteBeacons, SqliteProximity } from './sqlite-live-location.js';
import { SqliteLocations } from './sqlite-locations.js';
import { SqliteMessages } from './sqlite-messages.js';
import { SqliteRooms } from './sqlite-rooms.js';
import { SqliteSessions } from './sqlite-sessions.js';
import { SqliteSocial } from './sqlite-social.js';
import { SqliteUsers } from './sqlite-users.js';

/** The embedded store: one SQLite file in WAL mode (see sqlite-db.ts for why calls are synchronous). */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly db: SqliteDb;
  readonly users: SqliteUsers;
  readonly sessions: SqliteSessions;
  readonly social: SqliteSocial;
  readonly locations: SqliteLocations;
  readonly messages: SqliteMessages;
  readonly audit: SqliteAudit;
  readonly channels: SqliteChannels;
  readonly rooms: SqliteRooms;
  readonly beacons: SqliteBeacons;
  readonly proximity: SqliteProximity;

  constructor(options: SqliteOptions) {
    this.db = new SqliteDb(options);
    this.users = new SqliteUsers(this.db);
    this.sessions = new SqliteSessions(this.db);
    this.social = new SqliteSocial(this.db);
    this.locations = new SqliteLocations(this.db);
    this.messages = new SqliteMessages(this.db);
    this.audit = new SqliteAudit(this.db);
    this.channels = new SqliteChannels(this.db);
    this.rooms = new SqliteRooms(this.db);
    this.beacons = new SqliteBeacons(this.db);
    this.proximity = new SqliteProximity(this.db);
  }

  secret(name: string): Promise<Uint8Array> {
    const k = this.db.kysely;
    const value = this.db.tx(() => {
      this.db.run(
        k
          .insertInto('meta')
          .values({ name: `secret:${name}`, value: randomBytes(32) })
          .onConflict((oc) => oc.column('name').doNothing()),
      );
      return this.db.get(k.selectFrom('meta').select('value').where('name', '=', `secret:${name}`))?.value;
    });
    if (value === undefined) throw new Error(`secret ${name} could not be stored`);
    return Promise.resolve(new Uint8Array(value));
  }

  migrate(): Promise<void> {
    return this.db.migrate();
  }

  ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
