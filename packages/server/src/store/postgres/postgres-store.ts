import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Store } from '../../core/store.js';
import { PostgresAudit } from './postgres-audit.js';
import { PostgresChannels } from './postgres-channels.js';
import { PostgresDb, type PostgresOptions } from './postgres-db.js';
import { PostgresBeacons, PostgresProximity } from './postgres-live-location.js';
import { PostgresLocations } from './postgres-locations.js';
import { PostgresMessages } from './postgres-messages.js';
import { PostgresRooms } from './postgres-rooms.js';
import { PostgresSessions } from './postgres-sessions.js';
import { PostgresSocial } from './postgres-social.js';
import { PostgresUsers } from './postgres-users.js';

/** The production store: PostgreSQL with PostGIS through a connection pool (see postgres-db.ts). */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly db: PostgresDb;
  readonly users: PostgresUsers;
  readonly sessions: PostgresSessions;
  readonly social: PostgresSocial;
  readonly locations: PostgresLocations;
  readonly messages: PostgresMessages;
  readonly audit: PostgresAudit;
  readonly channels: PostgresChannels;
  readonly rooms: PostgresRooms;
  readonly beacons: PostgresBeacons;
  readonly proximity: PostgresProximity;

  constructor(options: PostgresOptions) {
    this.db = new PostgresDb(options);
    this.users = new PostgresUsers(this.db);
    this.sessions = new PostgresSessions(this.db);
    this.social = new PostgresSocial(this.db);
    this.locations = new PostgresLocations(this.db);
    this.messages = new PostgresMessages(this.db);
    this.audit = new PostgresAudit(this.db);
    this.channels = new PostgresChannels(this.db);
    this.rooms = new PostgresRooms(this.db);
    this.beacons = new PostgresBeacons(this.db);
    this.proximity = new PostgresProximity(this.db);
  }

  async secret(name: string): Promise<Uint8Array> {
    const key = `secret:${name}`;
    // The first node to store it wins; every other one (concurrent or later) reads the winner's bytes.
    await this.db.kysely
      .insertInto('meta')
      .values({ name: key, value: randomBytes(32) })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await this.db.kysely.selectFrom('meta').select('value').where('name', '=', key).executeTakeFirst();
    if (row === undefined) throw new Error(`secret ${name} could not be stored`);
    return new Uint8Array(row.value);
  }

  migrate(): Promise<void> {
    return this.db.migrate();
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db.kysely);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
