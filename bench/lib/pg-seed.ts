/**
 * The PostgreSQL benchmark database: Lo's tables (its own migrations) in a dedicated schema, seeded once
 * with the same posts as the SQLite feed benchmark (seed.ts, through the store's importGeo, so every row
 * is what the store writes, public_geog included) and kept between runs. A marker row in `meta` records
 * what was seeded; a rerun reuses the schema when the marker and the row count agree, unless --reseed.
 */
import { sql } from 'kysely';
import { PostgresStore } from '../../packages/server/src/store/postgres/postgres-store.js';
import type { Rng } from './random.js';
import { seedPosts, type SeedInfo } from './seed.js';

const MARKER = 'bench:seed';
/** The user the ingest measurement posts as: its posts are removed again after (and before, if a run died). */
export const INGEST_AUTHOR = 'bench_ingest';

export interface PgTarget {
  url: string;
  schema: string;
  poolSize: number;
}

export async function openPgStore(target: PgTarget): Promise<PostgresStore> {
  const store = new PostgresStore({ url: target.url, schema: target.schema, poolSize: target.poolSize });
  await store.migrate();
  return store;
}

async function readMarker(store: PostgresStore): Promise<SeedInfo | null> {
  const row = await store.db.kysely.selectFrom('meta').select('value').where('name', '=', MARKER).executeTakeFirst();
  if (row === undefined) return null;
  try {
    return JSON.parse(Buffer.from(row.value).toString('utf8')) as SeedInfo;
  } catch {
    return null;
  }
}

async function countPosts(store: PostgresStore): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM messages WHERE kind = 'geo'`.execute(store.db.kysely);
  return rows[0]?.n ?? 0;
}

/** Deletes the ingest measurement's posts (all by INGEST_AUTHOR); returns how many there were. */
export async function removeIngestPosts(store: PostgresStore): Promise<number> {
  const { numAffectedRows } =
    await sql`DELETE FROM messages WHERE author_id IN (SELECT id FROM users WHERE username = ${INGEST_AUTHOR})`.execute(store.db.kysely);
  return Number(numAffectedRows ?? 0n);
}

/** Planner statistics and the visibility map up to date, as autovacuum would leave a settled table. */
export async function vacuumMessages(store: PostgresStore): Promise<void> {
  await sql`VACUUM (ANALYZE) messages`.execute(store.db.kysely);
}

/** Reuses the schema when it holds exactly `posts` seeded posts (and !reseed); otherwise drops it and seeds afresh. */
export async function preparePgDatabase(
  target: PgTarget,
  posts: number,
  reseed: boolean,
  rng: Rng,
  sigmas: readonly number[],
): Promise<{ store: PostgresStore; seed: SeedInfo }> {
  let store = await openPgStore(target);
  if (!reseed) {
    const leftovers = await removeIngestPosts(store);
    if (leftovers > 0) console.log(`  removed ${leftovers} posts left by an interrupted ingest measurement`);
    const previous = await readMarker(store);
    if (previous !== null && previous.posts === posts && (await countPosts(store)) === posts) {
      console.log(`reusing ${posts.toLocaleString('en-US')} posts in schema ${target.schema} (seeded ${previous.seededAt})`);
      if (leftovers > 0) await vacuumMessages(store);
      return { store, seed: { ...previous, reused: true } };
    }
    if (previous !== null || (await countPosts(store)) > 0)
      console.log(`schema ${target.schema} does not hold exactly ${posts} seeded posts`);
  }
  console.log(`seeding schema ${target.schema} afresh (drop, migrate, importGeo)`);
  await sql`DROP SCHEMA IF EXISTS ${sql.id(target.schema)} CASCADE`.execute(store.db.kysely);
  await store.close();
  store = await openPgStore(target);
  const seed = await seedPosts(store, posts, rng, sigmas);
  await vacuumMessages(store);
  await store.db.kysely
    .insertInto('meta')
    .values({ name: MARKER, value: Buffer.from(JSON.stringify(seed)) })
    .execute();
  return { store, seed };
}

/** Size of the messages table and of each of its indexes, in MiB. */
export async function tableSizes(store: PostgresStore): Promise<{ tableMiB: number; indexes: Array<{ name: string; mib: number }> }> {
  const mib = (bytes: number): number => bytes / 2 ** 20;
  const { rows: table } = await sql<{ bytes: number }>`SELECT pg_table_size('messages')::bigint AS bytes`.execute(store.db.kysely);
  const { rows } = await sql<{ name: string; bytes: number }>`
    SELECT indexrelid::regclass::text AS name, pg_relation_size(indexrelid)::bigint AS bytes FROM pg_index
    WHERE indrelid = 'messages'::regclass ORDER BY 1`.execute(store.db.kysely);
  return { tableMiB: mib(table[0]?.bytes ?? NaN), indexes: rows.map((r) => ({ name: r.name, mib: mib(r.bytes) })) };
}
