/**
 * Benchmark (issue 5): the local feed (newest 50 posts within 1 km) on 1,000,000 posts in PostgreSQL,
 * through Lo's store and as a plain PostGIS `ST_DWithin … ORDER BY created_at DESC LIMIT 50` on the same
 * table and index in the same run, and persisted ingest through the store (createGeo, one post per
 * call, many calls in flight, which the store writes by group commit; importGeo for reference). Same
 * data and query points as the SQLite feed benchmark. Writes the "Local feed and ingest on PostgreSQL" section of bench/results.md.
 * Run: npm run bench:feed-pg -- [--posts N] [--queries N] [--pool N] [--reseed] … (--help lists them)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { parsePostgresUrl } from '../packages/server/src/config/config.js';
import { onExit, startWatchdog } from './lib/children.js';
import { citySigmas, describeDistribution, queryPoints, type QueryPoint } from './lib/distribution.js';
import { FEED_PG_TITLE, feedPgShortfalls, renderFeedPg, type FeedPgResults, type Plan } from './lib/feed-pg-report.js';
import { startBenchApp, timeHttpFeed } from './lib/http-feed.js';
import { currentLoad, describeMachine } from './lib/machine.js';
import { baselineQuery, captureQueries, compareWithPgBaseline, explainAnalyze, pgBaseline } from './lib/pg-baseline.js';
import { timeCreateGeo, timeImportGeo } from './lib/pg-ingest.js';
import { preparePgDatabase, removeIngestPosts, tableSizes, vacuumMessages } from './lib/pg-seed.js';
import { Rng } from './lib/random.js';
import { commandLine, parseFlags } from './lib/rt-args.js';
import { codeVersion, writeGeneratedSection } from './lib/section.js';
import { formatSummary } from './lib/stats.js';
import { storeFeed, timeQueries, timeStoreFeed, type FeedRun } from './lib/store-feed.js';

const root = path.resolve(import.meta.dirname, '..');
const URL_DEFAULT = 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = 'lo_bench';
const DEFAULT_POOL = parsePostgresUrl(URL_DEFAULT).poolSize;

const flags = parseFlags(
  process.argv.slice(2),
  `usage: npm run bench:feed-pg -- [flags]   (database: LO_BENCH_POSTGRES_URL, default ${URL_DEFAULT}; schema ${SCHEMA})`,
  {
    posts: { default: 1_000_000, integer: true, doc: 'geo posts to seed' },
    queries: { default: 2000, integer: true, doc: 'timed queries per measurement' },
    'http-requests': { default: 500, integer: true, doc: 'timed feed requests over HTTP' },
    pool: { default: DEFAULT_POOL, integer: true, doc: "connections in the store's pool (the app's default)" },
    writers: { default: 200, integer: true, doc: 'createGeo calls in flight (a busy server has hundreds of requests in flight)' },
    'ingest-seconds': { default: 10, doc: 'length of the createGeo measurement' },
    'import-posts': { default: 50_000, integer: true, doc: 'posts of the importGeo reference measurement' },
    timeout: { default: 3600, doc: 'seconds after which the whole run is stopped' },
  },
  { servers: false, switches: { reseed: 'drop the schema and seed again even if it holds the posts' } },
);
const f = flags.values;
const writers = f.writers;
startWatchdog(f.timeout);
const machine = describeMachine();
const log = (text: string): void => console.log(text);
const show = (name: string, run: FeedRun): void =>
  log(`  ${name}: ${formatSummary(run.latency)}; ${run.meanItems.toFixed(1)} items/query, ${Math.round(run.fullPages * 100)} % full pages`);
const target = { url: process.env.LO_BENCH_POSTGRES_URL ?? URL_DEFAULT, schema: SCHEMA, poolSize: f.pool };

log(`Lo local feed on PostgreSQL: ${f.posts.toLocaleString('en-US')} posts, ${f.queries} queries, pool ${f.pool}, schema ${SCHEMA}`);
const sigmas = citySigmas(new Rng(7));
const points = queryPoints(f.queries, new Rng(2));
const warmup = queryPoints(Math.min(f.queries, 300), new Rng(3));

const { store, seed } = await preparePgDatabase(target, f.posts, flags.switches.reseed === true, new Rng(1), sigmas);
if (!seed.reused)
  log(`  ${Math.round(seed.postsPerS).toLocaleString('en-US')} posts/s through importGeo; seeding took ${seed.totalS.toFixed(1)} s`);
const one = async <T>(query: string): Promise<T> => (await sql.raw<{ v: T }>(`SELECT ${query} AS v`).execute(store.db.kysely)).rows[0]!.v;
const software = {
  postgres: await one<string>('version()'),
  postgis: await one<string>('postgis_lib_version()'),
  settings: await one<string>(
    `(SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ` +
      `('shared_buffers', 'work_mem', 'synchronous_commit', 'fsync', 'random_page_cost', 'effective_cache_size', 'jit'))`,
  ),
};
log(`  ${software.postgres.split(' on ')[0] ?? ''}, PostGIS ${software.postgis}; ${software.settings}`);
const sizes = await tableSizes(store);

log('timing the store…');
const recent = await timeStoreFeed(store, points, warmup, 'recent');
show('recent (local feed)', recent);
const distance = await timeStoreFeed(store, points, warmup, 'distance');
show('distance', distance);

log('timing the plain PostGIS query…');
const baseline = await timeQueries(points, warmup, async (point) => (await pgBaseline(store, point)).length);
show('baseline', baseline);
const agreement = await compareWithPgBaseline(store, points.slice(0, Math.min(f.queries, 200)));
log(
  `  same ids as Lo at ${agreement.checked - agreement.mismatches - agreement.edgeOnly} of ${agreement.checked} points; ` +
    `${agreement.edgeOnly} differ only at the 1 km edge; ${agreement.mismatches} mismatches`,
);

log('query plans (EXPLAIN ANALYZE)…');
const plans: Plan[] = [];
for (const area of ['centre', 'outskirts'] as const) {
  const point = points.find((p) => p.area === area);
  if (point === undefined) continue;
  const where = `${area === 'centre' ? 'a city centre' : 'the outskirts'} (${point.city}, ${point.lat.toFixed(4)}, ${point.lng.toFixed(4)})`;
  plans.push({ title: `Plain PostGIS baseline at ${where}`, lines: await explainAnalyze(store, baselineQuery(point)) });
  const statements = await captureQueries(store, () => storeFeed(store, point, 'recent'));
  // The scans: by grid cell (messages.cell) or through the GiST (ST_DWithin).
  const scans = statements.filter((q) => q.text.includes('ST_DWithin') || q.text.includes('k.cell'));
  for (const [i, q] of scans.entries()) {
    plans.push({
      title: `Lo's store, recent, at ${where}: scan statement ${i + 1} of ${scans.length}`,
      lines: await explainAnalyze(store, q),
    });
  }
}

log('timing the feed over HTTP (the app on this schema)…');
const http = await timeHttp(points.slice(0, f['http-requests']), warmup.slice(0, 50));
if (typeof http === 'string') log(`  failed: ${http}`);
else show('HTTP', http);

log(`persisted ingest: createGeo from ${writers} writers for ${f['ingest-seconds']} s…`);
const ingestRng = new Rng(Date.now());
const ingest = await timeCreateGeo(store, { writers, seconds: f['ingest-seconds'], warmupS: 1, rng: ingestRng, sigmas });
log(
  `  ${Math.round(ingest.postsPerS).toLocaleString('en-US')} posts/s; createGeo ${formatSummary(ingest.latency)}; ` +
    `Node ${ingest.nodeCores.toFixed(2)} cores, PostgreSQL ${ingest.postgresCores.toFixed(2)} cores` +
    (ingest.failed > 0 ? `; ${ingest.failed} failed: ${ingest.firstError}` : ''),
);
const imported = await timeImportGeo(store, { posts: f['import-posts'], batch: 10_000, rng: ingestRng, sigmas });
log(`  importGeo: ${Math.round(imported.postsPerS).toLocaleString('en-US')} posts/s (${imported.posts} in calls of ${imported.batch})`);
log(`  removed the ${await removeIngestPosts(store)} measurement posts again; vacuuming…`);
await vacuumMessages(store);
await store.close();

machine.loadEnd = currentLoad();
const results: FeedPgResults = {
  code: codeVersion(root, ['packages/server/src/store']),
  command: commandLine('bench:feed-pg', flags.given),
  machine,
  software,
  schema: SCHEMA,
  pool: f.pool,
  distribution: describeDistribution(f.posts, sigmas),
  sizes,
  seed,
  queries: f.queries,
  recent,
  distance,
  baseline,
  http,
  httpRequests: Math.min(f.queries, f['http-requests']),
  agreement,
  plans,
  ingest,
  imported,
};
const resultsFile = path.join(root, 'bench/results.md');
if (!flags.dryRun) writeGeneratedSection(resultsFile, FEED_PG_TITLE, 'feed-postgres', renderFeedPg(results));

log('\nsummary (DESIGN §10 targets):');
log(`  local feed, store   : p95 ${recent.latency.p95.toFixed(2)} ms (target ≤ 5 ms)`);
log(`  plain PostGIS       : p95 ${baseline.latency.p95.toFixed(2)} ms (DESIGN measured 41 ms)`);
log(`  createGeo ingest    : ${Math.round(ingest.postsPerS)} posts/s (target ≥ 10,000/s)`);
const missed = feedPgShortfalls(results);
log(missed.length === 0 ? 'every target met' : `shortfalls:\n  ${missed.join('\n  ')}`);
log(flags.dryRun ? 'dry run: results not written' : `wrote ${path.relative(root, resultsFile)}`);
process.exit(0);

/** The real app on the benchmark schema (a temporary data dir for its key files); an error message if it fails. */
async function timeHttp(timed: readonly QueryPoint[], warm: readonly QueryPoint[]): Promise<FeedRun | string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lo-bench-pg-'));
  onExit(() => fs.rmSync(dir, { recursive: true, force: true }));
  const url = new URL(target.url);
  url.searchParams.set('schema', SCHEMA);
  url.searchParams.set('pool', String(f.pool));
  try {
    const { app, url: base } = await startBenchApp(dir, { LO_DATABASE_URL: url.toString() });
    try {
      return await timeHttpFeed(base, timed, warm);
    } finally {
      await app.close();
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
