import { sql } from 'kysely';
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
import type { PostgresDb } from './postgres-db.js';

/** Live beacons (see core/live-location-repos.ts); the queries are shared with SQLite. */
export class PostgresBeacons implements BeaconRepo {
  constructor(private readonly db: PostgresDb) {}

  async set(beacon: BeaconRecord): Promise<void> {
    const values = beaconValues(beacon);
    await this.db.kysely
      .insertInto('beacons')
      .values({ user_id: beacon.userId, ...values })
      .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
      .execute();
  }

  async of(userIds: string[], since: number): Promise<BeaconRecord[]> {
    const batches = await Promise.all(chunks(userIds).map((ids) => beaconsOf(this.db.kysely, ids, since).execute()));
    return batches.flat().map(toBeacon);
  }

  async delete(userId: string): Promise<boolean> {
    const result = await this.db.kysely.deleteFrom('beacons').where('user_id', '=', userId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async count(area: BeaconArea): Promise<number> {
    return countWithin(await areaCandidates(this.db.kysely, area).execute(), area);
  }

  purge(olderThan: number): Promise<number> {
    return this.db.tx(async (trx) => {
      // The pairs of the users whose beacons go, in the same transaction.
      await sql`DELETE FROM proximity_pairs
        WHERE user_a IN (SELECT user_id FROM beacons WHERE at < ${olderThan}::bigint)
           OR user_b IN (SELECT user_id FROM beacons WHERE at < ${olderThan}::bigint)`.execute(trx);
      const result = await trx.deleteFrom('beacons').where('at', '<', olderThan).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }
}

/** Friend pairs currently near each other; insert-or-nothing and delete decide races between nodes. */
export class PostgresProximity implements ProximityRepo {
  constructor(private readonly db: PostgresDb) {}

  async nearOf(userId: string): Promise<Set<string>> {
    return otherOf(await nearOfQuery(this.db.kysely, userId).execute(), userId);
  }

  async set(a: string, b: string, near: boolean, at: number): Promise<boolean> {
    const pair = pairOf(a, b);
    const k = this.db.kysely;
    if (near) {
      const result = await k
        .insertInto('proximity_pairs')
        .values({ ...pair, since: at })
        .onConflict((oc) => oc.columns(['user_a', 'user_b']).doNothing())
        .executeTakeFirst();
      return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
    }
    const result = await k
      .deleteFrom('proximity_pairs')
      .where('user_a', '=', pair.user_a)
      .where('user_b', '=', pair.user_b)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async clear(userId: string): Promise<number> {
    const result = await this.db.kysely
      .deleteFrom('proximity_pairs')
      .where((eb) => eb.or([eb('user_a', '=', userId), eb('user_b', '=', userId)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
