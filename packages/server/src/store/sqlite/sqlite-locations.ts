import type { LocationRecord, LocationRepo } from '../../core/store.js';
import type { SqliteDb } from './sqlite-db.js';

export class SqliteLocations implements LocationRepo {
  constructor(private readonly db: SqliteDb) {}

  get(userId: string): Promise<LocationRecord | null> {
    const q = this.db.kysely.selectFrom('locations').select(['lat', 'lng', 'accuracy', 'at']).where('user_id', '=', userId);
    return Promise.resolve(this.db.get(q) ?? null);
  }

  set(userId: string, location: LocationRecord): Promise<void> {
    const values = { user_id: userId, ...location };
    const q = this.db.kysely
      .insertInto('locations')
      .values(values)
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({ lat: location.lat, lng: location.lng, accuracy: location.accuracy, at: location.at }),
      );
    this.db.run(q);
    return Promise.resolve();
  }
}
