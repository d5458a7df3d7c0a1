import fs from 'node:fs';
import path from 'node:path';
import type { NewGeoMessage, Store } from '../../packages/server/src/core/store.js';
import { SqliteStore } from '../../packages/server/src/store/sqlite/sqlite-store.js';
import { DISTRIBUTION, postPoint, postRadius } from './distribution.js';
import { type Rng, ulidAt } from './random.js';
import { nowMs } from './stats.js';

const BATCH = 10_000;
const SEED_FILE = 'seed.json';
const WORDS = 'coffee here the best view tonight free concert lost cat anyone seen square market closes early rain again'.split(' ');

export interface SeedInfo {
  posts: number;
  seededAt: string;
  /** Wall time of the whole seeding (authors, data generation, importGeo calls). */
  totalS: number;
  /** Time spent inside store.messages.importGeo only. */
  importS: number;
  postsPerS: number;
  reused: boolean;
}

export function databaseFile(dir: string): string {
  return path.join(dir, 'lo.db');
}

/** Opens the store over the data dir, as `lo serve` would (migrations applied). */
export async function openBenchStore(dir: string): Promise<SqliteStore> {
  const store = new SqliteStore({ file: databaseFile(dir), synchronous: 'NORMAL' });
  await store.migrate();
  return store;
}

function readSeedInfo(dir: string): SeedInfo | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, SEED_FILE), 'utf8')) as SeedInfo;
  } catch {
    return null;
  }
}

function countPosts(store: SqliteStore): number {
  return (store.db.raw.prepare(`SELECT count(*) AS n FROM messages WHERE kind = 'geo'`).get() as { n: number }).n;
}

/** With `reuse`, keeps a database holding exactly `posts` posts; otherwise builds a fresh one. */
export async function prepareDatabase(
  dir: string,
  posts: number,
  reuse: boolean,
  rng: Rng,
  sigmas: readonly number[],
): Promise<{ store: SqliteStore; seed: SeedInfo }> {
  if (reuse && fs.existsSync(databaseFile(dir))) {
    const store = await openBenchStore(dir);
    const previous = readSeedInfo(dir);
    if (previous !== null && previous.posts === posts && countPosts(store) === posts) {
      console.log(`reusing ${posts.toLocaleString('en-US')} posts in ${dir} (seeded ${previous.seededAt})`);
      return { store, seed: { ...previous, reused: true } };
    }
    console.log(`--reuse: ${dir} does not hold exactly ${posts} seeded posts; seeding afresh`);
    await store.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const store = await openBenchStore(dir);
  const seed = await seedPosts(store, posts, rng, sigmas);
  fs.writeFileSync(path.join(dir, SEED_FILE), JSON.stringify(seed, null, 2) + '\n');
  return { store, seed };
}

async function createAuthors(store: Store, rng: Rng, now: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < DISTRIBUTION.authors; i += 1) {
    const id = ulidAt(now - 40 * 86_400_000 + i, rng);
    const user = await store.users.create({
      id,
      username: `bench_author_${i}`,
      passwordHash: 'not-a-real-hash',
      role: 'user',
      createdAt: now,
    });
    if (user === null) throw new Error(`author ${i} could not be created`);
    ids.push(id);
  }
  return ids;
}

/** Sorted uniform creation times: posts are inserted in time order, as a live server would. */
function creationTimes(posts: number, end: number, rng: Rng): Float64Array {
  const start = end - DISTRIBUTION.windowDays * 86_400_000;
  const times = new Float64Array(posts);
  for (let i = 0; i < posts; i += 1) times[i] = Math.floor(rng.range(start, end));
  return times.sort();
}

function content(rng: Rng): string {
  const words: string[] = [];
  const count = 3 + rng.int(20);
  for (let i = 0; i < count; i += 1) words.push(rng.pick(WORDS));
  return words.join(' ');
}

/** One public geo post of the benchmark distribution by one of `authors` (the RNG is drawn in a fixed order). */
export function geoPost(rng: Rng, sigmas: readonly number[], createdAt: number, authors: readonly string[]): NewGeoMessage {
  const point = postPoint(rng, sigmas);
  return {
    id: ulidAt(createdAt, rng),
    authorId: rng.pick(authors),
    kind: 'geo',
    content: content(rng),
    lat: point.lat,
    lng: point.lng,
    publicLat: point.lat,
    publicLng: point.lng,
    radius: postRadius(rng),
    visibility: 'public',
    createdAt,
    expiresAt: null,
    clientMsgId: null,
  };
}

/** Seeds `posts` geo posts by DISTRIBUTION.authors authors through `store.messages.importGeo` (any backend). */
export async function seedPosts(store: Store, posts: number, rng: Rng, sigmas: readonly number[]): Promise<SeedInfo> {
  const started = nowMs();
  const now = Date.now();
  const authors = await createAuthors(store, rng, now);
  const times = creationTimes(posts, now, rng);
  let importMs = 0;
  let lastReport = started;
  for (let offset = 0; offset < posts; offset += BATCH) {
    const batch: NewGeoMessage[] = [];
    for (let i = offset; i < Math.min(posts, offset + BATCH); i += 1) {
      batch.push(geoPost(rng, sigmas, times[i]!, authors));
    }
    const t0 = nowMs();
    await store.messages.importGeo(batch);
    importMs += nowMs() - t0;
    if (nowMs() - lastReport > 5_000) {
      lastReport = nowMs();
      console.log(`  seeded ${(offset + batch.length).toLocaleString('en-US')} / ${posts.toLocaleString('en-US')}`);
    }
  }
  const totalS = (nowMs() - started) / 1000;
  return {
    posts,
    seededAt: new Date(now).toISOString(),
    totalS,
    importS: importMs / 1000,
    postsPerS: posts / (importMs / 1000),
    reused: false,
  };
}
