/**
 * Persisted ingest on PostgreSQL, as the app writes posts: `store.messages.createGeo` from concurrent
 * writers, each one request in flight (a busy server has hundreds); createGeo writes the calls that
 * meet in flight as one statement (group commit, store/postgres/group-commit.ts), so the rate grows
 * with the writers, well past the pool size. And the bulk `importGeo` for reference. The posts go into
 * the seeded table (a 1,000,000-row GiST index is part of the cost) as INGEST_AUTHOR, and are deleted
 * again afterwards.
 */
import type { PostgresStore } from '../../packages/server/src/store/postgres/postgres-store.js';
import { INGEST_AUTHOR } from './pg-seed.js';
import { cpuBetween, cpuByPid } from './procfs.js';
import { Rng, ulidAt } from './random.js';
import { geoPost } from './seed.js';
import { nowMs, summarize, type Summary } from './stats.js';

export interface IngestRun {
  /** createGeo calls in flight at any time (requests a server is handling at once). */
  writers: number;
  posts: number;
  seconds: number;
  postsPerS: number;
  /** Time of one createGeo call (ms). */
  latency: Summary;
  failed: number;
  firstError?: string;
  /** Share of one core used by this Node process and by all PostgreSQL processes during the run. */
  nodeCores: number;
  postgresCores: number;
}

export interface ImportRun {
  posts: number;
  batch: number;
  seconds: number;
  postsPerS: number;
}

/** The ingest author's id (created on first use). */
export async function ingestAuthor(store: PostgresStore): Promise<string> {
  const existing = await store.users.byUsername(INGEST_AUTHOR);
  if (existing !== null) return existing.id;
  const id = ulidAt(Date.now(), new Rng(99));
  await store.users.create({ id, username: INGEST_AUTHOR, passwordHash: 'not-a-real-hash', role: 'user', createdAt: Date.now() });
  return id;
}

/**
 * `writers` loops of createGeo for `warmupS` (not counted), then for `seconds`. The writers share the
 * store's pool: with few of them, each group holds few posts and the run measures latency, not capacity.
 */
export async function timeCreateGeo(
  store: PostgresStore,
  options: { writers: number; seconds: number; warmupS: number; rng: Rng; sigmas: readonly number[] },
): Promise<IngestRun> {
  const authors = [await ingestAuthor(store)];
  const post = () => geoPost(options.rng, options.sigmas, Date.now(), authors);
  let measuring = false;
  let failed = 0;
  let firstError: string | undefined;
  const samples: number[] = [];
  const writer = async (until: () => boolean): Promise<void> => {
    while (!until()) {
      const t0 = nowMs();
      try {
        await store.messages.createGeo(post());
        if (measuring) samples.push(nowMs() - t0);
      } catch (error) {
        failed += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  const phase = async (seconds: number): Promise<void> => {
    const end = nowMs() + seconds * 1000;
    await Promise.all(Array.from({ length: options.writers }, () => writer(() => nowMs() >= end)));
  };
  await phase(options.warmupS);
  measuring = true;
  const pg0 = cpuByPid('postgres');
  const node0 = process.cpuUsage();
  const t0 = nowMs();
  await phase(options.seconds);
  const wallS = (nowMs() - t0) / 1000;
  const node = process.cpuUsage(node0);
  const postgresUs = cpuBetween(pg0, cpuByPid('postgres'));
  return {
    writers: options.writers,
    posts: samples.length,
    seconds: wallS,
    postsPerS: samples.length / wallS,
    latency: summarize(samples),
    failed,
    ...(firstError !== undefined && { firstError }),
    nodeCores: (node.user + node.system) / 1e6 / wallS,
    postgresCores: postgresUs / 1e6 / wallS,
  };
}

/** `posts` posts through importGeo in calls of `batch` (one transaction each). */
export async function timeImportGeo(
  store: PostgresStore,
  options: { posts: number; batch: number; rng: Rng; sigmas: readonly number[] },
): Promise<ImportRun> {
  const authors = [await ingestAuthor(store)];
  let importMs = 0;
  for (let done = 0; done < options.posts; done += options.batch) {
    const now = Date.now();
    const batch = Array.from({ length: Math.min(options.batch, options.posts - done) }, (_, i) =>
      geoPost(options.rng, options.sigmas, now + i, authors),
    );
    const t0 = nowMs();
    await store.messages.importGeo(batch);
    importMs += nowMs() - t0;
  }
  return { posts: options.posts, batch: options.batch, seconds: importMs / 1000, postsPerS: options.posts / (importMs / 1000) };
}
