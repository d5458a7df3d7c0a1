import type { BeaconArea, BeaconRecord, BeaconRepo, ProximityRepo } from '../../core/live-location-repos.js';
import {
  areaCandidates,
  beaconsOf,
  chunks,
  countWithin,
  nearOfQuery,
  otherOf,
  pairOf,
  toBeacon,
  beaconValues,
} from '../shared/beacon-queries.js';
import type { SqliteDb } from './sqlite-db.js';

/** The pairs of the users whose beacons a purge removes (in the same transaction). */
const STALE_PAIRS = `DELETE FROM proximity_pairs
  WHERE user_a IN (SELECT user_id FROM beacons WHERE at < ?) OR user_b IN (SELECT user_id FROM beacons WHERE at < ?)`;

/** Live beacons (see core/live-location-repos.ts); the queries are shared with PostgreSQL. */
export class SqliteBeacons implements BeaconRepo {
  constructor(private readonly db: SqliteDb) {}

  set(beacon: BeaconRecord): Promise<void> {
    const values = beaconValues(beacon);
    const q = this.db.kysely
      .insertInto('beacons')
      .values({ user_id: beacon.userId, ...values })
      .onConflict((oc) => oc.column('user_id').doUpdateSet(values));
    this.db.run(q);
    return Promise.resolve();
  }

  of(userIds: string[], since: number): Promise<BeaconRecord[]> {
    const rows = chunks(userIds).flatMap((ids) => this.db.all(beaconsOf(this.db.kysely, ids, since)));
    return Promise.resolve(rows.map(toBeacon));
  }

  delete(userId: string): Promise<boolean> {
    return Promise.resolve(this.db.run(this.db.kysely.deleteFrom('beacons').where('user_id', '=', userId)) > 0);
  }

  count(area: BeaconArea): Promise<number> {
    return Promise.resolve(countWithin(this.db.all(areaCandidates(this.db.kysely, area)), area));
  }

  purge(olderThan: number): Promise<number> {
    const removed = this.db.tx(() => {
      this.db.prepare(STALE_PAIRS).run(olderThan, olderThan);
      return this.db.run(this.db.kysely.deleteFrom('beacons').where('at', '<', olderThan));
    });
    return Promise.resolve(removed);
  }
}

/** Friend pairs currently near each other. */
export class SqliteProximity implements ProximityRepo {
  constructor(private readonly db: SqliteDb) {}

  nearOf(userId: string): Promise<Set<string>> {
    return Promise.resolve(otherOf(this.db.all(nearOfQuery(this.db.kysely, userId)), userId));
  }

  set(a: string, b: string, near: boolean, at: number): Promise<boolean> {
    const pair = pairOf(a, b);
    const k = this.db.kysely;
    const changed = near
      ? this.db.run(
          k
            .insertInto('proximity_pairs')
            .values({ ...pair, since: at })
            .onConflict((oc) => oc.columns(['user_a', 'user_b']).doNothing()),
        )
      : this.db.run(k.deleteFrom('proximity_pairs').where('user_a', '=', pair.user_a).where('user_b', '=', pair.user_b));
    return Promise.resolve(changed > 0);
  }

  clear(userId: string): Promise<number> {
    const q = this.db.kysely.deleteFrom('proximity_pairs').where((eb) => eb.or([eb('user_a', '=', userId), eb('user_b', '=', userId)]));
    return Promise.resolve(this.db.run(q));
  }
}
