import type { LocationRecord, LocationRepo } from '../../core/store.js';
import type { PostgresDb } from './postgres-db.js';

export class PostgresLocations implements LocationRepo {
  constructor(private readonly db: PostgresDb) {}

  async get(userId: string): Promise<LocationRecord | null> {
    const q = this.db.kysely.selectFrom('locations').select(['lat', 'lng', 'accuracy', 'at']).where('user_id', '=', userId);
    return (await q.executeTakeFirst()) ?? null;
  }

  async set(userId: string, location: LocationRecord): Promise<void> {
    await this.db.kysely
      .insertInto('locations')
      .values({ user_id: userId, lat: location.lat, lng: location.lng, accuracy: location.accuracy, at: location.at })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({ lat: location.lat, lng: location.lng, accuracy: location.accuracy, at: location.at }),
      )
      .execute();
  }
}
